"""`make report` and `make gate` on one commit never disagree: same measurements, same rules.

The report keeps its verdict for the gate (gitops_ml.review.verdict), so these tests also
make the gate measure afresh: the verdict must not depend on which command timed the models.
"""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import Project

pytestmark = pytest.mark.slow

ROUNDS = 5


def _report_passed(project: Project) -> bool:
    shutil.rmtree(project.root / ".dvc" / "cache" / "checks", ignore_errors=True)  # measure
    project.cli("report", "--base", "main", check=False)
    first = (project.root / "report.md").read_text().splitlines()[2]
    assert first.startswith(("✅ **Gate passed**", "❌ **Gate failed**")), first
    return first.startswith("✅")


def _fresh_gate(project: Project) -> tuple[bool, str]:
    (project.root / "report" / "verdict.json").unlink()  # no kept verdict: measure again
    gate = project.cli("gate", "--base", "main", check=False)
    assert gate.returncode in (0, 1), gate.stderr
    return gate.returncode == 0, gate.stdout


def test_report_and_a_fresh_gate_agree_five_times_on_a_latency_neutral_change(
    trained: Project,
) -> None:
    trained.git("checkout", "-q", "-b", "pr")
    # Same trees, same depth, slightly other leaf values: the model's speed does not change.
    trained.set_params(**{"model.params.learning_rate": 0.11})
    assert trained.repro() == trained.stages_from("train")
    trained.commit("a slightly larger learning rate")
    for round_ in range(ROUNDS):
        reported = _report_passed(trained)
        gated, out = _fresh_gate(trained)
        assert reported and gated, f"round {round_}: report {reported}, gate {gated}: {out}"
        assert "latency_ms_per_1000_rows" not in out  # no latency failure, not even a note


def test_a_drop_within_noise_is_gated_as_the_drop_rule_says_and_the_report_says_which(
    trained: Project,
) -> None:
    trained.git("checkout", "-q", "-b", "pr")
    trained.set_params(**{"model.params.max_iter": 40, "gate.max_drop": 0.0})
    trained.repro()
    trained.commit("fewer boosting iterations; no drop allowed")
    report = trained.root / "report.md"
    passed = _report_passed(trained)
    text = report.read_text()
    assert "Reading: **within noise**" in text
    assert "`gate.drop_rule: absolute`" in text
    assert not passed and "but gate.drop_rule absolute fails" in text.splitlines()[2]
    assert _fresh_gate(trained)[0] is False

    trained.set_params(**{"gate.drop_rule": "significant"})
    trained.commit("gate only drops the test can tell from noise")
    assert _report_passed(trained)
    text = report.read_text()
    assert "passed by gate.drop_rule significant" in text.splitlines()[2]
    assert "`gate.drop_rule: significant`" in text
    gated, out = _fresh_gate(trained)
    assert gated and "passed by gate.drop_rule significant" in out
