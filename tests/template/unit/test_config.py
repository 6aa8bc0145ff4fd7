"""dvc.yaml and config.py name the same paths: one cannot drift from the other."""

from __future__ import annotations

import yaml

from gitops_ml.core import config
from tests.conftest import REPO_ROOT


def stage_paths(stage: dict, key: str) -> set[str]:
    paths: set[str] = set()
    for entry in stage.get(key, []):
        paths.update([entry] if isinstance(entry, str) else entry)
    return paths


def declared(key: str) -> set[str]:
    """Every path under `key` (outs, metrics, plots, deps) of any stage in dvc.yaml."""
    stages = yaml.safe_load((REPO_ROOT / "dvc.yaml").read_text())["stages"]
    return set().union(*(stage_paths(stage, key) for stage in stages.values()))


def test_every_path_the_machinery_reads_is_an_output_of_some_stage() -> None:
    # by path, not by stage name: a team may rename, split or add stages
    assert {str(config.PREPARED_DIR), str(config.MODEL_FILE), str(config.PREDICTIONS_FILE)} <= (
        declared("outs")
    )
    metrics = {config.METRICS_FILE, config.BASELINES_FILE, config.SLICES_FILE}
    assert {str(path) for path in metrics} <= declared("metrics")
    assert {str(config.PLOTS_DIR), str(config.IMPORTANCE_FILE)} <= declared("plots")
    assert {str(config.TRAIN_FILE), str(config.FEATURES_FILE)} <= declared("deps")


def test_registered_model_artifact_is_the_trained_model_file() -> None:
    artifacts = yaml.safe_load((REPO_ROOT / "dvc.yaml").read_text())["artifacts"]
    assert [a["path"] for a in artifacts.values()] == [str(config.MODEL_FILE)]
