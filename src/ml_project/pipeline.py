"""YOUR MODEL: the scikit-learn pipeline every stage and check fits (edit freely).

params.yaml chooses the estimator and the preprocessing options; change this file to add
feature engineering (any scikit-learn transformer, e.g. a FunctionTransformer deriving date
parts or ratios). The machinery finds this builder through `[tool.gitops-ml] pipeline` in
pyproject.toml, so the PR checks (tune-check, feature-cost, train-cost) fit exactly what the
train stage fits. Keep it deterministic: seed from `params.seed`, no wall-clock features.
"""

from __future__ import annotations

from typing import Any

from gitops_ml.core.data import MISSING_CATEGORY, FeatureSpec
from gitops_ml.core.errors import UserError
from gitops_ml.core.estimator import build_estimator, needs_scaling
from gitops_ml.core.params import Params


def _categorical_steps(
    estimator: Any, params: Params, n_numeric: int, n_categorical: int
) -> list[tuple[str, Any]]:
    """Missing values become a category of their own; then one-hot for most estimators and
    integer codes for those that split on categories natively.

    HistGradientBoosting handles categories itself: integer codes keep its input at one
    column per feature, where a dense one-hot matrix is many times the data's size. Setting
    its `categorical_features` to null in params.yaml makes it split on the codes as
    numbers instead, which saves a copy of the feature matrix (docs/scaling.md).
    """
    import numpy as np
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder

    impute = ("impute", SimpleImputer(strategy="constant", fill_value=MISSING_CATEGORY))
    hyper = estimator.get_params(deep=False)
    if "categorical_features" not in hyper:
        return [impute, ("encode", OneHotEncoder(handle_unknown="ignore", sparse_output=False))]
    if "categorical_features" not in params.model.params:  # else the user's choice, e.g. null
        estimator.set_params(categorical_features=[False] * n_numeric + [True] * n_categorical)
    encoder = OrdinalEncoder(
        handle_unknown="use_encoded_value",
        unknown_value=np.nan,
        max_categories=hyper.get("max_bins", 255),
    )
    return [impute, ("encode", encoder)]


def _numeric_steps(params: Params, estimator: Any) -> list[tuple[str, Any]]:
    """Impute and scale as configured; `auto` imputation leaves missing values to estimators
    that handle them (HistGradientBoosting, trees), which learn where missing rows go and
    spare the copies that median imputation makes of the whole numeric block."""
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import StandardScaler
    from sklearn.utils import get_tags

    strategy = params.model.numeric_impute
    allow_nan = get_tags(estimator).input_tags.allow_nan
    if strategy == "auto":
        strategy = "none" if allow_nan else "median"
    elif strategy == "none" and not allow_nan:
        raise UserError(
            "params.yaml",
            "model.numeric_impute",
            f"'none' leaves missing values to {type(estimator).__name__}, which refuses them",
            "use auto (or mean, median, most_frequent)",
        )
    steps: list[tuple[str, Any]] = []
    if strategy != "none":
        steps.append(("impute", SimpleImputer(strategy=strategy)))
    if needs_scaling(params):
        steps.append(("scale", StandardScaler()))
    return steps


def build_pipeline(params: Params, spec: FeatureSpec) -> Any:
    """ColumnTransformer (impute, scale, encode categories) followed by the configured estimator."""
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline

    estimator = build_estimator(params)
    transformers: list[tuple[str, Any, list[str]]] = []
    if spec.numeric:
        steps = _numeric_steps(params, estimator)
        transformers.append(("numeric", Pipeline(steps) if steps else "passthrough", spec.numeric))
    if spec.categorical:
        steps = _categorical_steps(estimator, params, len(spec.numeric), len(spec.categorical))
        transformers.append(("categorical", Pipeline(steps), spec.categorical))
    if not transformers:
        raise UserError("params.yaml", "data.features", "no feature columns", "list some features")
    preprocess = ColumnTransformer(
        transformers, sparse_threshold=0.0, verbose_feature_names_out=False
    )
    return Pipeline([("preprocess", preprocess), ("estimator", estimator)])
