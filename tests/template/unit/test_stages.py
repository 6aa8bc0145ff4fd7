"""The machinery knows the team's stages by role, never by name or number."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gitops_ml.core import stages
from gitops_ml.review.datadiff import data_changed
from tests.conftest import Project

# A team's pipeline with a fourth stage, and the data read by a stage named "ingest".
FOUR_STAGES = {
    "ingest": {
        "cmd": "python -m ml_project.stages.ingest",
        "deps": ["${data.path}", "contract.yaml"],
        "outs": ["artifacts/prepared"],
    },
    "featurize": {
        "cmd": "python -m ml_project.stages.featurize",
        "deps": ["artifacts/prepared/train.parquet"],
        "outs": ["artifacts/features"],
    },
    "train": {
        "cmd": "python -m ml_project.stages.train",
        "deps": ["artifacts/features"],
        "outs": ["artifacts/model/model.skops"],
    },
    "evaluate": {
        "cmd": "python -m ml_project.stages.evaluate",
        "deps": ["artifacts/model/model.skops", "artifacts/prepared/test.parquet"],
        "metrics": [{"metrics/metrics.json": {"cache": False}}],
    },
}
VALUES = {"data": {"path": "data/churn.csv"}}


@pytest.fixture
def four_stages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "dvc.yaml").write_text(yaml.safe_dump({"stages": FOUR_STAGES}, sort_keys=False))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_stage_reading_the_data_is_found_by_its_deps_not_its_name(four_stages: Path) -> None:
    assert stages.data_readers(VALUES) == ["ingest"]  # `${data.path}`, filled from params
    literal = {"stages": {"load": {"cmd": "python -m x", "deps": ["data/churn.csv"]}}}
    (four_stages / "dvc.yaml").write_text(yaml.safe_dump(literal))
    assert stages.data_readers(VALUES) == ["load"]  # the path written out
    assert stages.data_readers({"data": {"path": "data/other.csv"}}) == []


def test_a_pr_that_reran_the_data_reader_changed_the_data(four_stages: Path) -> None:
    class Same:  # both sides' data.dvc are equal
        def text(self, path: str) -> str:
            return "outs: []"

    side = Same()
    assert data_changed(side, side, ["ingest", "featurize"], VALUES)  # type: ignore[arg-type]
    assert not data_changed(side, side, ["train", "evaluate"], VALUES)  # type: ignore[arg-type]


def test_the_tests_expect_downstream_stages_from_dvc_yaml(four_stages: Path) -> None:
    project = Project(four_stages)
    assert project.stages_from() == ["ingest", "featurize", "train", "evaluate"]
    assert project.stages_from("featurize") == ["featurize", "train", "evaluate"]
    assert project.stages_from("train") == ["train", "evaluate"]
    assert project.stages_from("evaluate") == ["evaluate"]
