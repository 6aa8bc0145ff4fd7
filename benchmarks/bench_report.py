"""Whole-process time of `python -m gitops_ml report` on the sample data, and its DVC share.

Run with `make benchmark` (or `python benchmarks/bench_report.py` from the repository root).
It builds a temporary git repo with a trained BASE commit on main and a PR commit that
changes one hyperparameter (both reproduced), then times the report against main:
  report       the whole process, as CI runs it (median of BENCH_REPEAT runs)
  dvc share    time the report spent in DVC calls (its own measurement, printed on stderr)
  own work     report minus dvc share: the budget is 10 s on the sample data
  dvc cli      `dvc params diff` + `dvc metrics diff` run alone, for reference
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from gitops_ml.core import reuse
from measure import copy_tracked

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
BUDGET_S = 10.0


def run(cmd: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env=env, check=True, capture_output=True, text=True)


def build_repo(dest: Path) -> dict[str, str]:
    """BASE on main (trained) and a PR branch with a hyperparameter change (trained)."""
    copy_tracked(ROOT, dest)
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
    env.update(PYTHONPATH=str(dest / "src"), DVC_NO_ANALYTICS="1", ITERATIVE_DO_NOT_TRACK="1")
    env.update(GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@example.com")
    env.update(GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@example.com")
    env.update(GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1")
    dvc = str(BIN / "dvc")
    run(["git", "init", "-q", "-b", "main"], dest, env)
    run(["git", "add", "-A"], dest, env)
    run(["git", "commit", "-qm", "template"], dest, env)  # DVCLive needs a commit
    run([sys.executable, "-m", "gitops_ml", "data"], dest, env)
    run([dvc, "repro"], dest, env)
    run(["git", "add", "-A"], dest, env)
    run(["git", "commit", "-qm", "base", "--allow-empty"], dest, env)  # repro may match HEAD
    run(["git", "checkout", "-qb", "pr"], dest, env)
    params = yaml.safe_load((dest / "params.yaml").read_text())
    params["model"]["params"]["max_iter"] = 50
    (dest / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    run([dvc, "repro"], dest, env)
    run(["git", "add", "-A"], dest, env)
    run(["git", "commit", "-qm", "pr"], dest, env)
    return env


def time_report(repo: Path, env: dict[str, str]) -> tuple[float, float]:
    """Whole-process seconds, and the seconds the report says it spent in DVC calls. The
    report kept from the previous run is removed first: this measures building it, not
    restoring it."""
    shutil.rmtree(repo / reuse.CACHE_DIR / "report", ignore_errors=True)
    start = time.perf_counter()
    proc = run([sys.executable, "-m", "gitops_ml", "report", "--base", "main"], repo, env)
    total = time.perf_counter() - start
    match = re.search(r"of which ([0-9.]+) s in DVC calls", proc.stderr)
    return total, float(match[1]) if match else float("nan")


def main() -> int:
    repeat = int(os.environ.get("BENCH_REPEAT", "3"))
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        repo = Path(tmp) / "repo"
        repo.mkdir()
        env = build_repo(repo)
        runs = [time_report(repo, env) for _ in range(repeat)]
        total = statistics.median(r[0] for r in runs)
        dvc_share = statistics.median(r[1] for r in runs)
        start = time.perf_counter()
        for kind in ("params", "metrics"):
            run([str(BIN / "dvc"), kind, "diff", "main", "--all", "--md"], repo, env)
        dvc_cli = time.perf_counter() - start
    own = total - dvc_share
    print(f"report (whole process, median of {repeat}): {total:6.2f} s")
    print(f"  of which DVC calls:                    {dvc_share:6.2f} s")
    print(f"  own work (budget {BUDGET_S:.0f} s):                {own:6.2f} s")
    print(f"dvc params diff + dvc metrics diff alone: {dvc_cli:6.2f} s")
    print("report benchmark:", "OK" if own <= BUDGET_S else "OVER BUDGET")
    return 0


if __name__ == "__main__":
    sys.exit(main())
