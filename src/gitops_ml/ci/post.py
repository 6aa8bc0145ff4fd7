"""Post or update the pull request's one report comment, from the `workflow_run` workflow.

This runs with a write token, so it trusts nothing in the artifact: the PR number must
name an open pull request whose head is the commit the triggering run built (checked
with GitHub's API), and the body is sanitised again. CML is pinned to an exact version
and finds its earlier comment by the watermark title, so a PR never collects a pile.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

from gitops_ml.ci.comment import BODY_FILE, PR_FILE, WATERMARK_TITLE, sanitize
from gitops_ml.errors import UserError

CML_VERSION = "0.20.6"
_SHA = re.compile(r"^[0-9a-f]{40}$")


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


def stale_reason(pull: dict, head_sha: str) -> str | None:
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


def fetch_pull(number: int, env: dict[str, str]) -> dict:
    keys = ("GITHUB_API_URL", "GITHUB_REPOSITORY", "GITHUB_TOKEN")
    missing = [k for k in keys if not env.get(k)]
    if missing:
        raise UserError("environment", ", ".join(missing), "not set", "run inside GitHub Actions")
    api, repo, token = (env[k] for k in keys)
    request = urllib.request.Request(
        f"{api}/repos/{repo}/pulls/{number}",
        headers={"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def cml_command(number: int, body: Path) -> list[str]:
    """`cml comment update` for one PR: no image upload, found again by its watermark."""
    return [
        "npx",
        "--yes",
        f"@dvcorg/cml@{CML_VERSION}",
        "comment",
        "update",
        f"--target=pr/{number}",
        f"--watermark-title={WATERMARK_TITLE}",
        "--no-publish",
        str(body),
    ]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m gitops_ml ci-comment", description=__doc__)
    parser.add_argument("artifact", type=Path, help="folder of the downloaded pr-report artifact")
    parser.add_argument("--dry-run", action="store_true", help="print the CML command only")
    args = parser.parse_args(argv)
    env = dict(os.environ)
    head_sha = env.get("HEAD_SHA", "")
    if not _SHA.match(head_sha):
        raise UserError("HEAD_SHA", "", f"not a commit SHA: {head_sha!r}", "set it from the event")
    folder = locate(args.artifact)
    number = read_pr_number(folder)
    if not args.dry_run:
        reason = stale_reason(fetch_pull(number, env), head_sha)
        if reason:
            print(f"not posting: {reason}", file=sys.stderr)
            return 0
    source = folder / BODY_FILE.name
    if not source.is_file():
        raise UserError(str(source), "", "missing from the artifact", "re-run PR training")
    with tempfile.TemporaryDirectory() as tmp:
        body = Path(tmp, "comment.md")
        body.write_text(sanitize(source.read_text(encoding="utf-8")), encoding="utf-8")
        command = cml_command(number, body)
        print(shlex.join(command), file=sys.stderr)
        if args.dry_run:
            return 0
        env["ITERATIVE_DO_NOT_TRACK"] = "1"
        env.setdefault("REPO_TOKEN", env["GITHUB_TOKEN"])
        return subprocess.run(command, env=env, check=False).returncode
