"""`make exp SET=...`: the params.yaml diff is one line per value, then `dvc exp run` runs."""

from __future__ import annotations

import pytest

from tests.conftest import Project

pytestmark = pytest.mark.slow


def comments(text: str) -> list[str]:
    return [line[line.index("#") :] for line in text.splitlines() if "#" in line]


def test_make_exp_sets_values_in_place_and_runs_an_experiment(trained: Project) -> None:
    before = trained.params_path.read_text(encoding="utf-8")
    old_auc = trained.metrics()["roc_auc"]

    proc = trained.make(
        "exp", "SET=model.params.max_leaf_nodes=31 split.test_size=0.25", "NAME=leaf31"
    )

    assert "exp: params.yaml: model.params.max_leaf_nodes: 15 -> 31" in proc.stdout
    assert "Ran experiment(s): leaf31" in proc.stdout + proc.stderr
    numstat = trained.git("diff", "--numstat", "--", "params.yaml").stdout.split()
    assert numstat[:2] == ["2", "2"]  # two values: two lines out, two in
    after = trained.params_path.read_text(encoding="utf-8")
    assert comments(after) == comments(before)
    assert "leaf31" in trained.dvc("exp", "list", "--name-only").stdout
    assert trained.metrics()["roc_auc"] != old_auc  # the workspace holds the experiment
    assert "Running stage 'train'" in proc.stdout


def test_make_exp_refuses_an_unknown_key_before_writing_or_running(trained: Project) -> None:
    before = trained.params_path.read_bytes()
    proc = trained.make("exp", "SET=split.test_sise=0.3", check=False)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "params.yaml: split.test_sise: unknown key" in proc.stderr
    assert "did you mean 'test_size'?" in proc.stderr
    assert trained.params_path.read_bytes() == before
    assert "dvc exp run" not in proc.stdout
    assert trained.dvc("exp", "list", "--name-only").stdout.strip() == ""
