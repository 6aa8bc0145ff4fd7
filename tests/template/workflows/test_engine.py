"""The engine: a runner-like environment, readable failures, a timeout that ends everything."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import VENV_BIN
from tests.template.workflows.conftest import WORKFLOWS
from tests.template.workflows.engine import Engine, running
from tests.template.workflows.test_standins import run, scratch_repo

pytestmark = WORKFLOWS

PROBE = """\
    name: probe
    on: push
    jobs:
      probe:
        runs-on: ubuntu-latest
        steps:
          - run: |
              echo "bytecode=${PYTHONDONTWRITEBYTECODE:-unset}"
              echo "venv=${VIRTUAL_ENV:-unset}"
              echo "identity=$(git config user.name || echo none)"
              echo "path=$PATH"
              echo "run=$GITHUB_RUN_ID repo=$GITHUB_REPOSITORY ref=$GITHUB_REF"
    """
FAILING = """\
    name: failing
    on: push
    jobs:
      build:
        runs-on: ubuntu-latest
        steps:
          - run: echo fine
          - name: Compile
            run: |
              for i in $(seq 1 60); do echo "line $i"; done
              echo "error: something broke" >&2
              exit 3
          - name: Never
            run: echo never
    """
SLOW = """\
    name: slow
    on: push
    jobs:
      wait:
        runs-on: ubuntu-latest
        steps:
          - run: echo "$$" > "$RUNNER_TEMP/../../../pid"; sleep 300
    """


def test_steps_see_a_fresh_runner_not_this_test_run(tmp_path: Path) -> None:
    repo = scratch_repo(tmp_path, {"probe.yml": PROBE})
    result = run(Engine(tmp_path / "ci"), repo, "probe.yml", "push", 17, ref="refs/heads/main")
    text = result.assert_ok().job().text
    assert "bytecode=unset" in text  # GitHub's runners do not set it
    assert "venv=unset" in text
    assert "identity=none" in text  # no git user: a workflow must set its own
    path = next(line for line in text.splitlines() if line.startswith("path="))
    assert str(VENV_BIN) not in path  # the test run's virtualenv is not on PATH
    assert "run=17 repo=acme/ml ref=refs/heads/main" in text


def test_a_failure_names_the_step_and_shows_its_last_lines(tmp_path: Path) -> None:
    repo = scratch_repo(tmp_path, {"failing.yml": FAILING})
    result = run(Engine(tmp_path / "ci"), repo, "failing.yml", "push", 1, ref="refs/heads/main")
    assert not result.ok and result.returncode != 0
    job = result.job("build")
    assert job.result == "failure"
    assert [s.name for s in job.failed()] == ["Compile"]
    assert job.find("Never") is None
    message = result.explain()
    assert "step Main 'Compile': failure" in message
    assert "error: something broke" in message and "line 60" in message
    assert "line 1\n" not in message  # the tail, not the whole output
    assert str(result.log_path) in message and result.log_path.is_file()
    with pytest.raises(AssertionError, match="Compile"):
        result.assert_ok()


def test_a_run_past_its_timeout_is_ended_with_everything_it_started(tmp_path: Path) -> None:
    repo = scratch_repo(tmp_path, {"slow.yml": SLOW})
    engine = Engine(tmp_path / "ci", timeout=5)
    result = run(engine, repo, "slow.yml", "push", 1, ref="refs/heads/main")
    assert result.timed_out and not result.ok
    assert "killed at the timeout" in result.explain()
    pid = int(next((tmp_path / "ci" / "runs").glob("*/pid")).read_text())
    assert not running(pid)  # the step's shell is gone too


def test_uncommitted_changes_are_refused_since_act_would_copy_them(tmp_path: Path) -> None:
    repo = scratch_repo(tmp_path, {"probe.yml": PROBE})
    (repo / "stray.txt").write_text("not committed\n")
    with pytest.raises(AssertionError, match=r"stray\.txt"):
        run(Engine(tmp_path / "ci"), repo, "probe.yml", "push", 1, ref="refs/heads/main")
    subprocess.run(["git", "clean", "-qfd"], cwd=repo, check=True)
