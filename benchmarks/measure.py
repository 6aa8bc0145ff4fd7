"""What the benchmarks share: a scratch copy of the template, and one child process measured
as they report it (wall time and peak memory)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path


def measured(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, int, str]:
    """(wall seconds, peak RSS in MB of the largest process waited for, exit status, output
    with stderr merged). `wait4` reports the child's own peak, which `time` would not."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert proc.stdout is not None
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    return wall, usage.ru_maxrss / 1024.0, os.waitstatus_to_exitcode(status), output  # KiB


def copy_tracked(root: Path, dest: Path) -> None:
    """The files git tracks in `root` (as a fresh clone has them) copied into `dest`; the
    copier link to the team's package is left out, as a benchmark's copy needs no renaming."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=root, capture_output=True, text=True, check=True
    )
    for rel in filter(None, listed.stdout.split("\0")):
        if (root / rel).is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / rel, dest / rel)
