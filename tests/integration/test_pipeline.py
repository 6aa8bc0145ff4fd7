"""The pipeline end to end in real git + DVC repositories: full, no-op, incremental, byte-exact."""

from __future__ import annotations

import hashlib

import pytest

from tests.conftest import Project

pytestmark = pytest.mark.slow


def test_fresh_clone_data_then_repro_reproduces_committed_lock_exactly(template: Project) -> None:
    committed = template.file_bytes("dvc.lock")
    out = template.cli("data")
    assert "embedded sample data" in out.stderr
    ran = template.repro()
    assert ran == ["prepare", "train", "evaluate"]
    assert template.file_bytes("dvc.lock") == committed
    assert template.git("status", "--porcelain").stdout == ""


def test_noop_repro_runs_nothing(trained: Project) -> None:
    assert trained.repro() == []


def test_forced_repro_gives_identical_hashes_and_model_bytes(trained: Project) -> None:
    before_lock = trained.file_bytes("dvc.lock")
    before_model = hashlib.sha256(trained.file_bytes("artifacts/model/model.skops")).hexdigest()
    trained.repro("-f")
    assert trained.file_bytes("dvc.lock") == before_lock
    assert (
        hashlib.sha256(trained.file_bytes("artifacts/model/model.skops")).hexdigest()
        == before_model
    )


def test_changing_a_hyperparameter_reruns_only_train_and_evaluate(trained: Project) -> None:
    trained.set_params(**{"model.params.max_iter": 40})
    assert trained.repro() == ["train", "evaluate"]
