"""The search section's validation, its seeded candidates, successive halving, where fits run
and the winner written into params.yaml, on small inputs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from gitops_ml.core import executor, params
from gitops_ml.core.data import FeatureSpec
from gitops_ml.core.errors import UserError, UserErrors
from gitops_ml.review import search
from tests.conftest import FIXTURE_PARAMS


def _params(search_section: dict[str, Any], task: str = "binary") -> params.Params:
    raw: dict[str, Any] = {
        "seed": 3,
        "data": {"path": "data/x.csv", "target": "y", "task": task},
        "model": {"estimator": "sklearn.ensemble.HistGradientBoostingClassifier"},
        "evaluate": {"primary_metric": "roc_auc" if task == "binary" else "rmse"},
        "search": search_section,
    }
    return params.parse(raw)


def _problem(section: dict[str, Any]) -> UserError:
    with pytest.raises(UserError) as raised:
        _params(section)
    err = raised.value
    [first] = err.errors if isinstance(err, UserErrors) else [err]
    return first


LOG = {"distribution": "loguniform", "low": 0.01, "high": 0.3}


@pytest.mark.parametrize(
    ("section", "field", "words"),
    [
        ({"params": {"max_iter": 50}}, "search.params", "max_iter: expected a list of values"),
        ({"params": {"max_iter": []}}, "search.params", "max_iter: the list of values is empty"),
        (
            {"method": "random", "params": {"learning_rate": {**LOG, "low": 0.5}}},
            "search.params",
            "learning_rate: low (0.5) must be below high (0.3)",
        ),
        (
            {"method": "random", "params": {"learning_rate": {**LOG, "distribution": "normal"}}},
            "search.params",
            "learning_rate: distribution: Input should be",
        ),
        ({"params": {"learning_rate": LOG}}, "search.method", "grid needs a list of values"),
        ({"scoring": "rmse"}, "search.scoring", "'rmse' does not fit task 'binary'"),
        ({"n_jobs": 0}, "search.n_jobs", "must be -1 (cores / model.threads)"),
        ({"folds": 3}, "search.folds", "unknown key"),
    ],
)
def test_a_malformed_search_section_is_a_user_error_naming_the_key(
    section: dict[str, Any], field: str, words: str
) -> None:
    err = _problem(section)
    assert (err.file, err.field) == ("params.yaml", field)
    assert words in f"{err.problem} {err.fix}"


def test_an_unknown_hyperparameter_and_a_range_on_a_word_name_the_key() -> None:
    p = _params({"params": {"learning_rte": [0.1]}})
    with pytest.raises(UserError) as raised:
        search.check_search_section(p)
    assert raised.value.field == "search.params.learning_rte"
    assert "has no hyperparameter 'learning_rte'" in raised.value.problem
    assert "learning_rate" in raised.value.fix
    p = _params({"method": "random", "params": {"loss": {**LOG}}})
    with pytest.raises(UserError) as raised:
        search.check_search_section(p)
    assert raised.value.field == "search.params.loss"
    assert "needs a numeric hyperparameter" in raised.value.problem


def test_the_grid_is_every_combination_and_random_draws_are_seeded() -> None:
    grid = search.candidates(_params({"params": {"max_iter": [10, 20], "max_depth": [2, None]}}))
    assert len(grid) == 4 and {"max_iter": 10, "max_depth": None} in grid
    space = {"learning_rate": LOG, "max_iter": {"distribution": "randint", "low": 5, "high": 9}}
    p = _params({"method": "random", "n_iter": 5, "params": space})
    drawn = search.candidates(p)
    assert drawn == search.candidates(p) and len(drawn) == 5
    assert all(type(c["max_iter"]) is int and 5 <= c["max_iter"] <= 9 for c in drawn)
    assert all(
        type(c["learning_rate"]) is float and 0.01 <= c["learning_rate"] <= 0.3 for c in drawn
    )


def _frame() -> tuple[FeatureSpec, pd.DataFrame]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=120)
    frame = pd.DataFrame({"x": x, "z": rng.normal(size=120), "y": np.where(x > 0, "a", "b")})
    return FeatureSpec(numeric=["x", "z"], categorical=[], target="y"), frame


def test_halving_keeps_the_best_third_and_gives_the_survivors_more_rows() -> None:
    spec, frame = _frame()
    p = _params(
        {"method": "halving", "cv": 2, "n_jobs": 1, "params": {"max_iter": [2, 5, 10, 20, 40]}}
    )
    final, records = search.search(p, spec, frame, frame[["y"]], executor.where(p))
    first = [r for r in records if r["round"] == 0]
    second = [r for r in records if r["round"] == 1]
    assert len(first) == 5 and len(second) == 2 and len(final) == 2
    assert first[0]["train_rows_per_fit"] < second[0]["train_rows_per_fit"] == 60
    kept = sorted(first, key=lambda r: -r["mean"])[:2]
    assert {r["params"]["max_iter"] for r in kept} == {c.changes["max_iter"] for c in final}


def test_a_value_the_estimator_refuses_names_the_search_key() -> None:
    spec, frame = _frame()
    p = _params({"cv": 2, "n_jobs": 1, "params": {"learning_rate": [-1.0]}})
    with pytest.raises(UserError) as raised:
        search.search(p, spec, frame, frame[["y"]], executor.where(p))
    assert raised.value.field == "search.params.learning_rate"
    assert "candidate -1.0 is refused by" in raised.value.problem


def test_the_environment_variable_wins_over_search_scheduler(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    p = _params({"scheduler": "tcp://10.0.0.5:8786"})
    monkeypatch.delenv(executor.ENV_VAR, raising=False)
    assert executor.where(p).scheduler == "tcp://10.0.0.5:8786"
    monkeypatch.setenv(executor.ENV_VAR, "tcp://127.0.0.1:8786")
    assert executor.where(p).scheduler == "tcp://127.0.0.1:8786"
    assert executor.where(p).source == executor.ENV_VAR


def test_the_winner_is_written_into_model_params_keeping_comments(tmp_path: Path) -> None:
    path = tmp_path / "params.yaml"
    path.write_text(FIXTURE_PARAMS.read_text())
    search.write_winner(path, {"learning_rate": 0.2, "max_leaf_nodes": 7})
    text = path.read_text()
    loaded = params.load(path)
    assert loaded.model.params["learning_rate"] == 0.2
    assert loaded.model.params["max_leaf_nodes"] == 7
    before = FIXTURE_PARAMS.read_text().splitlines()
    changed = [(a, b) for a, b in zip(before, text.splitlines(), strict=True) if a != b]
    assert changed == [  # only the two values: comments, nulls, lists and wrapping untouched
        ("    learning_rate: 0.1", "    learning_rate: 0.2"),
        ("    max_leaf_nodes: 15", "    max_leaf_nodes: 7"),
    ]
