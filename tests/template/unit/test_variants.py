"""The tune section's validation, the tuning verdict and the feature-cost table, on small inputs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from gitops_ml.ci import comment
from gitops_ml.core import params
from gitops_ml.core.data import FeatureSpec
from gitops_ml.core.errors import UserError, UserErrors
from gitops_ml.review import feature_cost, refit, tune
from gitops_ml.review.feature_cost import Latency
from gitops_ml.review.tune import Candidate
from tests.conftest import FIXTURE_PARAMS

REPO_PARAMS = FIXTURE_PARAMS


def _params(tune: dict[str, Any] | None = None, **model: Any) -> params.Params:
    raw: dict[str, Any] = {
        "seed": 3,
        "data": {"path": "data/x.csv", "target": "y", "task": "binary"},
        "model": {"estimator": "sklearn.ensemble.HistGradientBoostingClassifier", **model},
        "evaluate": {"primary_metric": "roc_auc"},
    }
    if tune is not None:
        raw["tune"] = tune
    return params.parse(raw)


def _problems(tune: dict[str, Any]) -> list[UserError]:
    with pytest.raises(UserError) as raised:
        _params(tune)
    err = raised.value
    return err.errors if isinstance(err, UserErrors) else [err]


def test_a_hyperparameter_the_estimator_lacks_names_the_key_and_the_valid_names() -> None:
    p = _params({"params": {"learning_rte": [0.05]}})
    with pytest.raises(UserError) as raised:
        tune.check_tune_section(p)
    err = raised.value
    assert (err.file, err.field) == ("params.yaml", "tune.params.learning_rte")
    assert "HistGradientBoostingClassifier has no hyperparameter 'learning_rte'" in err.problem
    assert "learning_rate" in err.fix and "max_leaf_nodes" in err.fix


@pytest.mark.parametrize(
    ("tune", "field", "words"),
    [
        ({"params": {"max_iter": ["many"]}}, "tune.params", "candidate 'many' is not a number"),
        ({"params": {"max_iter": [True]}}, "tune.params", "candidate True is not a number"),
        ({"params": {"max_iter": 50}}, "tune.params", "expected a list of candidate values"),
        ({"cv": 1}, "tune.cv", "greater than or equal to 2"),
        ({"tolerance": -0.1}, "tune.tolerance", "greater than or equal to 0"),
        ({"folds": 3}, "tune.folds", "unknown key"),
    ],
)
def test_a_malformed_tune_section_is_a_user_error_naming_the_key(
    tune: dict[str, Any], field: str, words: str
) -> None:
    [err] = _problems(tune)
    assert err.file == "params.yaml"
    assert err.field == field
    assert words in err.problem


def test_numbers_keep_their_type_and_yaml_exponents_are_read_as_numbers() -> None:
    p = _params({"params": {"max_iter": [50, 200], "learning_rate": ["1e-3", 0.2]}})
    assert p.tune.params == {"max_iter": [50, 200], "learning_rate": [0.001, 0.2]}
    assert all(isinstance(v, int) for v in p.tune.params["max_iter"])  # sklearn wants an int


def test_candidates_skip_the_committed_value_and_repeats_and_default_to_the_estimator() -> None:
    p = _params(
        {"params": {"learning_rate": [0.1, 0.2, 0.2], "l2_regularization": [0.0, 1.0]}},
        params={"learning_rate": 0.1},
    )
    committed = tune.check_tune_section(p)
    assert committed == {"learning_rate": 0.1, "l2_regularization": 0.0}  # 0.0: sklearn default
    labels = [c.label for c in tune.candidates(p, committed)]
    assert labels == ["(committed)", "learning_rate=0.2", "l2_regularization=1.0"]


def _scored(primary_scores: dict[str | None, list[float]]) -> list[Candidate]:
    return [Candidate(name, 1, list(scores)) for name, scores in primary_scores.items()]


def test_a_neighbour_wins_only_by_more_than_the_tolerance_and_the_best_comes_first() -> None:
    cands = _scored(
        {None: [0.90, 0.92], "a": [0.905, 0.925], "b": [0.93, 0.95], "c": [0.92, 0.94]}
    )  # a wins by exactly 0.005: not more than the tolerance
    assert [c.name for c in tune.winners("roc_auc", cands, 0.005)] == ["b", "c"]
    assert [c.name for c in tune.winners("roc_auc", cands, 0.03)] == []


def test_the_verdict_follows_the_metric_direction() -> None:
    cands = _scored({None: [10.0, 12.0], "lower": [8.0, 9.0], "higher": [14.0, 15.0]})
    assert [c.name for c in tune.winners("rmse", cands, 0.5)] == ["lower"]
    assert [c.name for c in tune.winners("r2", cands, 0.5)] == ["higher"]


def test_an_empty_tune_section_has_nothing_to_check_and_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = yaml.safe_load(REPO_PARAMS.read_text())
    raw["tune"] = {"params": {}}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(raw))
    monkeypatch.chdir(tmp_path)  # no prepared split here: it is not needed
    assert tune.main([]) == 0
    assert "nothing to check (tune.params in params.yaml is empty)" in capsys.readouterr().out
    assert "Nothing to check" in (tmp_path / "report/tune_check.md").read_text()


def test_a_candidate_the_estimator_refuses_is_a_user_error_naming_the_tune_key() -> None:
    p = _params({"params": {"learning_rate": [-1.0]}, "cv": 2})
    spec = FeatureSpec(numeric=["x"], categorical=[], target="y")
    frame = pd.DataFrame({"x": np.arange(20.0), "y": ["a", "b"] * 10})
    cands = tune.candidates(p, tune.check_tune_section(p))
    with pytest.raises(UserError) as raised:
        tune.cross_validate(p, spec, frame, cands)
    assert raised.value.field == "tune.params.learning_rate"
    assert "candidate -1.0 is refused by" in raised.value.problem


def test_folds_come_from_the_train_split_only_and_are_seeded() -> None:
    p = _params({"cv": 4})
    frame = pd.DataFrame({"x": np.arange(40.0), "y": ["a", "b"] * 20})
    first, again = tune.folds(p, frame, "y"), tune.folds(p, frame, "y")
    assert len(first) == 4
    assert all((a[1] == b[1]).all() for a, b in zip(first, again, strict=True))
    held_out = np.sort(np.concatenate([val for _, val in first]))
    assert (held_out == np.arange(40)).all()  # every train row is validated exactly once


def test_too_many_folds_for_the_smallest_class_is_a_user_error() -> None:
    p = _params({"cv": 5})
    frame = pd.DataFrame({"x": np.arange(12.0), "y": ["a"] * 10 + ["b"] * 2})
    with pytest.raises(UserError, match=r"tune\.cv: cannot make 5 folds"):
        tune.folds(p, frame, "y")


def test_dropping_a_feature_removes_it_from_its_kind_only() -> None:
    spec = FeatureSpec(numeric=["a", "b"], categorical=["c"], target="y")
    assert refit.without(spec, "b").columns == ["a", "c"]
    assert refit.without(spec, "c").columns == ["a", "b"]
    assert refit.without(spec, None) is spec


def test_latency_within_the_spread_of_the_repeats_is_not_measurable() -> None:
    assert not Latency(full=10.0, reduced=9.0, spread=1.5).measurable
    assert Latency(full=10.0, reduced=7.0, spread=1.5).measurable
    assert Latency(full=10.0, reduced=7.0, spread=1.5).saved == 3.0


def _cost_result(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "primary_metric": "roc_auc",
        "full_model": {"roc_auc": 0.99, "model_size_bytes": 195_000},
        "latency_repeats": 5,
        "rows": rows,
    }


def test_the_cost_table_shows_each_dropped_feature_and_unmeasurable_latency() -> None:
    row = {
        "feature": "noise",
        "importance": -0.001,
        "metric_change": 0.002,
        "latency_saved_ms_per_1000_rows": 0.4,
        "latency_measurable": False,
        "size_saved_bytes": 1800,
    }
    measurable = {**row, "feature": "wide", "latency_measurable": True}
    text = feature_cost.cost_markdown(_cost_result([row, measurable]), "all")
    assert "| `noise` | -0.0010 | +0.0020 | not measurable | +1,800 |" in text
    assert "| `wide` | -0.0010 | +0.0020 | +0.400 | +1,800 |" in text
    empty = feature_cost.cost_markdown(_cost_result([]), "within noise")
    assert "nothing to cost" in empty and "ALL=1" in empty


def test_the_pr_comment_shows_extra_sections_after_the_report_only_when_present() -> None:
    body = comment.build("# Report", "### checks", "PASSED", ["## Feature cost\n\nrows"])
    assert body.index("# Report") < body.index("## Feature cost") < body.index("### checks")
    assert "Feature cost" not in comment.build("# Report", "### checks", "PASSED")
