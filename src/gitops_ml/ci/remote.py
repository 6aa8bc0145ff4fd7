"""Are a pull request's outputs in the DVC remote? Checked by a trusted job, for every PR.

The PR run may execute a fork's code and holds no secrets on forks, so it cannot vouch for
the remote. The `workflow_run` job can: it runs the default branch's own code with the
repository's secrets, reads the PR head's pipeline files from GitHub's API (data, never
executed), asks DVC which of their cached outputs the remote lacks, using the default
branch's remote settings (a PR cannot point the check at a bucket of its own), and sets
the commit status `gitops-ml/dvc-remote` on the head. Make that status a required check:
a fork PR becomes mergeable once a maintainer has pushed its outputs (docs/ci.md).
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from gitops_ml.core import commands
from gitops_ml.core.atomic import write_text
from gitops_ml.core.errors import UserError
from gitops_ml.core.github import GitHub
from gitops_ml.core.remote import (
    FIX_REAL_REMOTE,
    default_remote,
    missing_in_remote,
    runner_folder_problem,
    shown,
)

STATUS_CONTEXT = "gitops-ml/dvc-remote"
_SHA = re.compile(r"^[0-9a-f]{40}$")
# What DVC needs to know a commit's outputs: the pipeline, its lock, params for `${...}`,
# and every `.dvc` file. Nothing else of the PR is read.
_PIPELINE_FILE = re.compile(r"(^|/)(dvc\.yaml|dvc\.lock|params\.yaml|[^/]+\.dvc)$")


def _head_files(gh: GitHub, sha: str) -> dict[str, bytes]:
    """The pipeline files of commit `sha`, read through the API (never checked out)."""
    tree = gh.call("GET", f"git/trees/{sha}", recursive="1")
    files = {}
    for entry in tree.get("tree", []):
        if entry.get("type") == "blob" and _PIPELINE_FILE.search(entry["path"]):
            blob = gh.call("GET", f"git/blobs/{entry['sha']}")
            files[entry["path"]] = base64.b64decode(blob["content"])
    if "dvc.lock" not in files:
        raise UserError(
            "dvc.lock",
            sha[:12],
            "not in the pull request's head commit",
            "run `make repro` and commit dvc.lock",
        )
    return files


@dataclass(frozen=True)
class Verdict:
    """A commit status: GitHub's state, a one-line description and, unless green, the fix."""

    state: str  # success | failure | error
    description: str
    fix: str = ""

    def markdown(self) -> str:
        ok = self.state == "success"
        text = (
            f"### DVC remote: {'passed' if ok else 'FAILED'}\n\n"
            f"- {':white_check_mark:' if ok else ':x:'} **outputs in the DVC remote** "
            f"(checked by the trusted workflow): {self.description}."
        )
        return text + (f" Fix: {self.fix}.\n" if self.fix and not ok else "\n")


FIX_PUSH = (
    "push them: same-repository PRs do it in CI (`make push`); for a fork, a maintainer runs "
    "`make push-pr PR=<number>` and re-runs the PR comment workflow (docs/ci.md)"
)
FIX_CREDENTIALS = "set the remote's credentials as repository secrets (docs/ci.md)"


def check_head(gh: GitHub, sha: str, settings_dir: Path) -> Verdict:
    """Whether the head's outputs are in the default remote of the repository at `settings_dir`."""
    from dvc.repo import Repo

    with Repo(str(settings_dir)) as base:  # the default branch: its remote, its credentials
        try:
            name, url = default_remote(base)
        except UserError as err:
            return Verdict("failure", err.problem, err.fix)
        remote = dict(base.config["remote"][name])
    problem = runner_folder_problem(url)
    if problem:
        return Verdict("failure", problem, FIX_REAL_REMOTE)
    files = _head_files(gh, sha)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        subprocess.run(["git", "init", "-q", str(root)], check=True)
        (root / ".dvc").mkdir()
        for path, data in files.items():
            if path.startswith(".dvc/"):
                continue  # the PR's DVC settings are never used
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_bytes(data)
        overrides = {"core": {"remote": name, "no_scm": False}, "remote": {name: remote}}
        try:
            with Repo(str(root), config=overrides) as repo:
                missing = missing_in_remote(repo)
        except Exception as err:  # DVC raises many error types for network and auth problems
            first = str(err).splitlines()[0] if str(err) else type(err).__name__
            return Verdict("error", f"cannot read remote {name!r}: {first}", FIX_CREDENTIALS)
    if missing:
        return Verdict("failure", f"not in remote {name!r}: {shown(missing, limit=5)}", FIX_PUSH)
    return Verdict("success", f"every output is in remote {name!r}")


def main(argv: list[str]) -> int:
    parser = commands.parser(
        "ci-remote-status",
        __doc__,
    )
    parser.add_argument("--summary", type=Path, help="also write the verdict as Markdown here")
    args = parser.parse_args(argv)
    env = dict(os.environ)
    sha = env.get("HEAD_SHA", "")
    if not _SHA.match(sha):
        raise UserError("HEAD_SHA", "", f"not a commit SHA: {sha!r}", "set it from the event")
    gh = GitHub.from_env(env)
    verdict = check_head(gh, sha, Path.cwd())
    status = {
        "state": verdict.state,
        "context": STATUS_CONTEXT,
        "description": verdict.description[:140],
    }
    if env.get("REPORT_RUN_URL"):
        status["target_url"] = env["REPORT_RUN_URL"]
    gh.call("POST", f"statuses/{sha}", status)
    print(f"{STATUS_CONTEXT}: {verdict.state}: {verdict.description}")
    if verdict.fix and verdict.state != "success":
        print(f"  fix: {verdict.fix}")
    if args.summary:
        write_text(args.summary, verdict.markdown())
    return 0
