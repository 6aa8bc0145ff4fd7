"""The git calls the registry, the report and CI checks need; git's message becomes a UserError."""

from __future__ import annotations

import subprocess
from pathlib import Path

from gitops_ml.core.errors import UserError


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run git in the current directory (the repository root, as every command assumes)."""
    try:
        proc = subprocess.run(["git", *args], capture_output=True, text=True)
    except FileNotFoundError:
        raise UserError("git", "", "git is not installed", "install git") from None
    if check and proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        raise UserError(
            "git",
            " ".join(args[:2]),
            detail[-1] if detail else f"exited {proc.returncode}",
            "run from the repository root of a git clone with the history and tags fetched",
        )
    return proc


def out(*args: str) -> str:
    return run(*args).stdout.strip()


def commit_of(rev: str) -> str | None:
    """Full commit hash of `rev`, or None when git does not know it."""
    proc = run("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", check=False)
    return (proc.stdout.strip() or None) if proc.returncode == 0 else None


def resolve(rev: str) -> str:
    """Full commit hash of `rev`; a UserError naming the revision when git does not know it."""
    sha = commit_of(rev)
    if sha is None:
        raise UserError("git", rev, "no such commit", "pass a commit, branch or tag that exists")
    return sha


def show(rev: str, path: str | Path) -> str | None:
    """A file's text at a commit, or None when the file is not there."""
    proc = run("show", f"{rev}:{Path(path).as_posix()}", check=False)
    return proc.stdout if proc.returncode == 0 else None


def text_at(rev: str | None, path: str | Path) -> str | None:
    """A file at commit `rev`, or in the working tree when `rev` is None; None when absent."""
    if rev is not None:
        return show(rev, path)
    file = Path(path)
    return file.read_text(encoding="utf-8") if file.is_file() else None


def is_ancestor(older: str, newer: str) -> bool:
    return run("merge-base", "--is-ancestor", older, newer, check=False).returncode == 0


def has_remote(name: str) -> bool:
    return name in out("remote").split()
