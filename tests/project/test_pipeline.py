"""The model pipeline (src/ml_project/pipeline.py) builds what params.yaml asks for.

These pin down the shipped builder: change them with it when you add feature engineering.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gitops_ml.artifact import model
from gitops_ml.core import params
from gitops_ml.core.errors import UserError
from ml_project.pipeline import build_pipeline
from tests.template.support.frames import ESTIMATORS, SPEC, make_params, mixed_frame


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_pipeline_fits_numeric_and_categorical_columns_with_missing_values(task: str) -> None:
    frame = mixed_frame(task)
    pipeline = build_pipeline(make_params(task), SPEC).fit(frame[SPEC.columns], frame["y"])
    predictions = pipeline.predict(frame[SPEC.columns])
    assert len(predictions) == len(frame)
    if task != "regression":
        assert set(predictions) <= set(frame["y"])
        assert hasattr(pipeline, "predict_proba")


def test_scaling_is_added_for_linear_models_and_skipped_for_trees() -> None:
    linear = build_pipeline(make_params("binary"), SPEC)
    trees = build_pipeline(make_params("binary", "sklearn.ensemble.RandomForestClassifier"), SPEC)
    numeric = lambda p: p.named_steps["preprocess"].transformers[0][1]  # noqa: E731
    assert list(dict(numeric(linear).steps)) == ["impute", "scale"]
    assert numeric(trees) == "passthrough"  # trees split on raw values and route NaN themselves


def test_numeric_impute_none_is_refused_for_estimators_that_reject_missing_values() -> None:
    p = params.parse(
        {
            "data": {"path": "data/x.csv", "target": "y", "task": "binary"},
            "model": {"estimator": ESTIMATORS["binary"], "numeric_impute": "none"},
            "evaluate": {"primary_metric": "roc_auc"},
        }
    )
    with pytest.raises(UserError) as err:
        build_pipeline(p, SPEC)
    assert err.value.field == "model.numeric_impute"
    assert "LogisticRegression" in err.value.problem


def test_histgradientboosting_gets_category_codes_and_splits_on_them_natively(
    tmp_path: Path,
) -> None:
    native = build_pipeline(make_params("multiclass"), SPEC)
    as_numbers = build_pipeline(make_params("multiclass", categorical_features=None), SPEC)
    for pipeline in (native, as_numbers):
        encoder = dict(pipeline.named_steps["preprocess"].transformers[1][1].steps)["encode"]
        assert type(encoder).__name__ == "OrdinalEncoder"  # one column per feature, not one-hot
    assert list(native.named_steps["estimator"].categorical_features) == [False, False, True]
    assert as_numbers.named_steps["estimator"].categorical_features is None  # the user's choice
    frame = mixed_frame("multiclass")
    for pipeline in (native, as_numbers):
        pipeline.fit(frame[SPEC.columns], frame["y"])
        unseen = frame[SPEC.columns].head(3).assign(colour="purple")  # unknown category
        assert len(pipeline.predict(unseen)) == 3
    model.save(native, tmp_path / "native.skops")  # its category preprocessing loads safely
    reloaded = model.load(tmp_path / "native.skops")
    np.testing.assert_array_equal(
        reloaded.predict_proba(frame[SPEC.columns]), native.predict_proba(frame[SPEC.columns])
    )
