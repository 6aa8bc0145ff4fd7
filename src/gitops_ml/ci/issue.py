"""`make drift-issue`: open, or update, the one open drift issue with drift.md.

Called by the monitor's `issue` job, the only job allowed to write issues. Standard
library only (no `make setup`): it reads drift.md and talks to GitHub's REST API.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gitops_ml.core import commands
from gitops_ml.core.errors import UserError
from gitops_ml.core.github import GitHub

TITLE = "Data drift detected"


def open_issue(gh: GitHub, title: str) -> dict[str, Any] | None:
    """The oldest open issue (not pull request) with exactly this title, read across all pages."""
    found = [
        issue
        for issue in gh.paginate("issues", state="open")
        if "pull_request" not in issue and issue.get("title") == title
    ]
    return min(found, key=lambda issue: issue["number"]) if found else None


def upsert(gh: GitHub, body: str, title: str = TITLE) -> str:
    existing = open_issue(gh, title)
    if existing:
        gh.call("PATCH", f"issues/{existing['number']}", {"body": body})
        return f"updated issue #{existing['number']}"
    created = gh.call("POST", "issues", {"title": title, "body": body})
    return f"opened issue #{created['number']}"


def main(argv: list[str]) -> int:
    parser = commands.parser(
        "drift-issue",
        __doc__,
    )
    parser.add_argument("--body", type=Path, default=Path("drift.md"))
    args = parser.parse_args(argv)
    if not args.body.is_file():
        raise UserError(str(args.body), "", "not found", "run `make drift` first")
    print(upsert(GitHub.from_env(), args.body.read_text(encoding="utf-8")))
    return 0
