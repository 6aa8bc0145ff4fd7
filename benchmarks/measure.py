"""One child process, measured as the benchmarks report it: wall time and peak memory."""

from __future__ import annotations

import os
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
