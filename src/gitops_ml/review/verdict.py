"""The one measurement `make report` and `make gate` share.

Both commands compare the workspace with BASE (`compare`). `make report` keeps the verdict
in report/verdict.json under the hash of what it compared (BASE's commit, the workspace's
params, lock, metrics, model and splits), and `make gate` on the same inputs decides from
it instead of timing both models again. So the verdict at the top of report.md is exactly
what `make gate` decides, latency included; any other input is compared afresh.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitops_ml.core import commands, config
from gitops_ml.core.atomic import write_text

if TYPE_CHECKING:
    from gitops_ml.review.compare import Comparison

VERDICT_FILE = config.CI_DIR / "verdict.json"
_COMPARED = (
    config.PARAMS_FILE,
    Path("dvc.yaml"),
    Path("dvc.lock"),
    config.METRICS_FILE,
    config.BASELINES_FILE,
    config.SLICES_FILE,
    config.MODEL_FILE,
    config.PREDICTIONS_FILE,
    config.PREPARED_DIR,
)


def compared_key(base_rev: str, **more: str) -> str:
    """The hash of what the report compares; `more` keys what else a caller's result holds."""
    from gitops_ml.core import reuse
    from gitops_ml.registry import git

    return reuse.key(_COMPARED, {"base": git.commit_of(base_rev) or base_rev, **more})


def keep(base_rev: str, passed: bool, lines: list[str]) -> None:
    import json

    record = {"key": compared_key(base_rev), "passed": passed, "lines": lines}
    write_text(VERDICT_FILE, json.dumps(record, indent=2) + "\n")


def kept(base_rev: str) -> dict[str, Any] | None:
    """The verdict `make report` kept for exactly these inputs, or None."""
    import json

    try:
        record: dict[str, Any] = json.loads(VERDICT_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if record.get("key") == compared_key(base_rev) else None


def lines(cmp: Comparison) -> list[str]:
    return [cmp.result.verdict, *(f"  note: {n}" for n in cmp.notes + cmp.result.notes)]


def parser(prog: str, about: str) -> argparse.ArgumentParser:
    parser = commands.parser(prog, about)
    parser.add_argument(
        "--base",
        default=None,
        help="git revision to compare with (default: merge base with origin/main, else main)",
    )
    return parser
