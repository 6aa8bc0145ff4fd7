"""Model building for each task, safe loading, and byte-identical model files."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from gitops_ml.artifact import model
from gitops_ml.core import data
from gitops_ml.core.errors import UserError
from gitops_ml.core.estimator import build_estimator
from tests.conftest import team_builder
from tests.template.support.frames import SPEC, make_params, mixed_frame


def test_seed_is_passed_to_estimators_that_take_random_state() -> None:
    p = make_params("regression")
    assert build_estimator(p).random_state == p.seed


def test_unknown_hyperparameter_names_the_key_and_lists_allowed_ones() -> None:
    with pytest.raises(UserError) as err:
        build_estimator(make_params("regression", n_estimator=10))
    assert err.value.field == "model.params.n_estimator"
    assert "n_estimators" in err.value.fix


@pytest.mark.parametrize("value", [-1, 100.5, "many"])
def test_a_hyperparameter_value_out_of_its_range_is_refused_before_any_fit(value: object) -> None:
    estimator = "sklearn.ensemble.HistGradientBoostingClassifier"
    with pytest.raises(UserError) as err:
        build_estimator(make_params("binary", estimator, max_iter=value))
    assert err.value.field == "model.params.max_iter"
    assert "range [1, inf)" in err.value.problem


def test_regressor_for_a_classification_task_is_refused() -> None:
    with pytest.raises(UserError, match="not a classifier"):
        build_estimator(make_params("binary", "sklearn.linear_model.Ridge"))


@pytest.mark.parametrize(
    ("estimator", "problem", "fix"),
    [
        ("sklearn.linear_model.NoSuchModel", "has no 'NoSuchModel'", "full import path"),
        ("sklearn.no_such_module.Model", "cannot import", "full import path"),
        ("xgboost_not_installed.XGBClassifier", "No module named", "make lock"),
        ("os.getcwd", "is not an estimator", "sklearn.linear_model.Ridge"),
    ],
)
def test_estimator_that_cannot_be_imported_is_a_user_error_with_its_fix(
    estimator: str, problem: str, fix: str
) -> None:
    with pytest.raises(UserError) as err:
        build_estimator(make_params("binary", estimator))
    assert err.value.field == "model.estimator"
    assert problem in err.value.problem and fix in err.value.fix


def _fit_and_save(tmp_path: Path, name: str) -> Path:
    frame = mixed_frame("multiclass")
    pipeline = team_builder()(make_params("multiclass"), SPEC)
    pipeline.fit(frame[SPEC.columns], frame["y"])
    model.save(pipeline, tmp_path / name)
    return tmp_path / name


def test_saving_the_same_model_twice_gives_identical_bytes(tmp_path: Path) -> None:
    first = _fit_and_save(tmp_path, "a.skops").read_bytes()
    second = _fit_and_save(tmp_path, "b.skops").read_bytes()
    assert hashlib.sha256(first).digest() == hashlib.sha256(second).digest()
    assert model.canonicalize(first) == first  # canonical form is a fixed point


def test_loaded_model_predicts_exactly_like_the_saved_one(tmp_path: Path) -> None:
    frame = mixed_frame("binary")
    pipeline = team_builder()(make_params("binary"), SPEC).fit(frame[SPEC.columns], frame["y"])
    model.save(pipeline, tmp_path / "m.skops")
    loaded = model.load(tmp_path / "m.skops")
    np.testing.assert_array_equal(
        loaded.predict_proba(frame[SPEC.columns]), pipeline.predict_proba(frame[SPEC.columns])
    )


def test_missing_or_corrupt_model_file_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="not found"):
        model.load(tmp_path / "absent.skops")
    (tmp_path / "junk.skops").write_bytes(b"not a zip")
    with pytest.raises(UserError, match="not a valid skops model file"):
        model.load(tmp_path / "junk.skops")


def test_a_model_file_that_would_call_a_library_function_is_refused_before_it_runs(
    tmp_path: Path,
) -> None:
    """A function inside scikit-learn is still a function: only named ones may load."""
    import functools

    import skops.io as sio
    from sklearn.preprocessing import FunctionTransformer
    from sklearn.utils._testing import assert_run_python_script_without_output

    marker = tmp_path / "ran"
    payload = functools.partial(
        assert_run_python_script_without_output, f"open({str(marker)!r}, 'w').close()"
    )
    (tmp_path / "evil.skops").write_bytes(sio.dumps(FunctionTransformer(func=payload)))
    with pytest.raises(UserError, match="untrusted type") as refused:
        model.load(tmp_path / "evil.skops")
    assert "sklearn.utils._testing.assert_run_python_script_without_output" in str(refused.value)
    assert not marker.exists()


def test_a_class_stored_as_a_value_is_refused_unless_it_is_a_dtype(tmp_path: Path) -> None:
    """A trusted package's class is safe to rebuild, not to hand a transformer to call."""
    import collections

    import numpy as np
    import skops.io as sio
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder

    callable_class = FunctionTransformer(func=collections.deque, kw_args={"maxlen": 1})
    (tmp_path / "evil.skops").write_bytes(sio.dumps(callable_class))
    with pytest.raises(UserError, match=r"collections\.deque \(as a value\)"):
        model.load(tmp_path / "evil.skops")
    encoder = OneHotEncoder(dtype=np.float32).fit([["a"], ["b"]])
    model.save(encoder, tmp_path / "dtype.skops")
    assert model.load(tmp_path / "dtype.skops").dtype is np.float32


@pytest.mark.parametrize(
    ("name", "trusted"),
    [
        ("sklearn.tree._tree.Tree", True),  # an (extension) class
        ("sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor", True),
        ("sklearn.utils.validation.check_array", True),  # a function named in the allowlist
        ("functools.partial", True),
        ("sklearn.datasets.fetch_openml", False),  # a function: would download
        ("sklearn.utils._testing.TempMemmap", False),  # a test helper class
        ("numpyevil.Thing", False),  # a look-alike package name
        ("sklearn.no_such_module.Thing", False),
        ("uuid.UUID", False),
    ],
)
def test_which_names_a_model_file_may_hold(name: str, trusted: bool) -> None:
    assert model._is_trusted(name) is trusted


def test_predict_names_unseen_categories_by_row_position_and_hides_the_missing_marker() -> None:
    from gitops_ml.serving import serve

    p = make_params("multiclass", "sklearn.linear_model.LogisticRegression")
    frame = mixed_frame("multiclass")
    pipeline = team_builder()(p, SPEC).fit(frame[SPEC.columns], frame["y"])
    rows = frame[SPEC.columns].iloc[[2, 5, 7]].copy()  # index labels 2, 5, 7
    rows.loc[5, "colour"] = "purple"
    with pytest.raises(UserError) as err:
        serve.check_input(rows, pipeline, SPEC, "new.parquet")
    assert "rows (0-based): [1]" in err.value.problem
    assert data.MISSING_CATEGORY not in err.value.fix


@pytest.mark.parametrize(
    ("estimator", "field", "fix"),
    [
        ("RandomForestClassifier", "model.estimator", "sklearn.ensemble.RandomForestClassifier"),
        (
            "sklearn.ensemble.HistGradientBoostingClasifier",
            "model.estimator",
            "sklearn.ensemble.HistGradientBoostingClassifier",
        ),
    ],
    ids=["bare-name", "misspelt-class"],
)
def test_an_estimator_name_gets_the_full_path_it_probably_meant(
    estimator: str, field: str, fix: str
) -> None:
    with pytest.raises(UserError) as err:
        build_estimator(make_params("binary", estimator))
    assert err.value.field == field and f"did you mean {fix}?" in err.value.fix
