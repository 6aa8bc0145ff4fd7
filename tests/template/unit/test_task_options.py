"""model.target_transform, model.threshold and model.calibration: validated against the
task, wrapped around the team's pipeline by the machinery, reproducible and loadable."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from gitops_ml.artifact import model
from gitops_ml.core import params
from gitops_ml.core.data import FeatureSpec
from gitops_ml.core.errors import UserError, UserErrors
from gitops_ml.core.estimator import check_target, decision_threshold, finish
from gitops_ml.core.hook import build_pipeline
from gitops_ml.evaluation import metrics, predict
from gitops_ml.review import charts
from tests.conftest import team_builder

SPEC = FeatureSpec(numeric=["a", "b", "c"], categorical=[], target="y")
ESTIMATORS = {
    "binary": "sklearn.ensemble.HistGradientBoostingClassifier",
    "multiclass": "sklearn.ensemble.HistGradientBoostingClassifier",
    "regression": "sklearn.ensemble.HistGradientBoostingRegressor",
}


def _params(task: str, positive: object = None, **model: Any) -> params.Params:
    metric = {"binary": "roc_auc", "multiclass": "accuracy", "regression": "rmse"}[task]
    data: dict[str, Any] = {"path": "data/x.csv", "target": "y", "task": task}
    if positive is not None:
        data["positive_class"] = positive
    section = {"estimator": ESTIMATORS[task], "params": {"max_iter": 30}, **model}
    return params.parse({"data": data, "model": section, "evaluate": {"primary_metric": metric}})


def _refusal(task: str, positive: object = None, **model: Any) -> UserError:
    with pytest.raises((UserError, UserErrors)) as err:
        _params(task, positive, **model)
    assert isinstance(err.value, UserError), err.value
    assert err.value.file == "params.yaml"
    return err.value


def _frame(n: int = 600, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.normal(size=(n, 3)), columns=SPEC.numeric)


def _imbalanced(n: int = 600) -> pd.DataFrame:
    """About 10% positives, separable only in part: the 0.5 threshold under-predicts them."""
    frame = _frame(n)
    noise = np.random.default_rng(1).normal(scale=0.8, size=n)
    frame["y"] = np.where(frame["a"] + noise > 1.6, "rare", "common")
    return frame


def _fit(p: params.Params, frame: pd.DataFrame) -> Any:
    return build_pipeline(p, SPEC).fit(frame[SPEC.columns], frame["y"])


def _saved_twice(p: params.Params, frame: pd.DataFrame, tmp_path: Path) -> tuple[bytes, Any]:
    """Train twice, save both; the bytes of the first and the first loaded back."""
    first, second = tmp_path / "first.skops", tmp_path / "second.skops"
    model.save(_fit(p, frame), first)
    model.save(_fit(p, frame), second)
    assert first.read_bytes() == second.read_bytes()
    return first.read_bytes(), model.load(first)


# --- validation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("task", "key", "value"),
    [
        ("binary", "target_transform", "log"),
        ("multiclass", "target_transform", "log1p"),
        ("regression", "threshold", 0.3),
        ("multiclass", "threshold", {"criterion": "f1"}),
        ("regression", "calibration", "sigmoid"),
        ("multiclass", "calibration", "isotonic"),
    ],
)
def test_an_option_of_another_task_names_the_key_the_task_and_the_fix(
    task: str, key: str, value: object
) -> None:
    err = _refusal(task, **{key: value})
    assert err.field == f"model.{key}"
    assert f"data.task is {task!r}" in err.problem
    assert err.fix == "remove it"


def test_a_threshold_needs_the_positive_class_it_cuts() -> None:
    err = _refusal("binary", threshold=0.3)
    assert err.field == "model.threshold"
    assert err.fix == "set data.positive_class"


@pytest.mark.parametrize("value", [0, 1, 1.5, "high", True])
def test_a_fixed_threshold_must_be_a_probability(value: object) -> None:
    err = _refusal("binary", "yes", threshold=value)
    assert err.field == "model.threshold"
    assert "strictly between 0 and 1" in err.problem
    assert "{criterion: f1}" in err.fix


def test_an_unknown_threshold_criterion_lists_the_criteria() -> None:
    err = _refusal("binary", "yes", threshold={"criterion": "f2"})
    assert err.field == "model.threshold.criterion"
    assert "f1, balanced_accuracy" in err.problem


def test_an_unknown_transform_is_refused() -> None:
    assert _refusal("regression", target_transform="sqrt").field == "model.target_transform"


def test_log_of_a_target_with_zeros_points_to_log1p() -> None:
    p = _params("regression", target_transform="log")
    with pytest.raises(UserError) as err:
        check_target(p, pd.Series([0.0, 1.0, 2.0, 0.0]))
    assert err.value.field == "model.target_transform"
    assert "2 of 4" in err.value.problem
    assert "log1p" in err.value.fix
    check_target(_params("regression", target_transform="log1p"), pd.Series([0.0, 1.0]))
    with pytest.raises(UserError, match="log1p cannot take"):
        check_target(_params("regression", target_transform="log1p"), pd.Series([-1.0, 1.0]))


# --- the wrapped models ----------------------------------------------------------------


def test_without_options_the_teams_pipeline_is_returned_untouched() -> None:
    p = _params("binary")
    pipeline = team_builder()(p, SPEC)
    assert finish(p, pipeline) is pipeline
    assert type(pipeline[-1]).__name__ == "HistGradientBoostingClassifier"


def test_log_transform_fits_log_target_and_predicts_on_the_original_scale(
    tmp_path: Path,
) -> None:
    frame = _frame()
    frame["y"] = np.exp(2.0 + frame["a"] + np.random.default_rng(2).normal(0, 0.2, len(frame)))
    p = _params("regression", target_transform="log")
    _, loaded = _saved_twice(p, frame, tmp_path)  # reproducible, and loads through the trust list

    wrapped = loaded[-1]
    assert type(wrapped).__name__ == "TransformedTargetRegressor"
    inner = wrapped.regressor_.predict(loaded[:-1].transform(frame[SPEC.columns]))
    assert abs(np.median(inner) - 2.0) < 0.3  # the regressor learnt log(y)
    scored = predict.score(loaded, frame, SPEC)
    assert abs(np.median(scored.y_pred) / np.median(frame["y"]) - 1) < 0.2  # y's own scale
    rmse = metrics.compute(scored, ("rmse",))["rmse"]
    assert rmse == pytest.approx(np.sqrt(np.mean((frame["y"] - scored.y_pred) ** 2)))


def test_a_fixed_threshold_decides_the_labels_and_is_reported(tmp_path: Path) -> None:
    frame = _imbalanced()
    _, loaded = _saved_twice(_params("binary", "rare", threshold=0.2), frame, tmp_path)
    assert decision_threshold(loaded) == 0.2
    proba = loaded.predict_proba(frame[SPEC.columns])[:, list(loaded.classes_).index("rare")]
    expected = np.where(proba >= 0.2, "rare", "common")
    assert (loaded.predict(frame[SPEC.columns]) == expected).all()


def test_a_threshold_chosen_by_f1_on_the_train_split_is_reported_and_used(
    tmp_path: Path,
) -> None:
    train, test = _imbalanced().iloc[:400], _imbalanced().iloc[400:]
    chosen = _params("binary", "rare", threshold={"criterion": "f1"}, cv=3)
    _, loaded = _saved_twice(chosen, train, tmp_path)
    threshold = decision_threshold(loaded)
    assert threshold is not None and threshold == loaded[-1].best_threshold_
    assert threshold < 0.5  # rare positives: f1 is best below the default cut

    scored = predict.score(loaded, test, SPEC)
    positive_proba = scored.proba[:, scored.classes.index("rare")]  # type: ignore[index]
    assert ((positive_proba >= threshold) == (scored.y_pred == "rare")).all()
    default = predict.score(_fit(_params("binary", "rare"), train), test, SPEC)
    f1 = metrics.compute(scored, ("f1",), "rare")["f1"]
    assert f1 >= metrics.compute(default, ("f1",), "rare")["f1"]
    roc = metrics.compute(scored, ("roc_auc",), "rare")["roc_auc"]  # scores, not labels
    assert roc == pytest.approx(metrics.compute(default, ("roc_auc",), "rare")["roc_auc"])


@pytest.mark.parametrize("method", ["sigmoid", "isotonic"])
def test_calibration_wraps_the_estimator_reproducibly(method: str, tmp_path: Path) -> None:
    frame = _imbalanced()
    _, loaded = _saved_twice(_params("binary", calibration=method, cv=3), frame, tmp_path)
    calibrated = loaded[-1]
    assert type(calibrated).__name__ == "CalibratedClassifierCV"
    assert calibrated.method == method and len(calibrated.calibrated_classifiers_) == 3
    proba = loaded.predict_proba(frame[SPEC.columns])
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert decision_threshold(loaded) is None


def test_the_seed_chooses_the_folds() -> None:
    frame = _imbalanced()
    one = _fit(_params("binary", "rare", threshold={"criterion": "balanced_accuracy"}), frame)
    other = params.parse(
        {
            **_params("binary", "rare", threshold={"criterion": "balanced_accuracy"}).model_dump(),
            "seed": 7,
        }
    )
    assert one[-1].cv.random_state == 42 and _fit(other, frame)[-1].cv.random_state == 7


# --- plots and charts ------------------------------------------------------------------


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_every_task_writes_the_plots_dvc_yaml_names(task: str) -> None:
    frame = _frame(200)
    frame["y"] = {
        "binary": np.where(frame["a"] > 0, "yes", "no"),
        "multiclass": np.select([frame["a"] < -0.5, frame["a"] > 0.5], ["lo", "hi"], "mid"),
        "regression": frame["a"] * 10 + 50,
    }[task]
    fitted = _fit(_params(task), frame)
    scored = predict.score(fitted, frame, SPEC)
    tables = metrics.plot_tables(scored, task, "yes" if task == "binary" else None)
    assert set(tables) == {"calibration", "confusion"}
    assert len(tables["calibration"]) == metrics.CALIBRATION_BINS
    assert set(tables["calibration"][0]) == {"predicted", "observed"}
    assert len(tables["confusion"]) == len(frame)
    labels = {row["actual"] for row in tables["confusion"]}
    assert len(labels) == (
        metrics.REGRESSION_BINS if task == "regression" else frame["y"].nunique()
    )


def test_rmse_and_r2_get_their_own_scales() -> None:
    base = {"rmse": 54.2, "mae": 43.0, "r2": 0.41}
    pr = {"rmse": 52.9, "mae": 42.1, "r2": 0.45}
    assert charts.bar_groups(base, pr) == [["r2"], ["rmse"], ["mae"]]
    text = charts.mermaid_bars(base, pr)
    assert text is not None and text.count("xychart-beta") == 3
    assert 'y-axis "value" 0 --> 1\n' in text  # r2 on the 0-1 scale, not 0-54
    scores = {"roc_auc": 0.99, "f1": 0.95, "log_loss": 0.1}
    assert charts.bar_groups(None, scores) == [["f1", "roc_auc"], ["log_loss"]]


def test_the_gate_bar_is_a_ceiling_when_lower_is_better() -> None:
    assert [metrics.bar_name(m) for m in ("rmse", "mae", "log_loss")] == ["ceiling"] * 3
    assert [metrics.bar_name(m) for m in ("roc_auc", "r2", "f1")] == ["floor"] * 3


def test_make_test_model_calls_an_rmse_bar_a_ceiling() -> None:
    from gitops_ml.checks.model_tests import Subject, quality_floor

    frame = _frame(200)
    frame["y"] = frame["a"] * 10 + 50
    p = _params("regression")
    p = p.model_copy(update={"gate": p.gate.model_copy(update={"floor": 1000.0})})
    outcome = quality_floor(Subject(p, _fit(p, frame), SPEC, frame))
    assert outcome.name == "quality ceiling" and outcome.passed
    assert "(ceiling 1000.0)" in outcome.detail and "floor" not in outcome.detail
