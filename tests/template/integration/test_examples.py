"""Each worked example under examples/ runs end to end by switching params only.

A fresh template copy gets the example's params.yaml, writes the example's data with
`make sample-data`, checks it (`make init`), records it, trains, passes its own model
tests and writes the pull-request report against the template's main.
"""

from __future__ import annotations

import json
import shutil

import pytest

from tests.conftest import REPO_ROOT, Project

pytestmark = pytest.mark.slow

# example folder: (`make sample-data` arguments, the data file they write)
EXAMPLES = {
    "wine-multiclass": ("DATASET=wine", "data/wine.csv"),
    "diabetes-regression": ("DATASET=diabetes", "data/diabetes.csv"),
    "clinic-categorical": ("ROWS=1000", "data/synthetic_1000.parquet"),
}
LOWER_IS_BETTER = {"rmse", "mae", "log_loss"}


def test_every_example_has_params_a_readme_and_a_test() -> None:
    folders = {p.name for p in (REPO_ROOT / "examples").iterdir() if p.is_dir()}
    assert folders == set(EXAMPLES)
    for name in folders:
        assert (REPO_ROOT / "examples" / name / "params.yaml").is_file()
        assert name in (REPO_ROOT / "examples" / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_trains_passes_its_gate_and_model_tests_and_reports(
    template: Project, name: str
) -> None:
    sample_args, data_file = EXAMPLES[name]
    shutil.copyfile(template.root / "examples" / name / "params.yaml", template.params_path)
    params = template.read_params()
    assert params["data"]["path"] == data_file

    template.make("sample-data", sample_args)
    init = template.make("init").stdout
    assert f"init: {data_file} matches params.yaml" in init and "dvc add data" in init
    template.dvc("add", "data")
    assert template.repro() == template.stages_from()
    plots = template.dvc("plots", "show", "--json")  # dvc.yaml's plots fit every task
    assert "failed to load" not in plots.stdout + plots.stderr

    metric, floor = params["evaluate"]["primary_metric"], params["gate"]["floor"]
    value = template.metrics()[metric]
    assert value <= floor if metric in LOWER_IS_BETTER else value >= floor
    template.make("test-model")  # the example's own model_tests: section holds

    template.make("report", "BASE=main")
    report = (template.root / "report.md").read_text(encoding="utf-8")
    assert f"**{metric}** (primary)" in report
    assert f"| `data.path` | data/breast_cancer.csv | {data_file} |" in report
    if name == "clinic-categorical":
        _check_inclusion(template, report)


def _check_inclusion(project: Project, report: str) -> None:
    """The clinic example marks age_band sensitive: rates per group, a report table, a gate."""
    slices = json.loads((project.root / "metrics/slices.json").read_text())
    bands = slices["age_band"]
    assert all({"selection_rate", "tpr", "fpr"} <= set(row) for row in bands.values())
    assert all("tpr" not in row for row in slices["region"].values())  # not sensitive
    assert "## Inclusion (groups of sensitive attributes)" in report
    assert f"| `age_band` | age_band_00 | {bands['age_band_00']['rows']} |" in report
    project.commit("clinic example trained")
    project.set_params(**{"gate.max_opportunity_gap": 0.1})
    gate = project.cli("gate", "--base", "HEAD", check=False)
    assert gate.returncode == 1
    assert "between groups of the sensitive column age_band (limit 0.1)" in gate.stdout
