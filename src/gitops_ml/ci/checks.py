"""`make pr-checks BASE=<rev>`: the pull request's checks, one after another in one process.

The checks (model tests, report, feature cost, gate, training cost, tuning) read the same
prepared split and model and import the same libraries. As separate processes each paid
about two seconds of imports on a 2-core runner, more than most of them spend working.
Here they run in one process, in the order of pr-train.yml, with the same arguments as
their make targets. Each check's output, its child processes' included, is kept in
report/checks/<name>.log and its exit status in report/checks/status.json. A failing
check does not stop the next one: the report is still written when the model tests fail.

pr-train.yml then gives each check its own step (`make check-result CHECK=<name>`: the
log, then the check's exit status), so a reviewer still sees which check failed and the
"Quality gate" step still fails the job. `make pr-checks` exits 1 when any check failed.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

from gitops_ml.core import commands, config
from gitops_ml.core.atomic import write_text

LOG_DIR = config.CI_DIR / "checks"
STATUS_FILE = LOG_DIR / "status.json"

# name (as `python -m gitops_ml <name>`), the command's function, whether it takes --base
CHECKS: tuple[tuple[str, str, bool], ...] = (
    ("test-model", "gitops_ml.checks.model_tests:main", False),
    ("report", "gitops_ml.review.report:main", True),
    ("feature-cost", "gitops_ml.review.feature_cost:main", False),
    ("gate", "gitops_ml.review.gate:main", True),
    ("train-cost", "gitops_ml.review.train_cost:main", True),
    ("tune-check", "gitops_ml.review.tune:main", False),
)
NAMES = tuple(name for name, _, _ in CHECKS)


@contextmanager
def captured(log: Path) -> Iterator[None]:
    """This process's output, and that of the processes it starts, into `log`, in order.

    Redirected at the file descriptors as well as sys.stdout and sys.stderr, so a check's
    child process (train-cost's fits, test-model's memory probe, DVC) lands in its log too.
    The log is opened for appending, so writes through either way keep their order."""
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    saved = [os.dup(1), os.dup(2)]
    log.write_bytes(b"")
    try:
        with log.open("ab") as handle:
            os.dup2(handle.fileno(), 1)
            os.dup2(handle.fileno(), 2)
            text = open(  # noqa: SIM115 - closed below; it must not close the descriptor
                handle.fileno(), "w", encoding="utf-8", buffering=1, closefd=False
            )
            try:
                with redirect_stdout(text), redirect_stderr(text):
                    yield
            finally:
                text.close()
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in saved:
            os.close(fd)


def run_check(name: str, target: str, argv: list[str]) -> tuple[int, float]:
    """One check, its output into its log and then onto this process's output."""
    log = LOG_DIR / f"{name}.log"
    print(f"::group::{name}" if os.environ.get("GITHUB_ACTIONS") else f"== {name}", flush=True)
    start = time.perf_counter()
    with captured(log):
        try:
            status = commands.call(target, argv)
        except SystemExit as exit_:  # a command may still exit; it ends this check only
            code = exit_.code
            if code is not None and not isinstance(code, int):
                print(code, file=sys.stderr)  # as Python prints it when a process exits
            status = 0 if code is None else code if isinstance(code, int) else 1
        except Exception:  # a crash fails this check, not the ones after it
            import traceback

            traceback.print_exc()
            status = 1
    seconds = time.perf_counter() - start
    sys.stdout.write(log.read_text(encoding="utf-8", errors="replace"))
    print(f"{name}: exit {status} ({seconds:.2f} s)", flush=True)
    if os.environ.get("GITHUB_ACTIONS"):
        print("::endgroup::", flush=True)
    return status, seconds


def run_all(base: str | None) -> dict[str, Any]:
    """Every check in order; the status file is rewritten after each one, so a killed run
    leaves the checks it finished, and the rest read as not run."""
    shutil.rmtree(LOG_DIR, ignore_errors=True)
    LOG_DIR.mkdir(parents=True)
    record: dict[str, Any] = {"base": base, "checks": {}}
    for name, target, takes_base in CHECKS:
        argv = ["--base", base] if takes_base and base else []
        status, seconds = run_check(name, target, argv)
        record["checks"][name] = {"exit": status, "seconds": round(seconds, 2)}
        if name == "gate":  # the comment's "Quality gate" section reads it
            write_text(config.GATE_FILE, (LOG_DIR / "gate.log").read_text(encoding="utf-8"))
        write_text(STATUS_FILE, json.dumps(record, indent=2) + "\n")
    return record


def main(argv: list[str]) -> int:
    parser = commands.parser(
        "ci-checks",
        "run the PR checks in one process: " + ", ".join(NAMES) + f" -> {STATUS_FILE}",
    )
    parser.add_argument("--base", help="git revision to compare with (report, gate, train-cost)")
    args = parser.parse_args(argv)
    record = run_all(args.base)
    failed = [name for name, r in record["checks"].items() if r["exit"] != 0]
    summary = ", ".join(f"{n} {r['seconds']:.1f} s" for n, r in record["checks"].items())
    print(f"pr-checks: {summary}")
    if failed:
        print(f"pr-checks: FAILED: {', '.join(failed)} (logs in {LOG_DIR}/)", file=sys.stderr)
        return 1
    return 0
