"""Where refits run: local processes by default, a Dask cluster when a scheduler is named.

`make search`, `make tune-check` and `make feature-cost` hand every fit to `run_all`, so
the place they run is configuration (`DASK_SCHEDULER_ADDRESS`, else params.yaml
`search.scheduler`; `search.n_jobs` for local processes), never code. Each task is a
self-contained, seeded, fixed-thread fit, so its result is the same wherever it runs.
Dask and distributed are imported only here and only when a scheduler is set: a plain
`make repro` never loads them.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from gitops_ml.core.errors import UserError
from gitops_ml.core.params import Params

T = TypeVar("T")
R = TypeVar("R")

ENV_VAR = "DASK_SCHEDULER_ADDRESS"
CONNECT_TIMEOUT_S = 5  # an unreachable scheduler fails in seconds, not at the first fit


@dataclass(frozen=True)
class Where:
    """Where the fits of one command run: a scheduler address, else n local processes."""

    scheduler: str | None
    n_jobs: int
    source: str  # what set the scheduler: the variable or the params key, for messages
    threads: int = 1  # threads each fit uses (model.threads)

    @property
    def local_jobs(self) -> int:
        """Processes for local fits: search.n_jobs, or (-1) as many as the cores hold fits
        of model.threads threads each. More would make the fits' threads fight for cores:
        on two cores with two threads per fit that is in-process, the fastest here."""
        if self.n_jobs > 0:
            return self.n_jobs
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
        return max(1, (cores or os.cpu_count() or 1) // max(1, self.threads))

    @property
    def label(self) -> str:
        if self.scheduler:
            return f"Dask scheduler {self.scheduler}"
        jobs = self.local_jobs
        return "in-process" if jobs == 1 else f"local processes (n_jobs={jobs})"


def where(p: Params) -> Where:
    """The environment variable wins over params.yaml, so CI can borrow a cluster per job."""
    from_env = os.environ.get(ENV_VAR, "").strip()
    if from_env:
        return Where(from_env, p.search.n_jobs, ENV_VAR, p.model.threads)
    source = "params.yaml search.scheduler"
    return Where(p.search.scheduler, p.search.n_jobs, source, p.model.threads)


def run_all(fn: Callable[[T], R], tasks: Sequence[T], place: Where) -> list[R]:
    """`fn(task)` for every task, in order, where `place` says; results as if run serially."""
    if not tasks:
        return []
    if place.scheduler:
        return _on_dask(fn, tasks, place)
    jobs = min(len(tasks), place.local_jobs)
    if jobs == 1:
        return [fn(task) for task in tasks]
    from joblib import Parallel, delayed  # type: ignore[import-untyped]

    out: list[R] = Parallel(n_jobs=jobs, backend="loky")(delayed(fn)(task) for task in tasks)
    return out


def _on_dask(fn: Callable[[T], R], tasks: Sequence[T], place: Where) -> list[R]:
    """Submit each task to the cluster; a worker lost mid-run has its tasks rescheduled."""
    field = ENV_VAR if place.source == ENV_VAR else "search.scheduler"
    file = "environment" if place.source == ENV_VAR else "params.yaml"
    try:
        from distributed import Client
    except ImportError:
        raise UserError(
            file,
            field,
            f"a Dask scheduler is set ({place.scheduler}) but dask.distributed is not installed",
            "install the `dask` extra (`uv sync --extra dask`), or unset it to fit locally",
        ) from None
    try:
        client = Client(place.scheduler, timeout=CONNECT_TIMEOUT_S)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError, ValueError) as err:
        raise UserError(
            file,
            field,
            f"cannot reach the Dask scheduler at {place.scheduler!r} within "
            f"{CONNECT_TIMEOUT_S} s ({type(err).__name__}: {err})",
            f"start the scheduler and workers (docs/scaling.md), correct {field}, "
            "or unset it to fit on local processes",
        ) from None
    with client:
        futures = client.map(fn, list(tasks), pure=False)
        results: list[R] = client.gather(futures)  # type: ignore[no-untyped-call]
    return results


def worker_name() -> str:
    """Who ran this task: the Dask worker's address, else the local process."""
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return f"local pid {os.getpid()}"


@functools.lru_cache(maxsize=4)
def _read(path: str, columns: tuple[str, ...], stamp: tuple[int, int]) -> Any:
    from gitops_ml.core import data

    return data.read_parquet(Path(path), columns=list(columns))


def read_split(path: Path, columns: list[str]) -> Any:
    """The prepared split, read once per worker process and kept while the file is unchanged.

    Tasks carry the path, not the frame: each worker reads the rows itself, so the client
    never holds or ships the data. The cache key includes the file's size and mtime, as a
    long-lived worker serves many searches."""
    info = path.stat()
    return _read(str(path.resolve()), tuple(columns), (info.st_size, info.st_mtime_ns))
