"""Serving latency: one timing routine for the evaluate stage, the PR report, feature cost and
the canary, so that every figure of ms per 1,000 rows means the same thing."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd


def latency_ms(pipeline: Any, frame: pd.DataFrame, rows: int, seed: int) -> float:
    """Median wall time of predicting `rows` rows (sampled with replacement), in ms per 1,000 rows."""
    batch = frame.sample(n=rows, replace=True, random_state=seed)
    pipeline.predict(batch)  # warm-up
    return median_ms(pipeline, batch)


def median_ms(pipeline: Any, batch: pd.DataFrame) -> float:
    """The median of 5 timed predictions of `batch` by a model already warmed up on it, in
    ms per 1,000 rows: what `latency_ms` measures, for callers that time a model in rounds
    and need its warm-up only once."""
    timings = []
    for _ in range(5):
        start = time.perf_counter()
        pipeline.predict(batch)
        timings.append(time.perf_counter() - start)
    return float(np.median(timings) * 1000.0 * 1000.0 / len(batch))


def fastest_ms(
    models: Sequence[tuple[Any, pd.DataFrame]], rows: int, seed: int, repeats: int = 9
) -> list[float]:
    """Each model's fastest prediction of the same sampled rows, the models taking turns call
    by call; in ms per 1,000 rows.

    A busy machine (a CI runner, other tests) slows whichever call it happens to hit. Taking
    turns leaves no stretch in which only one model is timed, and the fastest of several
    runs is the figure least touched by the load: two medians taken a second apart once put
    a +78 % "growth" on a model that had not changed speed.
    """
    batch = models[0][1].sample(n=rows, replace=True, random_state=seed).index
    timed = [(model, frame.loc[batch]) for model, frame in models]
    for model, frame in timed:
        model.predict(frame)  # warm-up
    best = [float("inf")] * len(timed)
    for _ in range(repeats):
        for i, (model, frame) in enumerate(timed):
            start = time.perf_counter()
            model.predict(frame)
            best[i] = min(best[i], time.perf_counter() - start)
    return [seconds * 1e6 / rows for seconds in best]
