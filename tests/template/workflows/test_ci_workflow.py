"""ci.yml under act for a pull request: the real job, step by step, on the PR's merge commit.

The job runs `make tools`, `make setup`, `make lint` and `make test` exactly as written in
the workflow. Only the matrix is narrowed to this machine's Python (the setup-python
stand-in never downloads another) and the inner `make test` to a few fast files, since the
whole suite is what `make test` itself runs.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from tests.template.workflows.conftest import WORKFLOWS, Scenario

pytestmark = WORKFLOWS

PYTHON = f"{sys.version_info[0]}.{sys.version_info[1]}"
# PYTEST_ADDOPTS naming files makes pytest collect only those, whatever the job's arguments.
INNER_TESTS = "tests/template/unit/test_atomic.py"


def test_ci_lints_and_tests_the_merge_commit_of_a_pull_request(scenario: Scenario) -> None:
    docs = scenario.project.root / "docs" / "ci.md"
    pr = scenario.pull_request(
        "docs-wording",
        files={"docs/ci.md": docs.read_text() + "\nA sentence a reviewer asked for.\n"},
        repro=False,
    )
    merge = scenario.merge_commit(pr)

    result = scenario.run(
        "ci.yml",
        "pull_request",
        scenario.pull_request_event(pr),
        at=merge,
        matrix={"python": PYTHON},
        env={"PYTEST_ADDOPTS": INNER_TESTS},
    )

    result.assert_ok()
    # The push-only job (saving main's DVC cache) does not run for a pull request.
    assert [j.job_id for j in result.jobs] == ["lint-and-test"]
    job = result.job("lint-and-test", python=PYTHON)
    assert job.name == f"CI/lint and test (Python {PYTHON})"

    python = job.step("actions/setup-python")
    assert python.outputs["python-version"].startswith(f"{PYTHON}.")
    assert Path(python.outputs["python-path"]).name == "python"
    assert "node 22 was requested" in job.step("actions/setup-node").text

    setup = job.step("Create .venv from requirements.lock")
    assert "uv pip sync" in setup.text and "requirements.lock" in setup.text

    lint = job.step("Lint (ruff, zizmor, actionlint, workflow schema)").text
    assert "All checks passed!" in lint  # ruff check
    assert re.search(r"\d+ files already formatted", lint)  # ruff format --check
    assert "No findings to report" in lint  # zizmor
    assert "node .ci/actionlint.mjs" in lint
    assert "ok -- validation done" in lint  # check-jsonschema

    tests = job.step("Test").text
    assert "-n auto" in tests
    assert re.search(r"=+ \d+ passed in ", tests), tests
    assert "failed" not in tests
