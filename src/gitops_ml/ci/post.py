"""Post or update the pull request's one report comment, from the `workflow_run` workflow.

This runs with a write token, so it trusts nothing in the artifact: the PR number must name
an open pull request whose head is the commit the triggering run built (checked with
GitHub's API), and the body is neutralised (images, links, HTML, mentions: see
`comment.neutralise`). The comment keeps CML's format, its watermark, so a team that runs
`cml comment update --watermark-title="gitops-ml pull-request report"` itself updates this
same comment. Finding the comment is ours, not CML's: CML 0.20.6 reads only the first 30
comments of a pull request and then posts a duplicate; here every page is read.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

from gitops_ml.ci.comment import WATERMARK_TITLE, footer, sanitize
from gitops_ml.core import commands
from gitops_ml.core.config import BODY_FILE, PR_FILE
from gitops_ml.core.errors import UserError
from gitops_ml.core.github import GitHub

_SHA = re.compile(r"^[0-9a-f]{40}$")
# CML's watermark: an empty image whose title names the report, with the commit as anchor.
WATERMARK_IMAGE = "https://cml.dev/watermark.png"
# The account GITHUB_TOKEN posts as; only its comments are ever edited (a comment anyone
# else wrote with the same watermark is left alone, and cannot take the report's place).
DEFAULT_AUTHOR = "github-actions[bot]"


def _cml_title(label: str = WATERMARK_TITLE) -> str:
    """The watermark title as CML writes it (GitHub escapes these characters on storage)."""
    title = f"CML watermark {label}".strip()
    for char in "_*[<":
        title = title.replace(char, "\\" + char)
    return title


def watermark(sha: str) -> str:
    return f'![]({WATERMARK_IMAGE}#{sha} "{_cml_title()}")'


_WATERMARK = re.compile(
    rf'!\[\]\({re.escape(WATERMARK_IMAGE)}#[0-9a-fA-F]+ "{re.escape(_cml_title())}"\)'
)


def is_report(comment: dict[str, Any], author: str = DEFAULT_AUTHOR) -> bool:
    """A comment this workflow (or `cml comment update` with the same title) posted."""
    login = (comment.get("user") or {}).get("login")
    return login == author and bool(_WATERMARK.search(str(comment.get("body") or "")))


def upsert(gh: GitHub, number: int, body: str, sha: str, author: str = DEFAULT_AUTHOR) -> str:
    """Update the newest report comment on the PR, or post the first one; say which."""
    text = f"{body.rstrip()}\n\n{watermark(sha)}\n"
    ours = [c for c in gh.paginate(f"issues/{number}/comments") if is_report(c, author)]
    if ours:
        comment_id = ours[-1]["id"]
        gh.call("PATCH", f"issues/comments/{comment_id}", {"body": text})
        return f"updated the report comment {comment_id} on #{number}"
    created = gh.call("POST", f"issues/{number}/comments", {"body": text})
    return f"posted the report comment {created['id']} on #{number}"


def locate(artifact: Path) -> Path:
    """The folder holding pr.json and comment.md inside the downloaded artifact.

    upload-artifact roots the archive at the paths' common folder: the workspace when
    report.md exists, `report/` itself when the pipeline stopped before the report.
    """
    nested = artifact / PR_FILE.parent
    return nested if (nested / PR_FILE.name).is_file() else artifact


def read_pr_number(artifact: Path) -> int:
    """The PR number from the artifact, as a positive int or a UserError."""
    path = artifact / PR_FILE.name
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise UserError(
            str(path), "", f"unreadable: {err}", "re-run the PR training workflow"
        ) from None
    number = data.get("pr") if isinstance(data, dict) else None
    if not isinstance(number, int) or isinstance(number, bool) or number <= 0:
        raise UserError(str(path), "pr", f"not a pull-request number: {number!r}", "")
    return number


def stale_reason(pull: dict[str, Any], head_sha: str) -> str | None:
    """Why this report must not be posted on `pull`, or None when it belongs there.

    The PR's current head must be the commit the triggering run built: otherwise a newer
    push has superseded the report (its own run posts), or the number was forged.
    """
    if pull.get("state") != "open":
        return f"pull request #{pull.get('number')} is {pull.get('state')!r}, not open"
    actual = (pull.get("head") or {}).get("sha")
    if actual != head_sha:
        return f"pull request #{pull.get('number')} has head {actual} but the run built {head_sha}"
    return None


def _trusted_section(env: dict[str, str]) -> str:
    """A section this (trusted) workflow wrote itself, e.g. the DVC remote check."""
    path = env.get("REMOTE_SUMMARY")
    if path and Path(path).is_file():
        return Path(path).read_text(encoding="utf-8").strip()
    return ""


def compose(untrusted: str, env: dict[str, str]) -> str:
    """The posted body: the artifact's text neutralised, then what this workflow vouches for."""
    parts = [sanitize(untrusted).strip(), _trusted_section(env), footer(env.get("REPORT_RUN_URL"))]
    return "\n\n".join(part for part in parts if part) + "\n"


def main(argv: list[str]) -> int:
    parser = commands.parser(
        "ci-comment",
        __doc__,
    )
    parser.add_argument("artifact", type=Path, help="folder of the downloaded pr-report artifact")
    parser.add_argument("--dry-run", action="store_true", help="print the body; call no API")
    args = parser.parse_args(argv)
    env = dict(os.environ)
    head_sha = env.get("HEAD_SHA", "")
    if not _SHA.match(head_sha):
        raise UserError("HEAD_SHA", "", f"not a commit SHA: {head_sha!r}", "set it from the event")
    folder = locate(args.artifact)
    number = read_pr_number(folder)
    source = folder / BODY_FILE.name
    if not source.is_file():
        raise UserError(str(source), "", "missing from the artifact", "re-run PR training")
    body = compose(source.read_text(encoding="utf-8"), env)
    if args.dry_run:
        print(f"would post on #{number} (head {head_sha}):\n{body}")
        return 0
    gh = GitHub.from_env(env)
    reason = stale_reason(gh.call("GET", f"pulls/{number}"), head_sha)
    if reason:
        print(f"not posting: {reason}", file=sys.stderr)
        return 0
    print(upsert(gh, number, body, head_sha, env.get("REPORT_COMMENT_AUTHOR") or DEFAULT_AUTHOR))
    return 0
