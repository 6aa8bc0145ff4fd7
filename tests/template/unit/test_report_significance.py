"""The report's significance numbers: fast metric forms equal gitops_ml.evaluation.metrics, pairing by row id."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gitops_ml.core.config import ROW_ID
from gitops_ml.evaluation import metrics
from gitops_ml.evaluation import significance as sig


def _predictions(n: int, skill: float, seed: int, classes=("no", "yes")) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    truth = rng.choice(list(classes), n)
    hit = rng.random(n) < skill
    noise = rng.random(n)
    # Rounded scores force ties, which ROC AUC must count as one half.
    p_yes = np.round(np.where(truth == classes[1], 0.5 + skill * noise / 2, noise * 0.6), 1)
    pred = np.where(hit, truth, np.where(truth == classes[0], classes[1], classes[0]))
    frame = pd.DataFrame({ROW_ID: np.arange(n), "y_true": truth, "y_pred": pred})
    return frame.assign(**{f"proba_{classes[0]}": 1 - p_yes, f"proba_{classes[1]}": p_yes})


@pytest.mark.parametrize("name", ["accuracy", "balanced_accuracy", "f1", "roc_auc", "log_loss"])
def test_fast_forms_equal_the_shared_metric_table_on_resampled_rows(name: str):
    scored = metrics.from_predictions(_predictions(150, 0.8, seed=1))
    fast = sig.metric_on_rows(name, scored, "yes")
    rng = np.random.default_rng(0)
    for _ in range(20):
        rows = rng.integers(0, 150, 150)
        assert fast(rows) == pytest.approx(
            metrics.METRICS[name](scored.take(rows), "yes"), abs=1e-12
        )


@pytest.mark.parametrize("name", ["rmse", "mae", "r2"])
def test_fast_regression_forms_equal_the_shared_metric_table(name: str):
    rng = np.random.default_rng(2)
    y = rng.normal(size=80)
    scored = metrics.Scored(y, y + rng.normal(scale=0.3, size=80), None, [])
    rows = rng.integers(0, 80, 80)
    fast = sig.metric_on_rows(name, scored, None)
    assert fast(rows) == pytest.approx(metrics.METRICS[name](scored.take(rows), None))


def test_same_rows_are_paired_even_when_stored_in_another_order():
    base = _predictions(120, 0.7, seed=3)
    pr = _predictions(120, 0.95, seed=3).sample(frac=1.0, random_state=1)
    result = sig.significance("accuracy", base, pr, "yes", True, seed=0)
    assert result.interval.paired and result.notes == []
    assert result.interval.reading == "PR better"
    assert result.mcnemar is not None and result.mcnemar.c > result.mcnemar.b


def test_different_test_rows_give_an_unpaired_interval_and_say_why():
    base = _predictions(120, 0.8, seed=4)
    pr = _predictions(100, 0.8, seed=5).assign(**{ROW_ID: np.arange(50, 150)})
    result = sig.significance("roc_auc", base, pr, "yes", True, seed=0)
    assert not result.interval.paired and result.mcnemar is None
    assert "BASE 120, PR 100, 70 in common" in result.notes[0]


def test_metric_without_a_fast_form_uses_fewer_resamples_and_notes_it():
    base = _predictions(60, 0.8, seed=6)
    result = sig.significance("average_precision", base, base.copy(), "yes", True, seed=0)
    assert result.interval.resamples == sig.SLOW_RESAMPLES
    assert result.interval.low == result.interval.high == 0.0
    assert "no fast form" in result.notes[0]
