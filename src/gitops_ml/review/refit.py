"""Refit variants of the model on the prepared train split and compare them.

Two checks of the ML Test Score share this package's helper, `fit_and_score`: build the pipeline
from params (with some hyperparameters changed, or some features left out), fit it on
one frame and score the primary metric on another.

- `tune-check` (`tune.py`; M3, all hyperparameters have been tuned): the committed hyperparameters
  against each one-at-a-time neighbour from `tune.params`, by seeded k-fold
  cross-validation on the train split only. Exit 1 when a neighbour wins by more than
  `tune.tolerance`.
- `feature-cost` (`feature_cost.py`; D3, no feature's cost is too much): the full model against the model
  without one feature, both refit on the train split and scored on the test split:
  primary metric, prediction latency and model file size
  (report/feature_cost.json, report/feature_cost.md); exit 1 when a feature within noise
  costs more of the model file than `gate.max_feature_cost`.
- `search` (`search.py`): candidates from `search.params` by k-fold CV, the same way.

Every refit is one `Fit`, run by `run_fit` wherever `gitops_ml.core.executor` sends it
(in-process, local processes or a Dask cluster): a Fit carries the split's path, not its
rows, so a worker reads the data itself and the client never ships it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from gitops_ml.core.data import FeatureSpec
from gitops_ml.core.params import Params
from gitops_ml.evaluation import metrics

if TYPE_CHECKING:
    from numpy.typing import NDArray

DIGITS = 6
# The rows a Fit reads: a path a worker can open (absolute), or a frame for in-memory use.
Source = str | pd.DataFrame


@dataclass
class Variant:
    """One refit model: what was changed, the fitted pipeline and its primary metric."""

    pipeline: Any
    spec: FeatureSpec
    value: float


def with_hyper(p: Params, changes: dict[str, Any]) -> Params:
    """A copy of params whose model.params has `changes` applied."""
    model = p.model.model_copy(update={"params": {**p.model.params, **changes}})
    return p.model_copy(update={"model": model})


def without(spec: FeatureSpec, drop: str | None) -> FeatureSpec:
    """The feature spec with one column left out (None: unchanged)."""
    if drop is None:
        return spec
    numeric = [c for c in spec.numeric if c != drop]
    categorical = [c for c in spec.categorical if c != drop]
    return FeatureSpec(numeric, categorical, spec.target)


def primary_value(
    p: Params, pipeline: Any, frame: pd.DataFrame, spec: FeatureSpec, metric: str | None = None
) -> float:
    """The primary metric (or `metric`) of a fitted pipeline on `frame`, as evaluate computes it."""
    from gitops_ml.evaluation.predict import score

    scored = score(pipeline, frame, spec)
    return metrics.primary_value(scored, metric or p.evaluate.primary_metric, p.data.positive_class)


def fit_and_score(
    p: Params,
    spec: FeatureSpec,
    fit_on: pd.DataFrame,
    score_on: pd.DataFrame,
    drop: str | None = None,
    metric: str | None = None,
) -> Variant:
    """Build the pipeline of `p` without feature `drop`, fit on `fit_on`, score `score_on`."""
    from gitops_ml.core.estimator import fixed_threads
    from gitops_ml.core.hook import build_pipeline

    used = without(spec, drop)
    pipeline = build_pipeline(p, used)
    with fixed_threads(p.model.threads):  # as the train stage fits
        pipeline.fit(fit_on[used.columns], fit_on[used.target])
    return Variant(pipeline, used, primary_value(p, pipeline, score_on, used, metric))


@dataclass(frozen=True)
class Fit:
    """One refit, self-contained so that any process or Dask worker can run it.

    `fit_rows`/`score_rows` are row positions in the two sources (None: every row); `metric`
    None scores the primary metric; `keep` returns the fitted pipeline (feature-cost times
    it), otherwise only numbers travel back."""

    params: Params
    spec: FeatureSpec
    fit_on: Source
    score_on: Source
    fit_rows: NDArray[Any] | None = None
    score_rows: NDArray[Any] | None = None
    drop: str | None = None
    metric: str | None = None
    keep: bool = False


@dataclass(frozen=True)
class Outcome:
    """What a Fit returns: the score, or why the estimator refused the setting."""

    value: float
    seconds: float
    worker: str
    error: str | None = None
    variant: Variant | None = None


def rows(source: Source, spec: FeatureSpec, at: NDArray[Any] | None = None) -> pd.DataFrame:
    """The features and target of a source (at row positions `at`), read once per process."""
    from gitops_ml.core.executor import read_split

    columns = [*spec.columns, spec.target]
    frame = source if isinstance(source, pd.DataFrame) else read_split(Path(source), columns)
    return frame if at is None else frame.iloc[at]


def run_fit(fit: Fit) -> Outcome:
    """Run one Fit; a setting the estimator refuses comes back as `error`, not an exception."""
    from gitops_ml.core.errors import UserError
    from gitops_ml.core.executor import worker_name

    fit_on = rows(fit.fit_on, fit.spec, fit.fit_rows)
    score_on = rows(fit.score_on, fit.spec, fit.score_rows)
    start = time.perf_counter()
    try:
        variant = fit_and_score(fit.params, fit.spec, fit_on, score_on, fit.drop, fit.metric)
    except (UserError, TypeError, ValueError) as err:  # sklearn validates at fit
        problem = err.problem if isinstance(err, UserError) else str(err)
        return Outcome(float("nan"), time.perf_counter() - start, worker_name(), problem)
    seconds = time.perf_counter() - start
    return Outcome(variant.value, seconds, worker_name(), None, variant if fit.keep else None)


def source(path: Path) -> str:
    """A split's path as tasks carry it: absolute, since a worker's directory may differ."""
    return str(path.resolve())


def rounded(value: float | None) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), DIGITS)


def fmt(value: float | None, digits: int = 4, sign: str = "") -> str:
    return "n/a" if value is None else f"{value:{sign}.{digits}f}"
