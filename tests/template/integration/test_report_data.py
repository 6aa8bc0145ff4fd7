"""A data PR's report compares the right rows: the added ones, over the model's features,
and says where BASE's train and test rows went in the PR's split."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from tests.conftest import Project

pytestmark = pytest.mark.slow

DATA = "data/breast_cancer.csv"
ADDED = 200


def _section(report: str, title: str) -> str:
    start = report.index(f"## {title}")
    end = report.find("\n## ", start + 1)
    return report[start : end if end > 0 else None]


def _append_shifted_rows(project: Project) -> None:
    """ADDED rows like the data's own, but with mean_radius doubled and worst_symmetry
    (dropped by the PR's params in one test) moved far away."""
    csv = project.root / DATA
    frame = pd.read_csv(csv)
    extra = frame.sample(ADDED, random_state=0).assign(
        mean_radius=lambda f: f["mean_radius"] * 2, worst_symmetry=lambda f: f["worst_symmetry"] + 5
    )
    pd.concat([frame, extra], ignore_index=True).to_csv(csv, index=False)
    project.dvc("add", "data")


def _data_section(project: Project) -> str:
    project.cli("report", "--base", "main")
    return _section((project.root / "report.md").read_text(), "Data diff")


def _number(text: str, pattern: str) -> int:
    found = re.search(pattern, text)
    assert found, f"{pattern!r} not in:\n{text}"
    return int(found[1].replace(",", ""))


def test_appended_rows_drift_over_the_features_only_and_the_random_split_leaks(
    trained: Project,
) -> None:
    trained.git("checkout", "-q", "-b", "pr")
    _append_shifted_rows(trained)
    trained.set_params(**{"data.drop": ["worst_symmetry"]})
    assert trained.repro() == trained.stages_from()
    trained.commit("more rows, from a new scanner; worst_symmetry is unreliable there")
    data = _data_section(trained)

    assert f"**{ADDED} added or changed**, 0 removed or changed, 569 unchanged" in data
    assert f"**Drift of the {ADDED} added or changed rows against BASE's data**" in data
    assert "over the PR model's 29 feature columns" in data
    drift = {
        line.split("`")[1]: float(line.split("|")[3])
        for line in data.splitlines()
        if line.startswith("| `")
    }
    assert next(iter(drift)) == "mean_radius"
    assert [c for c, psi in drift.items() if psi > 0.2] == ["mean_radius"]
    assert "worst_symmetry" not in drift and "diagnosis" not in drift  # dropped, target

    base_test = _number(data, r"still in the PR's test split: [\d,]+ of ([\d,]+)")
    assert base_test == 113
    leaked = _number(data, r"BASE's train rows in the PR's test split: ([\d,]+)")
    assert leaked > 0  # the random split reshuffled
    assert f"⚠️ **{leaked} rows BASE trained on are test rows of the PR**" in data
    assert "Set `split.method: stable`" in data


def test_with_the_stable_split_appended_rows_leave_every_base_row_on_its_side(
    trained: Project,
) -> None:
    trained.set_params(**{"split.method": "stable", "split.stratify": False})
    assert trained.repro() == trained.stages_from()
    trained.commit("a split that appended rows cannot reshuffle")
    trained.git("checkout", "-q", "-b", "pr")
    _append_shifted_rows(trained)
    assert trained.repro() == trained.stages_from()
    trained.commit("more rows")
    data = _data_section(trained)

    base_test = _number(data, r"still in the PR's test split: [\d,]+ of ([\d,]+)")
    assert f"still in the PR's test split: {base_test} of {base_test}" in data
    assert "BASE's test rows the PR trains on: 0" in data
    assert "BASE's train rows in the PR's test split: 0" in data
    assert "⚠️" not in data
    assert "over the PR model's 30 feature columns" in data
