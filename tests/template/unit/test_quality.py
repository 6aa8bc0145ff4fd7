"""Baselines, slices, permutation importance and their gate rules, on small frames."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from gitops_ml.core import params
from gitops_ml.core.data import FeatureSpec
from gitops_ml.core.errors import UserError
from gitops_ml.core.params import GateParams
from gitops_ml.evaluation import gate, metrics, quality, resources
from gitops_ml.review import quality_section, sections
from tests.conftest import team_builder

SPEC = FeatureSpec(numeric=["signal", "noise"], categorical=["colour"], target="y")


def _params(task: str = "binary", metric: str = "roc_auc", **evaluate: Any) -> params.Params:
    estimator = "Classifier" if task != "regression" else "Regressor"
    return params.parse(
        {
            "seed": 7,
            "data": {"path": "data/x.csv", "target": "y", "task": task},
            "model": {"estimator": f"sklearn.ensemble.HistGradientBoosting{estimator}"},
            "evaluate": {"primary_metric": metric, **evaluate},
        }
    )


def _frame(n: int, seed: int, regression: bool = False) -> pd.DataFrame:
    """`signal` decides the target; `noise` and `colour` are unrelated to it."""
    rng = np.random.default_rng(seed)
    signal = rng.normal(size=n)
    frame = pd.DataFrame(
        {
            "signal": signal,
            "noise": rng.normal(size=n),
            "colour": rng.choice(["red", "blue"], size=n),
        }
    )
    frame.loc[::10, "noise"] = np.nan  # baselines must impute what the model would
    if regression:
        frame["y"] = 3.0 * signal + rng.normal(scale=0.3, size=n)
    else:
        flip = rng.random(n) < 0.1
        frame["y"] = np.where((signal > 0) ^ flip, "yes", "no")
    return frame


def _fitted(p: params.Params, train: pd.DataFrame) -> Any:
    pipeline = team_builder()(p, SPEC)
    return pipeline.fit(train[SPEC.columns], train["y"])


def test_linear_baseline_beats_dummy_and_dummy_is_chance_for_classification() -> None:
    p = _params()
    train, test = _frame(300, 1), _frame(120, 2)
    table = quality.baselines(p, SPEC, train, test, model_value=0.9)["roc_auc"]
    assert table["model"] == 0.9
    assert table["dummy"] == 0.5  # the class prior ranks every row the same
    assert table["linear"] > 0.85


def test_regression_baselines_are_the_mean_and_ridge() -> None:
    p = _params("regression", "r2")
    train, test = _frame(300, 1, regression=True), _frame(120, 2, regression=True)
    table = quality.baselines(p, SPEC, train, test, model_value=0.5)["r2"]
    assert table["dummy"] == pytest.approx(0.0, abs=0.05)  # the train mean explains nothing
    assert table["linear"] > 0.9


def test_slices_give_rows_and_the_metric_of_exactly_those_rows() -> None:
    test = _frame(100, 3)
    test.loc[test.index[:4], "colour"] = None
    scored = metrics.Scored(
        test["y"].to_numpy(),
        np.where(test["signal"] > 0, "yes", "no"),
        None,
        ["no", "yes"],
    )
    p = _params(
        "binary", "accuracy", slices=[{"column": "signal", "bins": 2}, {"column": "colour"}]
    )
    out = quality.slices(p, SPEC, test, scored)
    assert list(out) == ["signal", "colour"]
    halves = list(out["signal"].values())
    assert [r["rows"] for r in halves] == [50, 50]
    assert list(out["colour"])[-1] == "(missing)" and out["colour"]["(missing)"]["rows"] == 4
    blue = (test["colour"] == "blue").to_numpy()
    expected = float(np.mean(scored.y_true[blue] == scored.y_pred[blue]))
    assert out["colour"]["blue"]["accuracy"] == round(expected, quality.DIGITS)
    json.dumps(out, allow_nan=False)  # storable as committed JSON


@pytest.mark.parametrize(
    ("entry", "field", "words"),
    [
        ({"column": "weight"}, "evaluate.slices[0].column", "not a feature column"),
        ({"column": "colour", "bins": 3}, "evaluate.slices[0].bins", "is categorical"),
        ({"column": "signal"}, "evaluate.slices[0].column", "distinct values"),
    ],
)
def test_bad_slice_columns_are_user_errors_naming_the_entry(
    entry: dict, field: str, words: str
) -> None:
    p = _params(slices=[entry])
    with pytest.raises(UserError) as raised:
        quality.check_slices(p, SPEC)  # columns and bins: before evaluate writes anything
        quality.slice_labels(_frame(50, 1), SPEC, p.evaluate.slices[0], 0)  # values: while
    assert raised.value.field == field and words in raised.value.problem


@pytest.mark.parametrize(
    ("slices", "words"),
    [
        ([{"column": "a", "bins": 1}], "greater than or equal to 2"),
        ([{"column": "a"}, {"column": "a", "bins": 3}], "more than once"),
        ([{"column": "a", "bucket": 3}], "unknown key"),
    ],
)
def test_bad_slice_params_are_refused_at_load(slices: list, words: str) -> None:
    with pytest.raises(UserError) as raised:
        _params(slices=slices)
    assert words in str(raised.value)


def test_importance_finds_the_signal_and_calls_the_rest_noise() -> None:
    p = _params()
    pipeline = _fitted(p, _frame(400, 1))
    test = _frame(150, 2)
    rows = quality.importance(p, SPEC, pipeline, test)
    top = rows[0]
    assert top["feature"] == "signal"
    assert top["importance"] > 0.2 and top["importance"] - 2 * top["std"] > 0
    assert quality.within_noise(rows) == [r["feature"] for r in rows[1:]]
    assert quality.importance(p, SPEC, pipeline, test) == rows  # seeded: same every run


def test_importance_of_a_lower_is_better_metric_is_still_positive_for_the_signal() -> None:
    p = _params("regression", "rmse")
    pipeline = _fitted(p, _frame(400, 1, regression=True))
    rows = quality.importance(p, SPEC, pipeline, _frame(150, 2, regression=True))
    assert rows[0]["feature"] == "signal" and rows[0]["importance"] > 1.0


BASELINES = {"roc_auc": {"model": 0.95, "linear": 0.97, "dummy": 0.5}}
SLICES = {
    "size": {
        "[1, 2]": {"rows": 40, "roc_auc": 0.99},
        "[2, 3]": {"rows": 40, "roc_auc": 0.90},
        "[3, 4]": {"rows": 5, "roc_auc": 0.50},
    }
}


def _gate(baselines: dict | None, slices: dict | None, **rules: Any) -> gate.GateResult:
    result = gate.GateResult()
    gate.check_quality(result, "roc_auc", baselines, slices, GateParams(**rules))
    return result


def test_lift_rule_fails_when_the_model_does_not_beat_linear_by_the_margin() -> None:
    assert _gate(BASELINES, SLICES).passed  # every rule off by default
    assert _gate(BASELINES, SLICES, min_lift_over_linear=-0.05).passed
    result = _gate(BASELINES, SLICES, min_lift_over_linear=0.0)
    assert not result.passed
    assert result.failures == [
        "lift over the linear baseline is -0.0200 in roc_auc (0.9500 vs 0.9700), "
        "required at least +0.0000 (params.yaml gate.min_lift_over_linear)"
    ]
    missing = _gate(None, SLICES, min_lift_over_linear=0.0)
    assert "no linear roc_auc" in missing.failures[0]


def test_lift_follows_the_metric_direction() -> None:
    rows = {"rmse": {"model": 1.0, "linear": 1.5, "dummy": 3.0}}
    result = gate.GateResult()
    gate.check_quality(result, "rmse", rows, None, GateParams(min_lift_over_linear=0.4))
    assert result.passed  # lower rmse: the model is better by 0.5


def test_slice_rules_skip_small_slices_and_say_so() -> None:
    result = _gate(BASELINES, SLICES, min_slice_metric=0.85, max_slice_gap=0.1)
    assert result.passed, result.failures  # the 5-row slice at 0.50 is not gated
    assert "1 slice(s) with fewer than 30 rows" in result.notes[0]
    worst = _gate(BASELINES, SLICES, min_slice_metric=0.95)
    assert worst.failures == ["slice size [2, 3]: roc_auc 0.9000 is below min_slice_metric 0.95"]
    gap = _gate(BASELINES, SLICES, max_slice_gap=0.05)
    assert gap.failures[0].startswith("slices of size differ by 0.0900 in roc_auc (limit 0.05)")
    assert not _gate(BASELINES, {}, max_slice_gap=0.05).passed  # a rule without slices


def test_report_sections_show_baselines_slices_and_noise() -> None:
    rules = GateParams(min_slice_rows=30)
    text = quality_section.baselines_section("roc_auc", BASELINES, rules)
    assert "| linear | 0.9700 | -0.0200 |" in text and "| dummy | 0.5000 | +0.4500 |" in text
    text = quality_section.slices_section("roc_auc", SLICES, rules)
    assert "| `size` | [3, 4] | 5 | 0.5000 | no: fewer than 30 rows |" in text
    assert "| `size` | [1, 2] | 40 | 0.9900 | yes |" in text
    rows = [
        {"feature": "a", "importance": 0.2, "std": 0.01},
        {"feature": "b", "importance": 0.01, "std": 0.01},
    ]
    text = quality_section.importance_section("roc_auc", rows)
    assert "removal would likely not hurt: `b`." in text
    assert "metrics/slices.json is missing" in quality_section.slices_section(
        "roc_auc", None, rules
    )


def test_training_numbers_are_shown_only_for_the_model_they_were_measured_on(
    tmp_path: Path,
) -> None:
    model_file, runtime = tmp_path / "model.skops", tmp_path / "train_runtime.json"
    model_file.write_bytes(b"model one")
    resources.record(2.5, model_file, runtime)
    data = resources.current(model_file, runtime)
    assert data is not None and data["train_seconds"] == 2.5
    assert data["train_peak_rss_mb"] > 10  # this test process holds at least pandas
    line = sections._training_line(data)
    assert line.startswith("- Training: 2.50 s, peak memory ") and line.endswith("not retrained)")
    model_file.write_bytes(b"model two")  # retrained elsewhere, or checked out: stale numbers
    assert resources.current(model_file, runtime) is None
    assert "not recorded (train did not run" in sections._training_line(None)
