"""Numerical stability (ML Test Score Mo5): NaN or infinite predictions, and fits that
diverge, stop with the fix instead of reaching the metrics, the registry or serving."""

from __future__ import annotations

import importlib
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_diabetes
from sklearn.linear_model import LinearRegression, SGDRegressor
from sklearn.neural_network import MLPRegressor

from gitops_ml.core.errors import UserError
from gitops_ml.evaluation import predict
from tests.conftest import TEAM

_fit = importlib.import_module(f"{TEAM}.stages.train")._fit  # the train stage's own fit


def test_nan_predictions_and_nan_probabilities_are_refused_with_a_count() -> None:
    with pytest.raises(UserError) as err:
        predict.require_finite(np.array([1.0, np.nan, np.inf]), None, "model.skops")
    assert "2 of 3 rows are NaN or infinite" in str(err.value) and "params.yaml" in str(err.value)
    proba = np.array([[0.5, 0.5], [np.nan, np.nan]])
    with pytest.raises(UserError, match="1 of 2 rows"):
        predict.require_finite(np.array(["a", "b"]), proba, "model.skops")
    predict.require_finite(np.array(["a", "b"]), np.array([[1.0, 0.0], [0.2, 0.8]]), "x")


def _diabetes() -> tuple[pd.DataFrame, pd.Series]:
    frame = load_diabetes(as_frame=True).frame
    return frame.drop(columns="target"), frame["target"]


def test_a_diverged_regression_fit_is_caught_after_training() -> None:
    features, target = _diabetes()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        diverged = SGDRegressor(
            eta0=1e10, learning_rate="constant", max_iter=50, tol=None, random_state=0
        ).fit(features, target)
    with pytest.raises(UserError) as err:
        predict.check_stability(diverged, features, target, "regression")
    assert "train-row predictions reach" in str(err.value) and "[25, 346]" in str(err.value)
    sound = LinearRegression().fit(features, target)
    predict.check_stability(sound, features, target, "regression")


def test_an_estimator_that_fails_numerically_names_params_yaml_and_the_fix() -> None:
    features, target = _diabetes()
    estimator = MLPRegressor(learning_rate_init=1e8, solver="sgd", max_iter=50, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(UserError) as err:
            _fit(estimator, features, target, "sklearn.neural_network.MLPRegressor")
    text = str(err.value)
    assert text.startswith("params.yaml: model: sklearn.neural_network.MLPRegressor failed")
    assert "non-finite" in text and "lower the learning rate" in text


def test_other_fit_errors_are_not_mistaken_for_instability() -> None:
    """Settings that do not suit the data: scikit-learn's words, no traceback, no 'unstable'."""
    from sklearn.linear_model import LogisticRegression

    three_classes = pd.Series(["a", "b", "c"] * 4)
    with pytest.raises(UserError) as err:
        _fit(LogisticRegression(solver="liblinear"), np.eye(12)[:, :3], three_classes, "LR")
    assert "LR cannot be fitted on the train split" in err.value.problem
    assert "multiclass" in err.value.problem and "learning rate" not in err.value.fix
