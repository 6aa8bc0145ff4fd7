"""`make search` on a real Dask cluster (a scheduler and two workers on 127.0.0.1, separate
processes): the fits run on both workers, the result equals the in-process and the
local-process runs to the last digit, a worker killed mid-search leaves the same result,
and an unreachable scheduler fails in seconds naming the setting to fix."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Project
from tests.template.support.dask_cluster import Cluster

pytestmark = pytest.mark.slow

# 6 candidates x 2 folds = 12 small fits: long enough to kill a worker in the middle.
SPACE = {
    "method": "grid",
    "params": {"learning_rate": [0.05, 0.1, 0.2], "max_leaf_nodes": [7, 15]},
    "cv": 2,
}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    started = Cluster(tmp_path_factory.mktemp("dask"))
    try:
        yield started.start(workers=2)
    finally:
        started.stop()


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, _trained_source: Path) -> Project:
    """One trained copy for the module, with the search space set."""
    copy = Project.copied(_trained_source, tmp_path_factory.mktemp("search") / "repo")
    copy.env["OMP_NUM_THREADS"] = "1"
    copy.set_params(**{"search": SPACE})
    return copy


def _search(project: Project, **env: str) -> dict[str, Any]:
    result = _with_env(project, env)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads((project.root / "artifacts/search/search.json").read_text())


def _with_env(project: Project, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    saved = dict(project.env)
    project.env.update(env)
    try:
        return project.make("search", check=False)
    finally:
        project.env.clear()
        project.env.update(saved)


def _numbers(result: dict[str, Any]) -> tuple[Any, ...]:
    """Everything that must not depend on where the fits ran (not times, not worker names)."""
    rows = [
        (r["params"], r["scores"], r["mean"], r["std"], r["rank"]) for r in result["candidates"]
    ]
    return result["best"], rows


@pytest.fixture(scope="module")
def local(project: Project) -> dict[str, Any]:
    """The reference: the search on two local processes (the default, -1, is one process
    on two cores with model.threads 2: fits of two threads each fill them)."""
    project.set_params(**{"search.n_jobs": 2})
    try:
        return _search(project)
    finally:
        project.set_params(**{"search.n_jobs": -1})


def test_search_runs_its_fits_on_both_workers_and_equals_the_local_run(
    project: Project, cluster: Cluster, local: dict[str, Any]
) -> None:
    on_dask = _search(project, DASK_SCHEDULER_ADDRESS=cluster.address)
    assert on_dask["ran_on"] == f"Dask scheduler {cluster.address}"
    assert set(on_dask["workers"]) == {w.address for w in cluster.workers}  # each task reports
    assert _numbers(on_dask) == _numbers(local)
    assert len(local["candidates"]) == 6 and all(len(r["scores"]) == 2 for r in local["candidates"])
    assert local["ran_on"] == "local processes (n_jobs=2)"
    assert len(set(local["workers"])) == 2 and all(
        w.startswith("local pid") for w in local["workers"]
    )


def test_in_process_search_equals_the_local_processes_and_writes_the_same_winner(
    project: Project, local: dict[str, Any]
) -> None:
    project.set_params(**{"search.n_jobs": 1})
    try:
        serial = _search(project)
    finally:
        project.set_params(**{"search.n_jobs": -1})
    assert serial["ran_on"] == "in-process"
    assert _numbers(serial) == _numbers(local)


def test_a_worker_killed_mid_search_leaves_the_same_result(
    project: Project, cluster: Cluster, local: dict[str, Any]
) -> None:
    victim = cluster.workers[-1]
    project.env["DASK_SCHEDULER_ADDRESS"] = cluster.address
    try:
        running = subprocess.Popen(
            ["make", "--no-print-directory", "search", *_make_overrides()],
            cwd=project.root,
            env=project.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        _kill_when_busy(cluster, victim, running)
        stdout, stderr = running.communicate(timeout=300)
    finally:
        del project.env["DASK_SCHEDULER_ADDRESS"]
        cluster.add_worker()  # two workers again for any later test
    assert running.returncode == 0, stdout + stderr
    after = json.loads((project.root / "artifacts/search/search.json").read_text())
    assert _numbers(after) == _numbers(local)


def _make_overrides() -> list[str]:
    from tests.conftest import VENV_BIN

    stamp = f"{VENV_BIN.parent}/.installed"
    return [f"VENV={VENV_BIN.parent}", f"STAMP={stamp}", "-o", stamp]


def _kill_when_busy(cluster: Cluster, victim: Any, running: subprocess.Popen[str]) -> None:
    """SIGKILL the victim while the scheduler shows a search fit running on it."""

    def busy_on(dask_scheduler: Any) -> list[str]:
        return [
            ts.processing_on.address
            for ts in dask_scheduler.tasks.values()
            if ts.processing_on is not None
        ]

    deadline = time.monotonic() + 120
    with cluster.client() as client:
        while time.monotonic() < deadline and running.poll() is None:
            if victim.address in client.run_on_scheduler(busy_on):
                cluster.kill(victim)
                return
            time.sleep(0.05)
    raise AssertionError("the search never ran a fit on the second worker")


def test_an_unreachable_scheduler_fails_in_seconds_naming_the_setting(project: Project) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    start = time.monotonic()
    result = _with_env(project, {"DASK_SCHEDULER_ADDRESS": f"tcp://127.0.0.1:{port}"})
    took = time.monotonic() - start
    assert result.returncode != 0 and took < 30
    assert "DASK_SCHEDULER_ADDRESS: cannot reach the Dask scheduler" in result.stderr
    assert f"tcp://127.0.0.1:{port}" in result.stderr and "unset it" in result.stderr


def test_a_search_hyperparameter_the_estimator_lacks_stops_make_check(project: Project) -> None:
    project.set_params(**{"search.params": {"learning_rte": [0.1]}})
    try:
        result = project.cli("check", check=False)
    finally:
        project.set_params(**{"search": SPACE})
    assert result.returncode == 2
    assert "params.yaml: search.params.learning_rte: HistGradientBoostingClassifier has no" in (
        result.stderr
    )
