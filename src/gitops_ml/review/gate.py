"""`make gate`: the quality gate against BASE; exit 1 when the PR's model fails it.

Decided from `make report`'s kept measurement when the inputs are the same
(gitops_ml.review.verdict), so the report and the gate never disagree on one commit.
"""

from __future__ import annotations

from gitops_ml.core import config, params
from gitops_ml.core.errors import UserError
from gitops_ml.review import verdict
from gitops_ml.review.base import resolve_base


def main(argv: list[str]) -> int:
    from gitops_ml.review.compare import compare

    args = verdict.parser("gate", "apply the quality gate against BASE").parse_args(argv)
    base_rev = resolve_base(args.base)
    kept = verdict.kept(base_rev)
    if kept is not None:
        print("\n".join(kept["lines"]))
        print("  note: decided from make report's measurement of these same inputs")
        return 0 if kept["passed"] else 1
    p = params.load()
    cmp = compare(base_rev, p)
    if not cmp.pr_metrics:
        raise UserError(
            str(config.METRICS_FILE), "(file)", "no metrics in the workspace", "run `make repro`"
        )
    lines = verdict.lines(cmp)
    verdict.keep(base_rev, cmp.result.passed, lines)
    print("\n".join(lines))
    return 0 if cmp.result.passed else 1
