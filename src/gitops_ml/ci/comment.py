"""The one pull-request comment: report, reproducibility checks, gate verdict, training cost.

Built in the `pull_request` workflow (which has no write token) and posted by the
`workflow_run` workflow, so all logic lives here and the posting step stays thin. The
body never links local images: GitHub has no upload for them and we use no third-party
image host; the charts travel as PNGs in the run's artifact instead.
"""

from __future__ import annotations

import argparse
import json
import os
import re
from pathlib import Path

from gitops_ml.atomic import write_text

# CML finds the comment to update by this title, so each PR keeps exactly one comment.
WATERMARK_TITLE = "gitops-ml pull-request report"
ARTIFACT_NAME = "pr-report"
REPORT_FILE = Path("report.md")
CI_DIR = Path("report")
VERIFY_FILE = CI_DIR / "verify.md"
GATE_FILE = CI_DIR / "gate.txt"
BODY_FILE = CI_DIR / "comment.md"
PR_FILE = CI_DIR / "pr.json"
# Optional sections, shown when their command ran: `make feature-cost` and `make tune-check`
# (gitops_ml.variants), `make train-cost` (gitops_ml.report.train_cost).
FEATURE_COST_FILE = CI_DIR / "feature_cost.md"
TUNE_CHECK_FILE = CI_DIR / "tune_check.md"
TRAIN_COST_FILE = CI_DIR / "train_cost.md"
EXTRA_FILES = (FEATURE_COST_FILE, TUNE_CHECK_FILE, TRAIN_COST_FILE)
MAX_CHARS = 60_000  # GitHub rejects comments over 65,536 characters

_LOCAL_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\((?![a-zA-Z][a-zA-Z0-9+.-]*:)([^)\s]+)[^)]*\)")
_LOCAL_HTML_IMAGE = re.compile(
    r"<img\b[^>]*\bsrc=[\"'](?![a-zA-Z][a-zA-Z0-9+.-]*:)([^\"']+)[\"'][^>]*>", re.I
)


def strip_local_images(markdown: str) -> str:
    """Replace links to local image files with a pointer to the run's artifact."""

    def note(name: str) -> str:
        return f"*(chart `{name}`: in the run's `{ARTIFACT_NAME}` artifact)*"

    markdown = _LOCAL_MD_IMAGE.sub(lambda m: note(m.group(1) or Path(m.group(2)).name), markdown)
    return _LOCAL_HTML_IMAGE.sub(lambda m: note(Path(m.group(1)).name), markdown)


def truncate(markdown: str, limit: int = MAX_CHARS) -> str:
    """Cut an over-long body at a line break and say where the rest is."""
    if len(markdown) <= limit:
        return markdown
    tail = f"\n\n*Truncated: the full report is `report.md` in the `{ARTIFACT_NAME}` artifact.*\n"
    cut = markdown.rfind("\n", 0, limit - len(tail))
    return markdown[: cut if cut > 0 else limit - len(tail)] + tail


def sanitize(markdown: str) -> str:
    return truncate(strip_local_images(markdown))


def run_url(env: dict[str, str]) -> str | None:
    """Link to this workflow run, from the variables GitHub Actions sets."""
    keys = ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
    if not all(env.get(k) for k in keys):
        return None
    server, repo, run = (env[k] for k in keys)
    return f"{server}/{repo}/actions/runs/{run}"


def _read(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.is_file() else None


def build(
    report: str | None,
    checks: str | None,
    gate: str | None,
    url: str | None = None,
    extras: list[str] | None = None,
) -> str:
    """Assemble the comment; a missing part says why it is missing instead of vanishing.

    `extras` are optional sections (feature cost, tuning check, training cost) placed after
    the report;
    an absent one is simply left out, as those commands are not part of every pipeline.
    """
    parts = [
        report.strip()
        if report
        else "## Pull-request report\n\nThe pipeline did not get as far as the report: "
        "see the workflow run's log."
    ]
    parts += [extra.strip() for extra in extras or [] if extra.strip()]
    parts.append(checks.strip() if checks else "### Reproducibility check: did not run")
    if gate is not None:
        parts.append(f"### Quality gate\n\n```text\n{gate.strip() or '(no output)'}\n```")
    else:
        parts.append("### Quality gate: did not run")
    where = f"[workflow run]({url})" if url else "the workflow run"
    parts.append(
        f"<sub>Charts (PNG), report.md and logs: {where}, artifact `{ARTIFACT_NAME}`.</sub>"
    )
    return sanitize("\n\n".join(parts) + "\n")


def body_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gitops_ml ci-comment-body",
        description="write report/comment.md (and report/pr.json for the posting workflow)",
    )
    parser.add_argument("--pr", type=int, help="pull-request number")
    parser.add_argument("--head-sha", help="the pull request's head commit")
    parser.add_argument("--out", type=Path, default=BODY_FILE)
    args = parser.parse_args(argv)
    extras = [text for text in map(_read, EXTRA_FILES) if text is not None]
    text = build(
        _read(REPORT_FILE),
        _read(VERIFY_FILE),
        _read(GATE_FILE),
        run_url(dict(os.environ)),
        extras,
    )
    write_text(args.out, text)
    if args.pr is not None:
        meta = {"pr": args.pr, "head_sha": args.head_sha}
        write_text(args.out.parent / PR_FILE.name, json.dumps(meta, sort_keys=True) + "\n")
    print(f"comment body: {args.out} ({len(text)} characters)")
    return 0
