"""The task-vs-target rules of `make init`, on small frames: which task fits which target."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from gitops_ml.checks import init, preflight
from gitops_ml.core import params
from gitops_ml.core.errors import UserError


def _params(task: str, **data: Any) -> params.Params:
    metric = "rmse" if task == "regression" else "accuracy"
    return params.parse(
        {
            "data": {"path": "data/t.csv", "target": "y", "task": task, **data},
            "model": {"estimator": "sklearn.linear_model.Ridge"},
            "evaluate": {"primary_metric": metric},
        }
    )


MEASURE = pd.Series(np.linspace(0.5, 99.5, 200))


@pytest.mark.parametrize(
    ("task", "values"),
    [
        ("binary", pd.Series(["a", "b"] * 10)),
        ("binary", pd.Series([0, 1, 1, None])),
        ("multiclass", pd.Series(["a", "b", "c"] * 5)),
        ("multiclass", pd.Series(np.arange(200) % 40)),  # numbered classes
        ("regression", MEASURE),
        ("regression", pd.Series([1, 2, 3] * 5)),
    ],
)
def test_tasks_that_fit_their_target_pass(task: str, values: pd.Series) -> None:
    preflight.check_task(values, _params(task))


@pytest.mark.parametrize(
    ("task", "values", "problem", "fix"),
    [
        ("binary", pd.Series(["a", "b", "c"]), "has 3 distinct values", "task: multiclass"),
        ("binary", MEASURE, "has 200 distinct values", "task: regression"),
        ("multiclass", MEASURE, "target looks like a measure", "task: regression"),
        ("regression", pd.Series(["x", "y", "z"]), "holds labels ('x', 'y', 'z'", "binary"),
        ("regression", pd.Series([0.0, 1.0] * 9), "only 2 distinct values", "task: binary"),
    ],
)
def test_a_task_that_cannot_fit_the_target_names_file_field_and_fix(
    task: str, values: pd.Series, problem: str, fix: str
) -> None:
    with pytest.raises(UserError) as caught:
        preflight.check_task(values, _params(task))
    err = caught.value
    assert (err.file, err.field) == ("data/t.csv", "data.target='y'")
    assert problem in err.problem and fix in err.fix


def test_data_outside_the_folder_dvc_tracks_is_refused() -> None:

    with pytest.raises(UserError) as caught:
        preflight.check_location(_params("regression", path="elsewhere/t.csv"))
    assert caught.value.field == "data.path" and "data/t.csv" in caught.value.fix
    preflight.check_location(_params("regression", path="data/sub/t.csv"))


def test_next_steps_record_the_data_only_when_it_changed() -> None:
    p = _params("regression")
    assert init.next_steps(p, recorded=False)[0].startswith("dvc add data")
    steps = init.next_steps(p, recorded=True)
    assert not any(s.startswith("dvc add") for s in steps)
    assert "git add data.dvc params.yaml dvc.lock metrics/" in steps


def test_next_steps_commit_the_dvc_config_and_contract_when_given() -> None:
    p = params.parse(
        {
            **_params("regression").model_dump(),
            "contract": {"schema_file": "contract.yaml"},
        }
    )
    add = next(s for s in init.next_steps(p, True, [".dvc/config"]) if s.startswith("git add"))
    assert add == "git add .dvc/config data.dvc params.yaml contract.yaml dvc.lock metrics/"


def test_a_misspelt_data_path_is_named_with_the_file_it_probably_meant(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:

    monkeypatch.chdir(tmp_path)
    preflight.check_data_file(_params("regression", path="data/tt.csv"))  # no data/ yet: make data
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "t.csv").write_text("y\n1\n")
    with pytest.raises(UserError) as caught:
        preflight.check_data_file(_params("regression", path="data/tt.csv"))
    assert caught.value.field == "data.path"
    assert "did you mean 'data/t.csv'" in caught.value.fix
    preflight.check_data_file(_params("regression", path="data/t.csv"))


def test_a_contract_file_must_be_a_dependency_of_the_stage_reading_the_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:

    monkeypatch.chdir(tmp_path)
    p = _params("regression", path="data/t.csv")
    p = p.model_copy(update={"contract": p.contract.model_copy(update={"schema_file": "c.yaml"})})
    stage = {"cmd": "python -m ml_project.stages.prepare", "deps": ["data/t.csv"]}
    (tmp_path / "dvc.yaml").write_text(yaml.safe_dump({"stages": {"prepare": stage}}))
    with pytest.raises(UserError) as caught:
        preflight.check_contract_is_a_dependency(p)
    assert (caught.value.file, caught.value.field) == ("dvc.yaml", "stages.prepare.deps")
    assert "- c.yaml" in caught.value.fix
    stage["deps"].append("c.yaml")
    (tmp_path / "dvc.yaml").write_text(yaml.safe_dump({"stages": {"prepare": stage}}))
    preflight.check_contract_is_a_dependency(p)
    stage["deps"][-1] = "${contract.schema_file}"  # DVC's templating, like ${data.path}
    (tmp_path / "dvc.yaml").write_text(yaml.safe_dump({"stages": {"prepare": stage}}))
    preflight.check_contract_is_a_dependency(p)


def test_init_names_other_files_in_data_that_dvc_add_would_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    for name in ("mine.csv", "breast_cancer.csv", ".gitignore"):
        (tmp_path / "data" / name).write_text("a,b\n1,2\n")
    p = params.parse(
        {
            "data": {"path": "data/mine.csv", "target": "b", "task": "regression"},
            "model": {"estimator": "sklearn.linear_model.Ridge"},
            "evaluate": {"primary_metric": "rmse"},
        }
    )
    assert init.other_data_files(p) == ["breast_cancer.csv"]


def _project_with(tmp_path: Path, csv_text: str, **sections: Any) -> params.Params:
    """A folder holding data/t.csv, and binary-task params for it (sections override)."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "t.csv").write_text(csv_text)
    raw: dict[str, Any] = {
        "data": {"path": "data/t.csv", "target": "y", "task": "binary"},
        "model": {"estimator": "sklearn.linear_model.LogisticRegression"},
        "evaluate": {"primary_metric": "roc_auc"},
    }
    return params.parse({**raw, **sections})


def test_make_check_reports_independent_mistakes_in_one_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gitops_ml.core.errors import UserErrors

    monkeypatch.chdir(tmp_path)
    p = _project_with(
        tmp_path,
        "x,z,y\n1,2,a\n3,4,b\n",
        model={
            "estimator": "sklearn.ensemble.HistGradientBoostingClassifier",
            "params": {"max_iter": -1},
        },
        evaluate={"primary_metric": "roc_auc", "slices": [{"column": "zz"}]},
    )
    with pytest.raises(UserErrors) as raised:
        preflight.run(p)
    fields = [e.field for e in raised.value.errors]
    assert "evaluate.slices[0].column" in fields and "model.params.max_iter" in fields


def test_make_check_refuses_a_task_the_target_values_cannot_fit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before DVC deletes any output: binary on three classes (the target column alone is read)."""
    monkeypatch.chdir(tmp_path)
    p = _project_with(tmp_path, "x,y\n1,a\n2,b\n3,c\n")
    with pytest.raises(UserError) as raised:
        preflight.run(p)
    assert raised.value.field == "data.target='y'"
    assert "3 distinct values" in raised.value.problem and "multiclass" in raised.value.fix
