"""`make check-result CHECK=<name>`: one check's log and exit status from `make pr-checks`.

pr-train.yml runs the checks in one process (gitops_ml.ci.checks), then gives each its own
step through this command, so a reviewer sees which check failed and the job fails at that
check's step. A check with no recorded result did not run: that fails too, and says where
to look. Reads two small files; imports nothing heavy.
"""

from __future__ import annotations

import json
import sys

from gitops_ml.ci.checks import LOG_DIR, NAMES, STATUS_FILE
from gitops_ml.core import commands


def main(argv: list[str]) -> int:
    parser = commands.parser("ci-check-result", "print one check's log; exit with its status")
    parser.add_argument("name", choices=NAMES)
    args = parser.parse_args(argv)
    try:
        record = json.loads(STATUS_FILE.read_text(encoding="utf-8"))["checks"][args.name]
    except (OSError, ValueError, KeyError):
        print(
            f"{args.name}: did not run (no result in {STATUS_FILE}); "
            "see the log of the step that ran `make pr-checks`",
            file=sys.stderr,
        )
        return 1
    log = LOG_DIR / f"{args.name}.log"
    if log.is_file():
        sys.stdout.write(log.read_text(encoding="utf-8", errors="replace"))
    status = int(record["exit"])
    print(f"{args.name}: exit {status} ({record['seconds']:.2f} s in `make pr-checks`)")
    return status
