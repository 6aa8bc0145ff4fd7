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
