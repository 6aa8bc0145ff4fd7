"""train: prepared train split -> scikit-learn pipeline from params -> skops model file."""

from __future__ import annotations

import time
from typing import Any

import pandas as pd

from gitops_ml.artifact import model
from gitops_ml.core import config, data, params, process
from gitops_ml.core.data import FeatureSpec
from gitops_ml.core.errors import UserError, exit_on_user_error
from gitops_ml.core.estimator import check_target, finish, fixed_threads
from gitops_ml.evaluation import predict, resources

from ..pipeline import build_pipeline

# Words in scikit-learn's messages when a fit diverges (MLP, SGD: "non-finite parameter
# weights", "Floating-point under-/overflow"), as opposed to a bug or a bad parameter.
NUMERIC_FAILURES = ("non-finite", "overflow", "infs or nans")


def _features(pipeline: Any, spec: FeatureSpec) -> tuple[Any, pd.Series]:
    """Read the train split and fit the preprocessing steps; return their output and the target.

    The same steps as `pipeline.fit`, but the DataFrame and the memory behind it are freed
    before the estimator is fitted, so the estimator's own copies of the feature matrix
    do not pile on top of the raw frame (docs/scaling.md).
    """
    frame = data.read_parquet(config.TRAIN_FILE, columns=[*spec.columns, spec.target])
    target = frame.pop(spec.target)
    features = pipeline[:-1].fit_transform(frame, target)
    del frame
    data.release_arrow_memory()
    return features, target


def _fit(estimator: Any, features: Any, target: pd.Series, name: str) -> None:
    """Fit; a numerical failure (weights overflowed) or settings that do not suit this data
    (liblinear on three classes) are the user's to fix: scikit-learn's words say which."""
    try:
        estimator.fit(features, target)
    except (ValueError, FloatingPointError) as err:
        if any(word in str(err).lower() for word in NUMERIC_FAILURES):
            problem, fix = f"{name} failed numerically: {err}", predict.UNSTABLE_FIX
        else:
            problem = f"{name} cannot be fitted on the train split: {err}"
            fix = "change model.params (or model.estimator) as the message says; `make check` first"
        raise UserError("params.yaml", "model", problem, fix) from None


@exit_on_user_error
def main() -> None:
    start = time.perf_counter()
    p = params.load()
    spec = FeatureSpec.load()
    # The machinery wraps the estimator as params.yaml's model section asks (target
    # transform, calibration, threshold), exactly as the PR checks build it.
    pipeline = finish(p, build_pipeline(p, spec))
    with fixed_threads(p.model.threads):  # the same bytes on every machine
        features, target = _features(pipeline, spec)
        check_target(p, target)
        _fit(pipeline[-1], features, target, p.model.estimator)
        predict.check_stability(pipeline[-1], features, target, p.data.task)
    rows = len(target)
    del features, target
    model.save(pipeline, config.MODEL_FILE)
    resources.record(time.perf_counter() - start)  # git-ignored: never in dvc.lock
    print(f"train: {p.model.estimator} fitted on {rows} rows -> {config.MODEL_FILE}")


if __name__ == "__main__":
    process.run(main)
