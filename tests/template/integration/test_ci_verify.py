"""`make verify` / `make verify-remote` in a real git + DVC repository: each way a PR can
fail the reproducibility check, with the fix it prints, and the way back to green."""

from __future__ import annotations

import pytest

from tests.conftest import Project

pytestmark = pytest.mark.slow


def failed(proc_stdout: str) -> list[str]:
    return [line for line in proc_stdout.splitlines() if line.startswith("[FAIL]")]


def test_verify_catches_stale_and_uncommitted_results_and_passes_once_committed(
    trained: Project,
) -> None:
    assert trained.make("verify").returncode == 0

    # Params changed but the pipeline was not re-run.
    rows = trained.read_params()["evaluate"]["latency_rows"]
    trained.set_params(**{"evaluate.latency_rows": rows + 1})
    proc = trained.make("verify", check=False)
    assert proc.returncode != 0
    (stale,) = [line for line in failed(proc.stdout) if "pipeline up to date" in line]
    assert "evaluate" in stale
    assert "make repro" in proc.stdout
    assert any("params.yaml" in line for line in failed(proc.stdout))  # not committed either

    # Re-run but not committed: CI's dvc.lock differs from the committed one.
    assert trained.repro() == trained.stages_from("evaluate")
    proc = trained.make("verify", check=False)
    assert proc.returncode != 0
    (lock,) = [line for line in failed(proc.stdout) if "dvc.lock" in line]
    assert "evaluate" in lock and "train" not in lock
    assert "commit dvc.lock" in proc.stdout

    trained.commit("More latency rows")
    proc = trained.make("verify")
    assert failed(proc.stdout) == []
    summary = (trained.root / "report" / "verify.md").read_text()
    assert summary.startswith("### Reproducibility check: passed")


def test_verify_remote_fails_until_every_output_is_pushed(trained: Project) -> None:
    (trained.root.parent / "dvc-remote").mkdir()
    proc = trained.make("verify-remote", check=False)
    assert proc.returncode != 0
    (cloud,) = failed(proc.stdout)
    assert "not in remote 'local'" in cloud and "artifacts/model/model.skops" in cloud
    assert "make push" in proc.stdout

    trained.make("push")
    assert failed(trained.make("verify-remote").stdout) == []


def test_hand_edited_metrics_fail_the_check(trained: Project) -> None:
    path = trained.root / "metrics" / "metrics.json"
    path.write_text(path.read_text().replace("0.", "0.9", 1))
    proc = trained.make("verify", check=False)
    assert proc.returncode != 0
    assert any("metrics committed" in line for line in failed(proc.stdout))
    assert any("pipeline up to date" in line for line in failed(proc.stdout))
