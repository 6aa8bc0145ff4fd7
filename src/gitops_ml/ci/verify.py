"""Prove that a pull request's commit is reproducible and that any clone can pull it.

The PR commits the `dvc.lock` and metrics its params and code produce; CI re-runs the
pipeline and this check fails when what CI produced differs from what was committed,
when anything is left uncommitted, or (with `--cloud`) when an output is missing from
the DVC remote. Each failure is printed with the command that fixes it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from gitops_ml.core import commands
from gitops_ml.core.atomic import write_text
from gitops_ml.core.config import METRICS_FILE, PLOTS_DIR
from gitops_ml.core.remote import FIX_REAL_REMOTE, runner_folder_problem, shown
from gitops_ml.registry import git

LOCK_FILE = "dvc.lock"
FIX_REPRO = "run `make repro` and commit dvc.lock and metrics/"


@dataclass
class Check:
    """One verdict line: what was checked, whether it held, and how to fix it if not."""

    name: str
    ok: bool
    detail: str = ""
    fix: str = ""

    def render(self) -> str:
        mark = "ok  " if self.ok else "FAIL"
        text = f"[{mark}] {self.name}"
        if self.detail:
            text += f": {self.detail}"
        if not self.ok and self.fix:
            text += f"\n       fix: {self.fix}"
        return text

    def markdown(self) -> str:
        mark = ":white_check_mark:" if self.ok else ":x:"
        text = f"- {mark} **{self.name}**"
        if self.detail:
            text += f": {self.detail}."
        if not self.ok and self.fix:
            text += f" Fix: {self.fix}."
        return text


def _git(*args: str) -> str:
    return git.run(*args).stdout


def _status_paths() -> list[str]:
    """Paths `git status` reports (modified, staged, untracked), parsed from its -z form."""
    entries = iter(_git("status", "--porcelain", "-z", "--untracked-files=all").split("\0"))
    paths = []
    for entry in entries:
        if not entry:
            continue
        paths.append(entry[3:])
        if entry[0] in "RC":  # a rename or copy is followed by its original path
            next(entries, None)
    return sorted(set(paths))


def _changed_lock_stages(committed: str, current: str) -> list[str]:
    """Names of stages whose dvc.lock entries differ (added, removed or changed)."""
    old = (yaml.safe_load(committed) or {}).get("stages", {}) if committed else {}
    new = (yaml.safe_load(current) or {}).get("stages", {}) if current else {}
    return sorted(name for name in old.keys() | new.keys() if old.get(name) != new.get(name))


def check_pipeline_current(repo: Any) -> Check:
    """`dvc status` is empty: every stage's outputs match its deps and params."""
    stale = sorted(repo.status())
    if not stale:
        return Check("pipeline up to date", True)
    return Check("pipeline up to date", False, f"stale: {', '.join(stale)}", FIX_REPRO)


def check_lock_committed() -> Check:
    """The committed dvc.lock is byte-identical to the one the pipeline just wrote."""
    name = "dvc.lock committed as reproduced"
    if not Path(LOCK_FILE).exists():
        return Check(name, False, "no dvc.lock in the workspace", FIX_REPRO)
    if not _git("diff", "--name-only", "HEAD", "--", LOCK_FILE).strip():
        return Check(name, True)
    committed = git.show("HEAD", LOCK_FILE) or ""
    stages = _changed_lock_stages(committed, Path(LOCK_FILE).read_text())
    detail = f"stages that differ: {', '.join(stages)}" if stages else "the file differs"
    return Check(name, False, detail, FIX_REPRO)


def check_metrics_committed() -> Check:
    """Metrics and plot data (kept in git, not the DVC cache) are the ones CI computed."""
    paths = [str(METRICS_FILE), str(PLOTS_DIR)]
    changed = _git("diff", "--name-only", "HEAD", "--", *paths).splitlines()
    changed += _git("ls-files", "--others", "--exclude-standard", "--", *paths).splitlines()
    if not changed:
        return Check("metrics committed as reproduced", True)
    return Check("metrics committed as reproduced", False, shown(sorted(changed)), FIX_REPRO)


def check_clean() -> Check:
    """Nothing else modified or untracked: the commit alone describes the workspace.

    dvc.lock and metrics have their own checks above, so they are not repeated here.
    """
    own = (LOCK_FILE, str(METRICS_FILE), f"{PLOTS_DIR}/")
    paths = [p for p in _status_paths() if not p.startswith(own)]
    if not paths:
        return Check("workspace clean after repro", True)
    return Check(
        "workspace clean after repro",
        False,
        shown(paths),
        "commit these files (or add generated ones to .gitignore / .dvcignore)",
    )


def check_cloud(repo: Any) -> Check:
    """Every output of the commit is in the DVC remote, so another clone can `dvc pull` it."""
    name = "outputs in the DVC remote"
    remote = repo.config["core"].get("remote") or "(no default remote)"
    problem = runner_folder_problem(str(repo.config["remote"].get(remote, {}).get("url", "")))
    if problem:
        return Check(name, False, problem, FIX_REAL_REMOTE)
    try:
        missing = repo.status(cloud=True)
    except Exception as err:  # DVC raises many error types for network and auth problems
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        return Check(
            name,
            False,
            f"cannot read remote {remote!r}: {first}",
            "set the remote's credentials as repository secrets (docs/ci.md); a pull request "
            "from a fork cannot push, so a maintainer pushes its outputs with `make push`",
        )
    if not missing:
        return Check(name, True, f"remote {remote!r}")
    listed = shown(sorted(missing))
    return Check(name, False, f"not in remote {remote!r}: {listed}", "run `make push` (dvc push)")


def run_checks(cloud: bool = False) -> list[Check]:
    from dvc.repo import Repo

    with Repo(".") as repo:
        checks = [
            check_pipeline_current(repo),
            check_lock_committed(),
            check_metrics_committed(),
            check_clean(),
        ]
        if cloud:
            checks.append(check_cloud(repo))
    return checks


def markdown(checks: list[Check]) -> str:
    """The checks as a Markdown section for the PR comment and the job summary."""
    ok = all(c.ok for c in checks)
    head = "passed" if ok else "FAILED"
    lines = [f"### Reproducibility check: {head}", "", *(c.markdown() for c in checks)]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    parser = commands.parser(
        "ci-verify",
        __doc__,
    )
    parser.add_argument("--cloud", action="store_true", help="also check the DVC remote")
    parser.add_argument("--summary", type=Path, help="also write the verdict as Markdown here")
    args = parser.parse_args(argv)
    checks = run_checks(cloud=args.cloud)
    for check in checks:
        print(check.render())
    if args.summary:
        write_text(args.summary, markdown(checks))
    failed = [c for c in checks if not c.ok]
    if failed:
        print(f"ci-verify: {len(failed)} check(s) failed", file=sys.stderr)
        return 1
    return 0
