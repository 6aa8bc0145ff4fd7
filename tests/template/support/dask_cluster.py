"""A real Dask cluster on 127.0.0.1 for the tests: one `dask scheduler` and `dask worker`
processes, each its own process group so one can be killed alone."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.conftest import REPO_ROOT, VENV_BIN, base_env

START_TIMEOUT_S = 60


@dataclass
class Worker:
    name: str
    proc: subprocess.Popen[bytes]
    address: str = ""


@dataclass
class Cluster:
    """Scheduler and workers as separate processes; the workers import the repository's code."""

    folder: Path
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    workers: list[Worker] = field(default_factory=list)

    @property
    def scheduler_file(self) -> Path:
        return self.folder / "scheduler.json"

    @property
    def address(self) -> str:
        return str(json.loads(self.scheduler_file.read_text())["address"])

    def _env(self) -> dict[str, str]:
        env = base_env(REPO_ROOT)
        env.update(OMP_NUM_THREADS="1", DASK_DISTRIBUTED__WORKER__DAEMON="False")
        return env

    def _spawn(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = (self.folder / f"{name}.log").open("wb")
        proc = subprocess.Popen(
            [str(VENV_BIN / "dask"), *args],
            cwd=self.folder,
            env=self._env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs.append(proc)
        return proc

    def start(self, workers: int = 2) -> Cluster:
        self._spawn(
            "scheduler",
            "scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--no-dashboard",
            "--scheduler-file",
            str(self.scheduler_file),
        )
        _wait(lambda: self.scheduler_file.is_file(), "the scheduler file")
        for _ in range(workers):
            self.add_worker()
        return self

    def add_worker(self) -> Worker:
        """A worker without a nanny, so killing its process kills the worker for good."""
        name = f"worker{len(self.workers) + 1}"
        proc = self._spawn(
            name,
            "worker",
            "--scheduler-file",
            str(self.scheduler_file),
            "--host",
            "127.0.0.1",
            "--nthreads",
            "1",
            "--no-nanny",
            "--no-dashboard",
            "--name",
            name,
        )
        worker = Worker(name, proc)
        self.workers.append(worker)
        _wait(lambda: name in self.worker_addresses(), f"{name} to join")
        worker.address = self.worker_addresses()[name]
        return worker

    def client(self) -> Any:
        from distributed import Client

        return Client(self.address, timeout=20)

    def worker_addresses(self) -> dict[str, str]:
        """Live workers by name, as the scheduler sees them."""
        with self.client() as client:
            info = client.scheduler_info(n_workers=-1)["workers"]
        return {w["name"]: addr for addr, w in info.items()}

    def kill(self, worker: Worker) -> None:
        os.killpg(worker.proc.pid, signal.SIGKILL)
        worker.proc.wait(timeout=30)
        self.workers.remove(worker)

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


def _wait(ready: Any, what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            if ready():
                return
        except (OSError, KeyError, ValueError):
            pass
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")
