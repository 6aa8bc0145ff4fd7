"""Serving latency: one timing routine for the evaluate stage, the PR report, feature cost and
the canary, so that every figure of ms per 1,000 rows means the same thing."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd


def latency_ms(pipeline: Any, frame: pd.DataFrame, rows: int, seed: int) -> float:
    """Median wall time of predicting `rows` rows (sampled with replacement), in ms per 1,000 rows."""
    batch = frame.sample(n=rows, replace=True, random_state=seed)
    pipeline.predict(batch)  # warm-up
    timings = []
    for _ in range(5):
        start = time.perf_counter()
        pipeline.predict(batch)
        timings.append(time.perf_counter() - start)
    return float(np.median(timings) * 1000.0 * 1000.0 / rows)
