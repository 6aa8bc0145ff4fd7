"""The pipeline end to end in real git + DVC repositories: full, no-op, incremental, byte-exact."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Project

pytestmark = pytest.mark.slow


def test_make_repro_on_a_fresh_clone_uses_the_sample_and_runs_every_stage(
    template: Project,
) -> None:
    data_dvc = template.file_bytes("data.dvc")
    out = template.make("repro")
    assert "wrote the embedded sample data" in out.stderr
    assert "params.yaml: ok" in out.stdout
    assert template.file_bytes("data.dvc") == data_dvc  # the sample hashes to data.dvc
    assert template.dvc("status", "data.dvc").stdout.strip().endswith("up to date.")
    assert template.repro("-f") == template.stages_from()
    # That the committed dvc.lock is what a fresh clone reproduces is the project's own
    # promise, on its params and data: tests/project/test_model.py.


def test_noop_repro_runs_nothing(trained: Project) -> None:
    assert trained.repro() == []


def test_forced_repro_gives_identical_hashes_including_the_model_file(trained: Project) -> None:
    before = trained.file_bytes("dvc.lock")
    model = trained.file_bytes("artifacts/model/model.skops")
    metrics = trained.file_bytes("metrics/metrics.json")
    trained.repro("-f")
    assert trained.file_bytes("dvc.lock") == before
    assert trained.file_bytes("artifacts/model/model.skops") == model
    assert trained.file_bytes("metrics/metrics.json") == metrics


@pytest.mark.parametrize("cores", ["1", "3"])
def test_the_model_does_not_depend_on_how_many_threads_the_machine_offers(
    trained: Project, cores: str
) -> None:
    # OMP_NUM_THREADS stands in for a machine with other cores: HistGradientBoosting sums
    # gradients per thread, so without model.threads the model's bytes would follow it.
    before = trained.file_bytes("dvc.lock")
    trained.env["OMP_NUM_THREADS"] = cores
    trained.repro("-f")
    assert trained.file_bytes("dvc.lock") == before
    trained.set_params(**{"model.threads": trained.read_params()["model"]["threads"] + 1})
    assert trained.repro() == trained.stages_from("train")
    assert trained.file_bytes("dvc.lock") != before  # the count is what decides the bytes


def test_changing_a_hyperparameter_reruns_only_train_and_evaluate(trained: Project) -> None:
    trained.set_params(**{"model.params.max_iter": 40})
    assert trained.repro() == trained.stages_from("train")


def test_changing_the_gate_reruns_nothing(trained: Project) -> None:
    trained.set_params(**{"gate.max_drop": 0.05})
    assert trained.repro() == []


def test_experiment_with_a_set_param_trains_a_different_model(trained: Project) -> None:
    baseline = trained.metrics()
    out = trained.dvc("exp", "run", "-n", "tiny", "-S", "model.params.max_iter=3")
    assert "Running stage 'prepare'" not in out.stdout
    assert trained.read_params()["model"]["params"]["max_iter"] == 3
    assert trained.metrics()["log_loss"] > baseline["log_loss"]
    assert "tiny" in trained.dvc("exp", "list", "--name-only").stdout.split()


@pytest.mark.parametrize(
    ("dataset", "task", "target", "estimator", "metric"),
    [
        ("wine", "multiclass", "cultivar", "sklearn.linear_model.LogisticRegression", "accuracy"),
        ("diabetes", "regression", "progression", "sklearn.linear_model.Ridge", "rmse"),
    ],
)
def test_other_tasks_run_end_to_end_by_changing_params_only(
    trained: Project, dataset: str, task: str, target: str, estimator: str, metric: str
) -> None:
    trained.cli("sample-data", "--dataset", dataset)
    trained.set_params(
        **{
            "data.path": f"data/{dataset}.csv",
            "data.task": task,
            "data.target": target,
            "data.positive_class": None,
            "model.estimator": estimator,
            "model.params": {},
            "tune.params": {},  # the template's grid names the boosting model's hyperparameters
            "evaluate.primary_metric": metric,
            "evaluate.slices": [
                {"column": {"wine": "alcohol", "diabetes": "bmi"}[dataset], "bins": 3}
            ],
            "gate.floor": None,
        }
    )
    trained.cli("check")
    assert trained.repro() == trained.stages_from()
    values = trained.metrics()
    assert values[metric] == values[metric]  # a real number, not NaN
    if task == "multiclass":
        assert values["accuracy"] > 0.85
        assert "roc_auc" in values
    else:
        assert set(values) >= {"rmse", "mae", "r2"} and values["r2"] > 0.3
    slices = json.loads((trained.root / "metrics/slices.json").read_text())
    (per_bin,) = slices.values()
    assert len(per_bin) == 3 and all(row[metric] == row[metric] for row in per_bin.values())
    baselines = json.loads((trained.root / "metrics/baselines.json").read_text())[metric]
    assert set(baselines) == {"model", "linear", "dummy"}
    assert trained.repro() == []
