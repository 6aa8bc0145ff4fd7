"""Metric definitions shared by evaluate, the report, the gate and the model tests.

One table says how each metric is computed and whether higher is better, so the report's
direction marks and the gate's rules can never disagree with what evaluate wrote.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

# re-exported: the predictions' readers import it from here
from gitops_ml.core.config import PROBA_PREFIX as PROBA_PREFIX

if TYPE_CHECKING:
    from numpy.typing import NDArray


@dataclass(frozen=True)
class Scored:
    """Per-row predictions of one model on one split: what every metric is computed from."""

    y_true: NDArray[Any]
    y_pred: NDArray[Any]
    proba: NDArray[Any] | None  # (n, n_classes) for classifiers
    classes: list[Any]

    def take(self, index: NDArray[Any]) -> Scored:
        proba = None if self.proba is None else self.proba[index]
        return Scored(self.y_true[index], self.y_pred[index], proba, self.classes)


def _positive_scores(s: Scored, positive: object) -> NDArray[Any]:
    assert s.proba is not None
    return s.proba[:, s.classes.index(positive)]


def _f1(s: Scored, positive: object) -> float:
    from sklearn.metrics import f1_score

    if len(s.classes) == 2:
        return float(f1_score(s.y_true, s.y_pred, pos_label=positive))
    return float(f1_score(s.y_true, s.y_pred, average="macro"))


def _roc_auc(s: Scored, positive: object) -> float:
    from sklearn.metrics import roc_auc_score

    if len(np.unique(s.y_true)) < 2:
        return float("nan")
    if len(s.classes) == 2:
        return float(roc_auc_score(s.y_true == positive, _positive_scores(s, positive)))
    return float(roc_auc_score(s.y_true, s.proba, multi_class="ovr", labels=s.classes))


def _average_precision(s: Scored, positive: object) -> float:
    from sklearn.metrics import average_precision_score

    if len(s.classes) == 2:
        return float(average_precision_score(s.y_true == positive, _positive_scores(s, positive)))
    onehot = (s.y_true[:, None] == np.asarray(s.classes)[None, :]).astype(int)
    return float(average_precision_score(onehot, s.proba, average="macro"))


def _log_loss(s: Scored, positive: object) -> float:
    from sklearn.metrics import log_loss

    return float(log_loss(s.y_true, s.proba, labels=s.classes))


def _accuracy(s: Scored, positive: object) -> float:
    return float(np.mean(s.y_true == s.y_pred))


def _balanced_accuracy(s: Scored, positive: object) -> float:
    from sklearn.metrics import balanced_accuracy_score

    return float(balanced_accuracy_score(s.y_true, s.y_pred))


def _rmse(s: Scored, positive: object) -> float:
    return float(np.sqrt(np.mean((s.y_true.astype(float) - s.y_pred.astype(float)) ** 2)))


def _mae(s: Scored, positive: object) -> float:
    return float(np.mean(np.abs(s.y_true.astype(float) - s.y_pred.astype(float))))


def _r2(s: Scored, positive: object) -> float:
    y = s.y_true.astype(float)
    total = np.sum((y - y.mean()) ** 2)
    return float(1.0 - np.sum((y - s.y_pred.astype(float)) ** 2) / total) if total else float("nan")


METRICS: dict[str, Callable[[Scored, object], float]] = {
    "accuracy": _accuracy,
    "balanced_accuracy": _balanced_accuracy,
    "f1": _f1,
    "roc_auc": _roc_auc,
    "average_precision": _average_precision,
    "log_loss": _log_loss,
    "rmse": _rmse,
    "mae": _mae,
    "r2": _r2,
}

# Whether a larger value is better; model size and latency are "lower is better" too.
HIGHER_IS_BETTER: dict[str, bool] = {
    "accuracy": True,
    "balanced_accuracy": True,
    "f1": True,
    "roc_auc": True,
    "average_precision": True,
    "log_loss": False,
    "rmse": False,
    "mae": False,
    "r2": True,
    "model_size_bytes": False,
    "latency_ms_per_1000_rows": False,
}


def bar_name(metric: str) -> str:
    """What gate.floor is for this metric: a floor when higher is better, else a ceiling."""
    return "floor" if HIGHER_IS_BETTER.get(metric, True) else "ceiling"


def compute(scored: Scored, names: tuple[str, ...], positive: object = None) -> dict[str, float]:
    """Compute the named metrics; `positive` is the positive class of a binary task."""
    if positive is None and len(scored.classes) == 2:
        positive = scored.classes[1]
    return {name: METRICS[name](scored, positive) for name in names}


def resolve_positive(classes: list[Any], configured: object) -> object:
    """Match params' positive_class to the model's classes (YAML may give 1 for '1')."""
    if configured is None:
        return classes[-1] if len(classes) == 2 else None
    for value in classes:
        if value == configured or str(value) == str(configured):
            return value
    return configured


def primary_value(scored: Scored, metric: str, positive_class: object) -> float:
    """One metric of one model's scores, with params' positive_class matched to its classes."""
    return compute(scored, (metric,), resolve_positive(scored.classes, positive_class))[metric]


CALIBRATION_BINS = 10
REGRESSION_BINS = 5
PLOT_DIGITS = 6


def plot_tables(scored: Scored, task: str, positive: object) -> dict[str, list[dict[str, Any]]]:
    """The plots dvc.yaml names, under the same file names and fields for every task, so
    switching data.task needs no edit there (a missing file is a "failed to load" warning).

    calibration: rows sorted by score in equal-count bins, mean score against the mean
    outcome: P(positive) against the positive rate (binary), top-class probability against
    accuracy (multiclass), prediction against the actual value (regression).
    confusion: actual against predicted label; for regression, the target's quantile bins.
    """
    score, outcome = _score_and_outcome(scored, task, positive)
    order = np.argsort(score, kind="stable")
    calibration = [
        {
            "predicted": round(float(score[chunk].mean()), PLOT_DIGITS),
            "observed": round(float(outcome[chunk].mean()), PLOT_DIGITS),
        }
        for chunk in np.array_split(order, min(CALIBRATION_BINS, len(order)))
        if len(chunk)
    ]
    actual: Any = scored.y_true
    predicted: Any = scored.y_pred
    if task == "regression":
        actual, predicted = _quantile_labels(scored.y_true, scored.y_pred)
    confusion = [
        {"actual": str(a), "predicted": str(p)} for a, p in zip(actual, predicted, strict=True)
    ]
    return {"calibration": calibration, "confusion": confusion}


def _score_and_outcome(s: Scored, task: str, positive: object) -> tuple[NDArray[Any], NDArray[Any]]:
    if task == "regression":
        return s.y_pred.astype(float), s.y_true.astype(float)
    correct = (s.y_pred == s.y_true).astype(float)
    if task == "binary":
        is_positive = (s.y_true == positive).astype(float)
        if s.proba is None:  # no probabilities: the predicted label is the only score
            return (s.y_pred == positive).astype(float), is_positive
        return _positive_scores(s, positive), is_positive
    top = s.proba.max(axis=1) if s.proba is not None else np.ones(len(correct))
    return top, correct


def _quantile_labels(y_true: NDArray[Any], y_pred: NDArray[Any]) -> tuple[list[str], list[str]]:
    """Actual and predicted values as the actual values' quantile bins, e.g. `2: 87-140`."""
    truth = y_true.astype(float)
    inner = np.unique(np.quantile(truth, np.linspace(0, 1, REGRESSION_BINS + 1)[1:-1]))
    bounds = [float(truth.min()), *inner.tolist(), float(truth.max())]
    names = [f"{i + 1}: {bounds[i]:.4g}-{bounds[i + 1]:.4g}" for i in range(len(bounds) - 1)]

    def label(values: NDArray[Any]) -> list[str]:
        return [names[i] for i in np.searchsorted(inner, values.astype(float), side="right")]

    return label(truth), label(y_pred)


def from_predictions(frame: pd.DataFrame) -> Scored:
    """Rebuild a Scored from a predictions file written by evaluate."""
    proba_cols = [c for c in frame.columns if c.startswith(PROBA_PREFIX)]
    classes = [_parse_class(c[len(PROBA_PREFIX) :], frame["y_true"]) for c in proba_cols]
    proba = frame[proba_cols].to_numpy(dtype=float) if proba_cols else None
    return Scored(frame["y_true"].to_numpy(), frame["y_pred"].to_numpy(), proba, classes)


def _parse_class(text: str, y_true: pd.Series) -> object:
    for value in pd.unique(y_true):
        if str(value) == text:
            return value
    return text
