"""Read one side of the comparison: BASE from git and DVC, or the workspace from disk.

Both sides answer the same questions (`text`, `json`, `yaml`, `dvc_bytes`), so the rest of
the report never cares where a file came from. A file BASE does not have is `None`, and an
output that is neither in the DVC cache nor in the remote is recorded in `problems`: the
report says so and carries on with what git stores.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import yaml

from gitops_ml.core import params
from gitops_ml.core.errors import UserError
from gitops_ml.evaluation.gate import is_finite_number
from gitops_ml.registry import git

finite = is_finite_number  # the report's name for a number a rule can compare

DEFAULT_BASES = ("origin/main", "main")


def resolve_base(rev: str | None) -> str:
    """The commit to compare with: `rev`, else the merge base with origin/main, else main."""
    if rev:
        sha = git.commit_of(rev)
        if sha is None:
            raise UserError(
                "BASE", rev, "not a commit in this repository", "pass a branch, tag or SHA"
            )
        return sha
    for candidate in DEFAULT_BASES:
        if git.commit_of(candidate) is None:
            continue
        proc = git.run("merge-base", "HEAD", candidate, check=False)
        if proc.returncode == 0 and proc.stdout.strip():
            return proc.stdout.strip()
    raise UserError(
        "BASE",
        "(default)",
        "neither origin/main nor main shares history with HEAD",
        "pass BASE=<branch, tag or SHA> (make report BASE=...)",
    )


def head_commit() -> str:
    return git.commit_of("HEAD") or "(no commit)"


def loads_json(text: str) -> Any:
    """JSON as DVC writes it, NaN and Infinity included."""
    return json.loads(text)


class Side:
    """One side of the comparison. `rev=None` is the workspace (the PR)."""

    dvc_seconds = 0.0  # time spent inside DVC reads, all sides together (for the benchmark)

    def __init__(self, rev: str | None, label: str) -> None:
        self.rev = rev
        self.label = label
        self.problems: list[str] = []
        self._fs: Any = None

    @property
    def sha(self) -> str:
        return self.rev if self.rev else head_commit()

    def text(self, path: str | Path) -> str | None:
        """A git-tracked (or, for the workspace, any) file as text; None when absent."""
        return git.text_at(self.rev, path)

    def json(self, path: str | Path) -> Any:
        text = self.text(path)
        if text is None:
            return None
        try:
            return loads_json(text)
        except json.JSONDecodeError:
            self.problems.append(f"{path} at {self.label} is not valid JSON")
            return None

    def yaml(self, path: str | Path) -> Any:
        text = self.text(path)
        if text is None:
            return None
        try:
            return params.yaml_text(text)
        except yaml.YAMLError:
            self.problems.append(f"{path} at {self.label} is not valid YAML")
            return None

    def dvc_bytes(self, path: str | Path) -> bytes | None:
        """A DVC-tracked file: from disk for the workspace, from the cache or remote for BASE."""
        if self.rev is None:
            file = Path(path)
            return file.read_bytes() if file.is_file() else None
        start = time.perf_counter()
        try:
            if self._fs is None:
                from dvc.fs import DVCFileSystem

                self._fs = DVCFileSystem(url=".", rev=self.rev)
            found: bytes = self._fs.read_bytes(Path(path).as_posix())
            return found
        except Exception as err:  # DVC raises many types for missing cache, remote or path
            first = str(err).splitlines()[0] if str(err) else type(err).__name__
            self.problems.append(
                f"{path} at {self.label} is not in the DVC cache or remote ({first})"
            )
            return None
        finally:
            Side.dvc_seconds += time.perf_counter() - start


def is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
