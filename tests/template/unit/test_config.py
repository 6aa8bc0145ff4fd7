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


def test_stage_outputs_in_dvc_yaml_match_config_paths() -> None:
    stages = yaml.safe_load((REPO_ROOT / "dvc.yaml").read_text())["stages"]
    assert stage_paths(stages["prepare"], "outs") == {str(config.PREPARED_DIR)}
    assert stage_paths(stages["train"], "outs") == {str(config.MODEL_FILE)}
    evaluate = stages["evaluate"]
    assert stage_paths(evaluate, "outs") == {str(config.PREDICTIONS_FILE)}
    assert stage_paths(evaluate, "metrics") == {
        str(path)
        for path in (
            config.METRICS_FILE,
            config.BASELINES_FILE,
            config.SLICES_FILE,
        )
    }
    assert stage_paths(evaluate, "plots") == {str(config.PLOTS_DIR), str(config.IMPORTANCE_FILE)}
    assert {str(config.TRAIN_FILE), str(config.FEATURES_FILE)} <= stage_paths(
        stages["train"], "deps"
    )


def test_registered_model_artifact_is_the_trained_model_file() -> None:
    artifacts = yaml.safe_load((REPO_ROOT / "dvc.yaml").read_text())["artifacts"]
    assert [a["path"] for a in artifacts.values()] == [str(config.MODEL_FILE)]
