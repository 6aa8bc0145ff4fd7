"""The report and the gate compare two models' latency robustly on a busy machine."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from gitops_ml.evaluation.latency import fastest_ms


class Sleeper:
    """A model whose predict takes `seconds`, plus `spikes` extra on its first calls (load)."""

    def __init__(self, seconds: float, spikes: int = 0) -> None:
        self.seconds, self.spikes = seconds, spikes

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        extra = 0.03 if self.spikes > 0 else 0.0
        self.spikes -= 1
        time.sleep(self.seconds + extra)
        return np.zeros(len(frame))


FRAME = pd.DataFrame({"x": np.arange(50.0)})


def test_load_that_hits_one_model_for_a_while_does_not_make_it_look_slower() -> None:
    base, pr = fastest_ms([(Sleeper(0.002), FRAME), (Sleeper(0.002, spikes=8), FRAME)], 100, 0)
    assert pr / base < 1.5  # 8 of its 10 calls hit by load: its fastest was not


def test_a_really_slower_model_is_measured_slower() -> None:
    base, pr = fastest_ms([(Sleeper(0.002), FRAME), (Sleeper(0.010), FRAME)], 100, 0)
    assert pr / base > 2.0
