"""Parallel experiments: a small hyperparameter grid through `dvc exp run --queue`.

`dvc queue start -j 2` starts two workers that each run a queued experiment in its own
temporary workspace; the results come back as experiments `dvc exp show` lists.
"""

from __future__ import annotations

import json
import subprocess
import time
from typing import Any

import pytest

from tests.conftest import VENV_BIN, Project

pytestmark = pytest.mark.slow

GRID = (10, 25, 60)  # model.params.max_iter


def experiment_results(project: Project) -> dict[int, dict[str, Any]]:
    """max_iter -> metrics of every experiment `dvc exp show --json` lists."""
    results: dict[int, dict[str, Any]] = {}
    for baseline in json.loads(project.dvc("exp", "show", "--json").stdout):
        for experiment in baseline.get("experiments") or []:
            for rev in experiment["revs"]:
                data = rev.get("data") or {}
                params = data["params"]["params.yaml"]["data"]
                metrics = data.get("metrics", {}).get("metrics/metrics.json", {}).get("data")
                if metrics:
                    results[params["model"]["params"]["max_iter"]] = metrics
    return results


def wait_for_queue(project: Project, timeout: float = 240.0) -> tuple[str, int]:
    """Poll `dvc queue status` until nothing is queued or running.

    Returns the last status and the most experiments seen running at once.
    """
    deadline = time.monotonic() + timeout
    most_running = 0
    while True:
        status = project.dvc("queue", "status").stdout
        most_running = max(most_running, status.count("Running"))
        if not any(state in status for state in ("Queued", "Running")):
            return status, most_running
        if time.monotonic() > deadline:
            raise AssertionError(f"queue still busy after {timeout} s:\n{status}")
        time.sleep(2)


def test_queued_grid_runs_on_two_workers_and_reports_one_result_per_value(
    trained: Project,
) -> None:
    # One sweep (comma-separated values) queues one experiment per value.
    trained.dvc("exp", "run", "--queue", "-S", f"model.params.max_iter={','.join(map(str, GRID))}")
    assert trained.dvc("queue", "status").stdout.count("Queued") == len(GRID)

    # The workers outlive `dvc queue start` and inherit its output: with captured pipes
    # the call would only return once they exit, so send their output nowhere.
    subprocess.run(
        [str(VENV_BIN / "dvc"), "queue", "start", "-j", "2"],
        cwd=trained.root,
        env=trained.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
        timeout=60,
    )
    try:
        status, most_running = wait_for_queue(trained)
    finally:
        trained.dvc("queue", "stop", check=False)

    assert status.count("Success") == len(GRID), status
    assert most_running == 2  # two workers, each on its own experiment
    results = experiment_results(trained)
    assert sorted(results) == sorted(GRID)
    scores = [results[n]["log_loss"] for n in GRID]
    assert len(set(scores)) == len(GRID)  # each value of the grid trained its own model
    assert trained.git("status", "--porcelain").stdout == ""  # the workspace is untouched
