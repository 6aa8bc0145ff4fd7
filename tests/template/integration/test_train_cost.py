"""`make train-cost`: BASE's and the workspace's model: fitted side by side on this machine."""

from __future__ import annotations

import json

from tests.conftest import Project


def result(project: Project) -> dict:
    return json.loads((project.root / "report" / "train_cost.json").read_text())


def test_train_cost_passes_unchanged_and_fails_a_slower_model_past_a_tight_limit(
    trained: Project,
) -> None:
    # One OpenMP thread per fit: on a machine shared with other test runs, spinning OpenMP
    # threads make wall times swing tenfold; one thread keeps the comparison steady.
    trained.env["OMP_NUM_THREADS"] = "1"
    # Nothing changed: the same model: on both sides passes with the default tolerances.
    trained.make("train-cost", "BASE=HEAD", "REPEAT=1")
    same = result(trained)
    assert same["passed"] and same["same_model"]
    assert same["base"]["rev"] == trained.git("rev-parse", "HEAD").stdout.strip()
    table = (trained.root / "report" / "train_cost.md").read_text()
    assert table.startswith("### Training cost: passed") and "`model:` is unchanged" in table

    # 20x the boosting rounds, all of them fitted: really slower, and past a 10% limit.
    params = trained.read_params()["model"]["params"]
    trained.set_params(
        **{
            "model.params.max_iter": params["max_iter"] * 20,
            "model.params.early_stopping": False,
            "gate.max_train_time_growth": 0.1,
            "gate.min_train_seconds": 0.0,
        }
    )
    # (the CLI rather than make, whose own exit status is 2 for any failed recipe)
    proc = trained.cli("train-cost", "--base", "HEAD", "--repeat", "1", check=False)
    slower, output = result(trained), proc.stdout + proc.stderr
    assert slower["base"]["model"]["params"]["max_iter"] == params["max_iter"]
    assert slower["head"]["model"]["params"]["max_iter"] == params["max_iter"] * 20
    assert len(slower["base"]["runs"]) == len(slower["head"]["runs"]) == 1
    time = next(f for f in slower["figures"] if f["name"] == "fit_seconds")
    assert time["ratio"] > 1 and time["verdict"] == "FAIL", time
    assert proc.returncode == 1 and not slower["passed"]
    assert "fit time grew" in output and "gate.max_train_time_growth 0.1" in output
    assert "raise gate.max_train_time_growth in params.yaml" in output


def test_train_cost_without_a_prepared_split_says_to_run_dvc_repro(trained: Project) -> None:
    (trained.root / "artifacts" / "prepared" / "train.parquet").unlink()
    proc = trained.cli("train-cost", "--base", "HEAD", "--repeat", "1", check=False)
    assert proc.returncode == 2
    assert "train.parquet" in proc.stderr and "dvc repro" in proc.stderr


def test_a_base_model_that_cannot_be_fitted_is_named_with_its_commit(trained: Project) -> None:
    trained.set_params(**{"model.params.no_such_knob": 3})
    base = trained.commit("A hyperparameter the estimator does not have", "params.yaml")
    trained.git("checkout", "-q", "HEAD~1", "--", "params.yaml")
    proc = trained.cli("train-cost", "--base", base, "--repeat", "1", check=False)
    assert proc.returncode == 2
    assert f"params.yaml at {base[:12]}: model:" in proc.stderr
    assert "no_such_knob" in proc.stderr and "pass a BASE" in proc.stderr
