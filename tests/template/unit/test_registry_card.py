"""Pure pieces of the registry: choosing the model from dvc.yaml, the card's charts and pins."""

from __future__ import annotations

import pytest

from gitops_ml.core.errors import UserError
from gitops_ml.registry import lineage, model_card
from gitops_ml.registry.settings import RegistrySettings

DVC_YAML = {
    "artifacts": {
        "classifier": {"path": "artifacts/model/model.skops", "type": "model", "desc": "d"},
        "report": {"path": "report.md", "type": "doc"},
    }
}


def test_the_only_model_artifact_in_dvc_yaml_is_the_registered_model() -> None:
    found = lineage.model_artifact(DVC_YAML, RegistrySettings())
    assert (found.name, found.path, found.desc) == (
        "classifier",
        "artifacts/model/model.skops",
        "d",
    )


def test_several_models_need_registry_model_and_a_wrong_name_is_reported() -> None:
    two = {"artifacts": {**DVC_YAML["artifacts"], "ranker": {"path": "r.skops", "type": "model"}}}
    with pytest.raises(UserError) as many:
        lineage.model_artifact(two, RegistrySettings())
    assert "classifier, ranker" in many.value.problem and "registry.model" in many.value.fix
    assert lineage.model_artifact(two, RegistrySettings(model="ranker")).path == "r.skops"
    with pytest.raises(UserError) as missing:
        lineage.model_artifact(two, RegistrySettings(model="nope"))
    assert missing.value.field == "artifacts.nope"


def test_the_contract_fingerprint_changes_with_target_task_or_rules_only() -> None:
    base = {
        "data": {"target": "y", "task": "binary", "path": "a.csv"},
        "contract": {"min_rows": 50},
    }
    same = {**base, "data": {**base["data"], "path": "b.csv"}}
    assert lineage.contract_fingerprint(base) == lineage.contract_fingerprint(same)
    stricter = {**base, "contract": {"min_rows": 100}}
    assert lineage.contract_fingerprint(base) != lineage.contract_fingerprint(stricter)
    retargeted = {**base, "data": {**base["data"], "target": "z"}}
    assert lineage.contract_fingerprint(base) != lineage.contract_fingerprint(retargeted)


def test_roc_on_a_grid_takes_the_best_tpr_reached_at_each_fpr() -> None:
    points = [
        {"fpr": 0.0, "tpr": 0.0},
        {"fpr": 0.0, "tpr": 0.6},
        {"fpr": 0.25, "tpr": 0.9},
        {"fpr": 1.0, "tpr": 1.0},
    ]
    grid = model_card.roc_on_grid(points)
    assert len(grid) == len(model_card.ROC_GRID) == 11
    assert grid[0] == 0.6 and grid[2] == 0.6 and grid[3] == 0.9 and grid[-1] == 1.0


def test_confusion_table_counts_every_actual_predicted_pair() -> None:
    pairs = [{"actual": "a", "predicted": "a"}] * 3 + [{"actual": "a", "predicted": "b"}]
    table = model_card.confusion_table(pairs)
    assert table[0] == "| actual \\ predicted | a | b |"
    assert table[2] == "| a | 3 | 1 |" and table[3] == "| b | 0 | 0 |"


def test_environment_lists_the_key_pins_that_apply_to_this_python() -> None:
    lock = (
        "numpy==1.0.0 ; python_full_version < '3.0' \\\n"
        "    --hash=sha256:aa\n"
        "numpy==2.0.0 ; python_full_version >= '3.0' \\\n"
        "    --hash=sha256:bb\n"
        "scikit-learn==1.9.1 \\\n"
        "    --hash=sha256:cc\n"
        "requests==2.0.0\n"
    )
    assert model_card.environment(lock) == ["numpy==2.0.0", "scikit-learn==1.9.1"]
