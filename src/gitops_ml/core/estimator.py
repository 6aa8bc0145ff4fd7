"""The estimator params.yaml names: imported by path, its hyperparameters checked, fitted
with a fixed thread count so the same params give the same model bytes on any machine."""

from __future__ import annotations

import difflib
import importlib
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from gitops_ml.core.errors import UserError
from gitops_ml.core.params import Params

# Estimators that need standardised inputs; trees and boosting do not.
_SCALE_FREE = re.compile(r"(Tree|Forest|Boost|Bagging|Dummy|NaiveBayes|NB)", re.IGNORECASE)


def estimator_class(path: str) -> type:
    """Import an estimator class from its dotted path, e.g. sklearn.linear_model.Ridge."""
    module_name, _, class_name = path.rpartition(".")
    full_path = "use a full import path such as sklearn.ensemble.HistGradientBoostingClassifier"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        package = (err.name or module_name).split(".")[0]
        fix = (
            full_path
            if package == "sklearn"
            else f"if {package!r} is a library, add it to pyproject.toml's dependencies, then "
            "`make lock` and `make setup`; else check the spelling (e.g. sklearn.linear_model.Ridge)"
        )
        raise UserError(
            "params.yaml", "model.estimator", f"cannot import {path!r} ({err})", fix
        ) from None
    except ImportError as err:
        raise UserError(
            "params.yaml", "model.estimator", f"cannot import {path!r} ({err})", full_path
        ) from None
    cls = getattr(module, class_name, None)
    if cls is None:
        close = difflib.get_close_matches(class_name, dir(module), n=1)
        raise UserError(
            "params.yaml",
            "model.estimator",
            f"{module_name} has no {class_name!r}",
            f"did you mean {module_name}.{close[0]}?" if close else full_path,
        )
    if not (isinstance(cls, type) and hasattr(cls, "fit") and hasattr(cls, "get_params")):
        raise UserError(
            "params.yaml",
            "model.estimator",
            f"{path!r} is not an estimator (a class with fit and get_params)",
            "name a scikit-learn compatible estimator class, e.g. sklearn.linear_model.Ridge",
        )
    return cls


def build_estimator(params: Params) -> Any:
    from sklearn.base import is_classifier, is_regressor

    cls = estimator_class(params.model.estimator)
    allowed = sorted(cls().get_params(deep=False))
    unknown = sorted(set(params.model.params) - set(allowed))
    if unknown:
        raise UserError(
            "params.yaml",
            f"model.params.{unknown[0]}",
            f"{cls.__name__} has no hyperparameter(s) {unknown}",
            f"allowed: {', '.join(allowed)}",
        )
    hyper = dict(params.model.params)
    if "random_state" in allowed and "random_state" not in hyper:
        hyper["random_state"] = params.seed
    try:
        estimator = cls(**hyper)
        _validate_values(estimator)
    except (TypeError, ValueError) as err:
        named = re.search(r"The '(\w+)' parameter", str(err))
        key = f"model.params.{named.group(1)}" if named else "model.params"
        raise UserError("params.yaml", key, str(err), f"give {key} an allowed value") from None
    wants = "classifier" if params.is_classification else "regressor"
    fits = is_classifier(estimator) if params.is_classification else is_regressor(estimator)
    if not fits:
        raise UserError(
            "params.yaml",
            "model.estimator",
            f"{params.model.estimator} is not a {wants}, but data.task is {params.data.task!r}",
            f"choose a {wants} or change data.task",
        )
    return estimator


def _validate_values(estimator: Any) -> None:
    """Check hyperparameter values as `fit` would (types, ranges, choices), so that
    `make check` refuses `max_iter: -1` before DVC deletes the last model. Estimators
    outside scikit-learn may lack the hook; they are checked when they fit."""
    validate = getattr(estimator, "_validate_params", None)
    if callable(validate):
        validate()


def needs_scaling(params: Params) -> bool:
    if params.model.scale_numeric != "auto":
        return bool(params.model.scale_numeric)
    return not _SCALE_FREE.search(params.model.estimator.rpartition(".")[2])


@contextmanager
def fixed_threads(threads: int) -> Iterator[None]:
    """Fit and score with exactly `threads` OpenMP and BLAS threads, on any machine.

    HistGradientBoosting sums gradients in parallel; with another thread count the sums
    round differently and the model file differs (1, 2, 3 and 4 threads give four
    models). scikit-learn caps OpenMP threads at the machine's cores unless
    OMP_NUM_THREADS is set, so it is set for the duration, and threadpoolctl sets the
    runtimes already loaded.
    """
    from threadpoolctl import threadpool_limits

    before = os.environ.get("OMP_NUM_THREADS")
    os.environ["OMP_NUM_THREADS"] = str(threads)
    try:
        with threadpool_limits(limits=threads):
            yield
    finally:
        if before is None:
            os.environ.pop("OMP_NUM_THREADS", None)
        else:
            os.environ["OMP_NUM_THREADS"] = before


# What each target transform needs of the target, and the inverse that puts predictions
# back on the target's scale (so every metric is on the original scale).
TRANSFORMS: dict[str, tuple[str, str, float]] = {
    # name: (forward ufunc, inverse ufunc, targets must be greater than this)
    "log": ("log", "exp", 0.0),
    "log1p": ("log1p", "expm1", -1.0),
}


def check_target(params: Params, target: Any) -> None:
    """Refuse a target the transform cannot take (log of 0), before anything is fitted."""
    import numpy as np

    name = params.model.target_transform
    if name is None:
        return
    bound = TRANSFORMS[name][2]
    values = np.asarray(target, dtype=float)
    bad = int(np.sum(~(values > bound)))
    if bad:
        fix = (
            "use target_transform: log1p (targets >= 0), or null"
            if name == "log" and np.nanmin(values) >= 0
            else "use target_transform: null (the target has values log1p cannot take)"
        )
        raise UserError(
            "params.yaml",
            "model.target_transform",
            f"{name} needs every {params.data.target!r} value > {bound:g}; {bad} of "
            f"{len(values)} are not (min {np.nanmin(values):.4g})",
            fix,
        )


def finish(params: Params, pipeline: Any) -> Any:
    """The team's pipeline with its final estimator wrapped as the model section asks.

    The wrappers are the machinery's, not the team's builder's: every consumer (the train
    stage, the PR checks) builds through here and so fits the same model. Only the final
    step is wrapped, so the preprocessing still runs once before the estimator fits
    (the train stage's memory path). With none of the options set the pipeline is
    returned untouched: the same model bytes as before the options existed.
    """
    m = params.model
    if m.target_transform is None and m.threshold is None and m.calibration is None:
        return pipeline
    steps = getattr(pipeline, "steps", None)
    if steps is None:
        return wrap(params, pipeline)
    name, estimator = steps[-1]
    steps[-1] = (name, wrap(params, estimator))
    return pipeline


def wrap(params: Params, estimator: Any) -> Any:
    """TransformedTargetRegressor, CalibratedClassifierCV and a threshold classifier,
    seeded, with `model.cv` stratified folds of the train split."""
    import numpy as np
    from sklearn.model_selection import StratifiedKFold

    m = params.model
    if m.target_transform is not None:
        from sklearn.compose import TransformedTargetRegressor

        forward, inverse, _ = TRANSFORMS[m.target_transform]
        return TransformedTargetRegressor(
            regressor=estimator, func=getattr(np, forward), inverse_func=getattr(np, inverse)
        )
    folds = StratifiedKFold(n_splits=m.cv, shuffle=True, random_state=params.seed)
    if m.calibration is not None:
        from sklearn.calibration import CalibratedClassifierCV

        estimator = CalibratedClassifierCV(estimator, method=m.calibration, cv=folds)
    if m.threshold is None:
        return estimator
    positive = params.data.positive_class
    if isinstance(m.threshold, float):
        from sklearn.model_selection import FixedThresholdClassifier

        return FixedThresholdClassifier(
            estimator, threshold=m.threshold, pos_label=positive, response_method="predict_proba"
        )
    from sklearn.metrics import balanced_accuracy_score, f1_score, make_scorer
    from sklearn.model_selection import TunedThresholdClassifierCV

    scoring = (
        make_scorer(f1_score, pos_label=positive)
        if m.threshold.criterion == "f1"
        else make_scorer(balanced_accuracy_score)
    )
    return TunedThresholdClassifierCV(
        estimator, scoring=scoring, cv=folds, random_state=params.seed
    )


def decision_threshold(model: Any) -> float | None:
    """The probability threshold a fitted model predicts the positive class from, when the
    model section set one (fixed or chosen on the train split); else None."""
    final = model.steps[-1][1] if hasattr(model, "steps") else model
    chosen = getattr(final, "best_threshold_", None)
    if chosen is None and type(final).__name__ == "FixedThresholdClassifier":
        chosen = final.threshold
    return None if chosen is None else float(chosen)
