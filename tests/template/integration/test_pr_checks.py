"""`make pr-checks`: the PR checks in one process say exactly what the separate commands say.

pr-train.yml runs the checks through `make pr-checks` (one process, one import) and shows
each one's log and status with `make check-result`. Nothing the pull request is told may
change by that: the same files with the same numbers (timings apart), the same exit
statuses, the same gate verdict in the comment.
"""

from __future__ import annotations

import json
import re
import shutil

import pytest

from gitops_ml.ci import checks
from tests.conftest import Project

pytestmark = pytest.mark.slow

# Files a check writes (report/ relative to the project), compared after both runs.
OUTPUTS = (
    "report.md",
    "report/model_tests.md",
    "report/feature_cost.json",
    "report/feature_cost.md",
    "report/tune_check.md",
    "report/train_cost.md",
)
# Figures that are timings or memory of this machine, now: never the same twice.
_MEASURED = re.compile(r"latency|\d+(\.\d+)? ?(ms|s|MB|KB)\b|seconds|_ms|rss|memory", re.I)


def _steady(text: str) -> list[str]:
    """The text without this machine's measurements: a line naming one goes, and so does
    every cell of a table column whose heading names one (feature cost's latency saved,
    a figure or "not measurable" as the timings fell)."""
    kept: list[str] = []
    timed: set[int] | None = None  # the current table's measured columns; None: no table
    for line in text.splitlines():
        if not line.startswith("|"):
            timed = None
            if not _MEASURED.search(line):
                kept.append(line)
            continue
        cells = line.split("|")
        if timed is None:  # the heading row
            timed = {i for i, cell in enumerate(cells) if _MEASURED.search(cell)}
        row = "|".join("(measured)" if i in timed else cell for i, cell in enumerate(cells))
        if not _MEASURED.search(row):
            kept.append(row)
    return kept


def _separately(project: Project) -> dict[str, int]:
    """Each check as its own `python -m gitops_ml` process, as before `make pr-checks`."""
    statuses = {}
    for name, _, takes_base in checks.CHECKS:
        argv = ["--base", "main"] if takes_base else []
        statuses[name] = project.cli(name, *argv, check=False).returncode
    return statuses


def _forget(project: Project) -> None:
    """No kept results: every check measures and fits afresh."""
    shutil.rmtree(project.root / ".dvc" / "cache" / "checks", ignore_errors=True)
    (project.root / "report" / "verdict.json").unlink(missing_ok=True)


def test_pr_checks_in_one_process_match_the_separate_commands_and_fail_the_right_step(
    trained: Project,
) -> None:
    trained.env["OMP_NUM_THREADS"] = "1"
    trained.git("checkout", "-q", "-b", "pr")
    # A worse model with no drop allowed: the gate fails (and tuning finds better settings).
    trained.set_params(**{"model.params.max_iter": 10, "gate.max_drop": 0.0})
    trained.repro()
    trained.commit("ten boosting rounds; no drop allowed")

    _forget(trained)
    separate = _separately(trained)
    before = {rel: (trained.root / rel).read_text() for rel in OUTPUTS}
    assert separate["gate"] == 1 and separate["report"] == 0, separate

    _forget(trained)
    for rel in OUTPUTS:
        (trained.root / rel).unlink()
    run = trained.make("pr-checks", "BASE=main", check=False)
    assert run.returncode != 0, "a failed check must fail `make pr-checks`"
    failed = ", ".join(name for name, code in separate.items() if code)
    assert f"pr-checks: FAILED: {failed} (logs in" in run.stderr

    status = json.loads((trained.root / "report" / "checks" / "status.json").read_text())
    assert {name: r["exit"] for name, r in status["checks"].items()} == separate
    for rel in OUTPUTS:
        assert _steady((trained.root / rel).read_text()) == _steady(before[rel]), rel

    # The comment's gate section and the gate's own step both show the failure.
    gate_text = (trained.root / "report" / "gate.txt").read_text()
    assert gate_text.startswith("FAILED: ")
    step = trained.make("check-result", "CHECK=gate", check=False)
    assert step.returncode != 0 and "FAILED: " in step.stdout
    assert trained.make("check-result", "CHECK=report").returncode == 0
    trained.make("comment-body", "PR=7", "HEAD_SHA=abc")
    assert "FAILED: " in (trained.root / "report" / "comment.md").read_text()


def test_a_check_that_did_not_run_fails_its_step_with_where_to_look(trained: Project) -> None:
    step = trained.make("check-result", "CHECK=tune-check", check=False)
    assert step.returncode != 0
    assert "tune-check: did not run" in step.stderr and "make pr-checks" in step.stderr
