"""The `on:` filters act ignores are applied by the harness, with GitHub's rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tests.template.workflows.conftest import WORKFLOWS
from tests.template.workflows.triggers import matches, not_triggered

pytestmark = WORKFLOWS

WORKFLOW_DIR = REPO_ROOT / ".github" / "workflows"


@pytest.mark.parametrize(
    ("patterns", "value", "expected"),
    [
        (["src/**"], "src/ml_project/stages/train.py", True),
        (["src/*"], "src/gitops_ml/cli.py", False),  # * stays within a folder
        (["contract*.yaml"], "contract.yaml", True),
        (["contract*.yaml"], "configs/contract.yaml", False),
        (["**.md", "!README.md"], "README.md", False),  # the last match decides
        (["**.md", "!docs/**", "docs/ci.md"], "docs/ci.md", True),
        (["release/v1?.0"], "release/v.0", True),  # ? : zero or one of the preceding
        (["main"], "main-2", False),
    ],
)
def test_filter_patterns_follow_githubs_cheat_sheet(
    patterns: list[str], value: str, expected: bool
) -> None:
    assert matches(patterns, value) is expected


def pr(base: str = "main", action: str = "synchronize") -> dict[str, object]:
    return {"action": action, "number": 1, "pull_request": {"base": {"ref": base}}}


def test_pull_request_training_starts_for_pipeline_inputs_only() -> None:
    path = WORKFLOW_DIR / "pr-train.yml"
    assert not_triggered(path, "pull_request", pr(), ["params.yaml", "README.md"]) is None
    assert not_triggered(path, "pull_request", pr(), ["src/gitops_ml/cli.py"]) is None
    reason = not_triggered(path, "pull_request", pr(), ["README.md", "docs/ci.md"])
    assert reason is not None and "paths" in reason
    with pytest.raises(ValueError, match="changed files"):
        not_triggered(path, "pull_request", pr())
    closed = not_triggered(path, "pull_request", pr(action="closed"), ["params.yaml"])
    assert closed is not None and "closed" in closed


def test_push_filters_on_the_branch_and_workflow_run_on_the_workflow(tmp_path: Path) -> None:
    path = tmp_path / "w.yml"
    path.write_text(
        "on:\n"
        "  push:\n    branches: [main]\n"
        "  workflow_run:\n    workflows: [PR training]\n    types: [completed]\n"
        "jobs: {}\n"
    )
    assert not_triggered(path, "push", {"ref": "refs/heads/main"}) is None
    assert "feature" in str(not_triggered(path, "push", {"ref": "refs/heads/feature"}))
    assert "tags" not in str(not_triggered(path, "push", {"ref": "refs/heads/feature"}))
    assert "only branches" in str(not_triggered(path, "push", {"ref": "refs/tags/v1"}))
    done = {"action": "completed", "workflow_run": {"name": "PR training", "head_branch": "x"}}
    assert not_triggered(path, "workflow_run", done) is None
    other = {"action": "completed", "workflow_run": {"name": "CI", "head_branch": "x"}}
    assert "CI" in str(not_triggered(path, "workflow_run", other))
    assert "no `on: schedule`" in str(not_triggered(path, "schedule", {}))
