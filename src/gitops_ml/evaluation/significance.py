"""Is the primary metric's change more than noise? Bootstrap (and McNemar) on the test rows.

When both models scored the same test rows, one resample is applied to both (paired): the
interval then shows only the models' disagreement, not the luck of the test split. When the
data or split changed, the rows differ, and each side is resampled on its own (unpaired).

The bootstrap calls the metric ~2,000 times, so accuracy, binary ROC AUC, RMSE and MAE use
vectorised forms that give exactly the numbers of `gitops_ml.evaluation.metrics` (a unit test pins
that); any other metric goes through `gitops_ml.evaluation.metrics` itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict

import numpy as np
import pandas as pd

from gitops_ml.core import stats
from gitops_ml.core.config import ROW_ID
from gitops_ml.evaluation import metrics

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Metric = Callable[[NDArray[Any]], float]  # a metric of the rows at these indices

RESAMPLES = 1000
SLOW_RESAMPLES = 200  # for metrics computed through sklearn (~3 ms per call)


class _BootstrapOptions(TypedDict):
    """The keyword arguments both bootstraps take (`stats.paired_bootstrap`, `unpaired_...`)."""

    higher_is_better: bool
    resamples: int
    seed: int


@dataclass
class Significance:
    interval: stats.Interval | None
    mcnemar: stats.McNemar | None = None
    rows_base: int = 0
    rows_pr: int = 0
    rows_common: int = 0
    notes: list[str] = field(default_factory=list)


def _binary_auc(is_positive: NDArray[Any], score: NDArray[Any]) -> Metric:
    """ROC AUC on resampled rows in O(n): equal to roc_auc_score, ties counted as one half.

    Scores are sorted and tied scores grouped once; a resample only changes how often each
    row counts, so each call is two bincounts and a cumulative sum instead of a sort.
    """
    order = np.argsort(score, kind="stable")
    _, inverse = np.unique(score[order], return_inverse=True)
    # numpy 2.5+ stubs (3.12 syntax), read by mypy for 3.10, lack .max() on an intp array
    group: NDArray[Any] = inverse
    rank_of_row = np.empty_like(group)
    rank_of_row[order] = group
    groups = int(group.max()) + 1 if group.size else 0

    def auc(rows: NDArray[Any]) -> float:
        weight = np.bincount(rows, minlength=score.size).astype(float)
        pos = np.bincount(rank_of_row, weights=weight * is_positive, minlength=groups)
        neg = np.bincount(rank_of_row, weights=weight * ~is_positive, minlength=groups)
        total_pos, total_neg = pos.sum(), neg.sum()
        if total_pos == 0 or total_neg == 0:
            return float("nan")
        below = np.cumsum(neg) - neg
        return float(np.sum(pos * (below + 0.5 * neg)) / (total_pos * total_neg))

    return auc


def _log_loss(scored: metrics.Scored) -> Metric:
    """Mean negative log-probability of the true class, clipped and renormalised as sklearn does."""
    assert scored.proba is not None
    eps = np.finfo(scored.proba.dtype).eps
    proba = np.clip(scored.proba, eps, 1 - eps)
    proba = proba / proba.sum(axis=1, keepdims=True)
    index = {str(c): i for i, c in enumerate(scored.classes)}
    truth = np.array([index.get(str(v), -1) for v in scored.y_true])
    if (truth < 0).any():
        return lambda rows: float("nan")
    loss = -np.log(proba[np.arange(truth.size), truth])
    return lambda rows: float(np.mean(loss[rows]))


def _regression(name: str, y: NDArray[Any], pred: NDArray[Any]) -> Metric:
    error = y - pred
    if name == "rmse":
        return lambda rows: float(np.sqrt(np.mean(error[rows] ** 2)))
    if name == "mae":
        return lambda rows: float(np.mean(np.abs(error[rows])))

    def r2(rows: NDArray[Any]) -> float:
        total = np.sum((y[rows] - y[rows].mean()) ** 2)
        return float(1.0 - np.sum(error[rows] ** 2) / total) if total else float("nan")

    return r2


def _from_counts(name: str, scored: metrics.Scored, positive: object) -> Metric:
    """Binary F1 and balanced accuracy from weighted counts, as sklearn computes them."""
    truth = scored.y_true.astype(str)
    pred = scored.y_pred.astype(str)
    if name == "f1":
        is_true, is_pred = truth == str(positive), pred == str(positive)

        def f1(rows: NDArray[Any]) -> float:
            t, p = is_true[rows], is_pred[rows]
            tp = np.sum(t & p)
            denominator = 2 * tp + np.sum(~t & p) + np.sum(t & ~p)
            return float(2 * tp / denominator) if denominator else 0.0

        return f1
    correct = truth == pred

    def balanced(rows: NDArray[Any]) -> float:
        labels, index = np.unique(truth[rows], return_inverse=True)
        hits = np.bincount(index, weights=correct[rows], minlength=labels.size)
        return float(np.mean(hits / np.bincount(index, minlength=labels.size)))

    return balanced


def _fast(name: str, scored: metrics.Scored, positive: object) -> Metric | None:
    y, pred = scored.y_true, scored.y_pred
    if name == "accuracy":
        correct = y == pred
        return lambda rows: float(np.mean(correct[rows]))
    if name in {"rmse", "mae", "r2"}:
        return _regression(name, y.astype(float), pred.astype(float))
    if name == "balanced_accuracy" or (name == "f1" and len(scored.classes) == 2):
        return _from_counts(name, scored, positive)
    if name == "roc_auc" and len(scored.classes) == 2 and scored.proba is not None:
        is_positive = np.asarray(y == positive, dtype=bool)
        return _binary_auc(is_positive, scored.proba[:, scored.classes.index(positive)])
    if name == "log_loss" and scored.proba is not None:
        return _log_loss(scored)
    return None


def metric_on_rows(name: str, scored: metrics.Scored, positive: object) -> Metric:
    """`metric(rows)`: the named metric of `scored` restricted to row indices `rows`."""
    fast = _fast(name, scored, positive)
    if fast is not None:
        return fast
    compute = metrics.METRICS[name]

    def generic(rows: NDArray[Any]) -> float:
        try:
            return compute(scored.take(rows), positive)
        except ValueError:  # e.g. a resample with a single class
            return float("nan")

    return generic


def _positive(scored: metrics.Scored, configured: object) -> object:
    return metrics.resolve_positive(scored.classes, configured) if scored.classes else None


def significance(
    name: str,
    base: pd.DataFrame,
    pr: pd.DataFrame,
    positive_class: object,
    higher_is_better: bool,
    seed: int,
    resamples: int = RESAMPLES,
) -> Significance:
    """Interval of PR - base for metric `name` from the two predictions files."""
    base = base.sort_values(ROW_ID, kind="stable").reset_index(drop=True)
    pr = pr.sort_values(ROW_ID, kind="stable").reset_index(drop=True)
    common = len(np.intersect1d(base[ROW_ID], pr[ROW_ID]))
    out = Significance(None, rows_base=len(base), rows_pr=len(pr), rows_common=common)
    base_scored, pr_scored = metrics.from_predictions(base), metrics.from_predictions(pr)
    positive = _positive(pr_scored, positive_class)
    paired = base[ROW_ID].equals(pr[ROW_ID]) and np.array_equal(
        base_scored.y_true.astype(str), pr_scored.y_true.astype(str)
    )
    base_metric = metric_on_rows(name, base_scored, _positive(base_scored, positive_class))
    pr_metric = metric_on_rows(name, pr_scored, positive)
    if _fast(name, pr_scored, positive) is None and resamples > SLOW_RESAMPLES:
        resamples = SLOW_RESAMPLES
        out.notes.append(f"{name} has no fast form: {resamples} resamples instead of {RESAMPLES}")
    options: _BootstrapOptions = {
        "higher_is_better": higher_is_better,
        "resamples": resamples,
        "seed": seed,
    }
    if paired:
        out.interval = stats.paired_bootstrap(
            lambda rows: pr_metric(rows) - base_metric(rows), len(pr), **options
        )
        if name == "accuracy":
            out.mcnemar = stats.mcnemar(
                base_scored.y_true == base_scored.y_pred, pr_scored.y_true == pr_scored.y_pred
            )
        return out
    out.notes.append(
        f"The test rows differ (BASE {len(base)}, PR {len(pr)}, {common} in common): "
        "the data or the split changed, so the interval is unpaired"
    )
    out.interval = stats.unpaired_bootstrap(base_metric, len(base), pr_metric, len(pr), **options)
    return out
