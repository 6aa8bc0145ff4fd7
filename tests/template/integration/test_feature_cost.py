"""`make feature-cost` in a real trained repository: what dropping each feature would save."""

from __future__ import annotations

import json

import pytest

from gitops_ml.evaluation.quality import within_noise
from tests.conftest import Project

pytestmark = pytest.mark.slow


def _quick(project: Project) -> None:
    """Thirty small refits: one OpenMP thread each is faster than two on a busy machine,
    where threads wait for each other (the product itself keeps the default)."""
    project.env["OMP_NUM_THREADS"] = "1"


def test_feature_cost_writes_both_files_for_the_features_within_noise(trained: Project) -> None:
    _quick(trained)
    trained.cli("feature-cost", "--repeats", "2")
    importance = json.loads((trained.root / "metrics/importance.json").read_text())
    expected = within_noise(importance)
    assert 0 < len(expected) < len(importance)  # the sample has features above noise too
    result = json.loads((trained.root / "report/feature_cost.json").read_text())
    assert result["features"] == "within_noise" and result["latency_repeats"] == 2
    assert [r["feature"] for r in result["rows"]] == expected
    full = result["full_model"]
    for row in result["rows"]:
        assert row["size_saved_bytes"] == full["model_size_bytes"] - row["model_size_bytes"]
        assert row["metric_change"] == pytest.approx(row["roc_auc"] - full["roc_auc"], abs=2e-6)
        assert row["latency_measurable"] == (
            abs(row["latency_saved_ms_per_1000_rows"]) > row["latency_spread_ms"]
        )
    table = (trained.root / "report/feature_cost.md").read_text()
    assert table.startswith("## Feature cost")
    assert "| feature | importance | roc_auc change if dropped (+ better) |" in table
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    assert [r.split("`")[1] for r in rows] == expected


def test_a_second_call_on_the_same_inputs_reuses_the_result(trained: Project) -> None:
    """(tests/template/unit/test_reuse.py: any change to what it reads refits.)"""
    _quick(trained)
    trained.cli("feature-cost", "--repeats", "2")
    first_json = (trained.root / "report/feature_cost.json").read_text()
    first_md = (trained.root / "report/feature_cost.md").read_text()
    again = trained.cli("feature-cost", "--repeats", "2")
    assert "Reused: `feature-cost` already ran on exactly these inputs" in again.stderr
    assert (trained.root / "report/feature_cost.json").read_text() == first_json
    reused = (trained.root / "report/feature_cost.md").read_text()
    assert reused.startswith(first_md.rstrip("\n")) and "nothing was refit" in reused


def test_feature_cost_all_covers_every_feature_and_reaches_the_pr_comment(
    trained: Project,
) -> None:
    _quick(trained)
    trained.cli("feature-cost", "--all", "--repeats", "2")
    spec = json.loads((trained.root / "artifacts/prepared/features.json").read_text())
    result = json.loads((trained.root / "report/feature_cost.json").read_text())
    assert result["features"] == "all"
    assert [r["feature"] for r in result["rows"]] == spec["numeric"] + spec["categorical"]
    assert all(r["size_saved_bytes"] > 0 for r in result["rows"])  # fewer trees' inputs, less model

    trained.make("comment-body")
    body = (trained.root / "report/comment.md").read_text()
    assert "## Feature cost (each feature dropped in turn" in body


def test_a_costly_feature_within_noise_fails_feature_cost_until_accepted_by_name(
    trained: Project,
) -> None:
    """ML Test Score D3: a token column (a long, distinct string per row) listed as a
    categorical feature carries no signal, yet the model stores every token it saw: dropping it
    saves well over `gate.max_feature_cost` (5%) of the model file at no loss, so the
    feature-cost step fails, naming it, until the team accepts it by name."""
    import string

    import numpy as np
    import pandas as pd

    _quick(trained)
    csv = trained.root / "data" / "breast_cancer.csv"
    frame = pd.read_csv(csv)
    alphabet = np.array(list(string.ascii_letters + string.digits))
    rng = np.random.default_rng(0)
    frame["session_token"] = ["".join(rng.choice(alphabet, 48)) for _ in range(len(frame))]
    frame.to_csv(csv, index=False)
    trained.set_params(**{"data.features.categorical": ["session_token"]})
    trained.dvc("add", "data")
    trained.repro()
    trained.commit("a session token as a feature")

    failed = trained.make("feature-cost", check=False)
    assert failed.returncode != 0
    result = json.loads((trained.root / "report/feature_cost.json").read_text())
    (row,) = [r for r in result["rows"] if r["feature"] == "session_token"]
    share = row["size_saved_bytes"] / result["full_model"]["model_size_bytes"]
    assert share > 0.05
    assert result["rule"]["passed"] is False and len(result["rule"]["failures"]) == 1
    message = (
        f"feature-cost: FAILED: feature 'session_token' is within noise, and dropping it "
        f"saves {share:.1%} of the model's size ({row['size_saved_bytes']:,} of "
        f"{result['full_model']['model_size_bytes']:,} bytes; gate.max_feature_cost 5%)"
    )
    assert message in failed.stderr
    assert "over the limit in params.yaml: drop it (data.drop)" in failed.stderr
    assert "or keep it by naming it in gate.accepted_weak_features" in failed.stderr
    table = (trained.root / "report/feature_cost.md").read_text()
    assert "**Cost rule: FAILED**" in table and "- feature 'session_token' is within" in table

    trained.set_params(**{"gate.accepted_weak_features": ["session_token"]})
    accepted = trained.make("feature-cost")
    assert "nothing was refit" in accepted.stderr  # only the verdict is new
    assert "cost rule PASSED" in accepted.stdout
    table = (trained.root / "report/feature_cost.md").read_text()
    assert "**Cost rule: passed**" in table
    assert "session_token" in table and "accepted by name (gate.accepted_weak_features)" in table
