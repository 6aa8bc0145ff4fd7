"""The model of a registered version, or of any commit, loaded from the DVC cache or remote.

`dvc.lock` at the commit names the model file's hash; DVC reads the bytes from the local
cache, else from the remote, without touching the workspace. The bytes go through the
project's one safe loader (`gitops_ml.artifact.model.load`: scikit-learn, NumPy and SciPy types
only), and the commit's `features.json` says which columns the model takes, so an older
model is scored on the columns it was trained with.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitops_ml.core import config
from gitops_ml.core.data import FeatureSpec
from gitops_ml.core.errors import UserError
from gitops_ml.registry import git, lineage, settings, tags
from gitops_ml.registry.versions import SemVer


@dataclass(frozen=True)
class Source:
    """Where a model comes from: a commit, and how to call it in messages."""

    commit: str
    label: str  # "model v1.2.0" or "commit 1a2b3c4d5e6f"
    path: str  # the model file, as dvc.yaml's artifacts name it


@dataclass(frozen=True)
class LoadedModel:
    source: Source
    pipeline: Any
    spec: FeatureSpec
    reader: Reader  # reads the commit's other DVC-tracked files (its splits)


def resolve(ref: str, conf: settings.RegistrySettings | None = None) -> Source:
    """`vX.Y.Z` (a registered version of the model) or any git revision."""
    conf = conf or settings.load()
    name = lineage.current_artifact(conf).name
    if SemVer.is_valid(ref):
        found = next((r for r in tags.registered(name) if str(r.version) == ref), None)
        if found is None:
            raise UserError(
                "VERSION",
                ref,
                f"{name} {ref} is not a registered version",
                f"pick one from `gto show {name}` (fetch tags first: `git fetch --tags`)",
            )
        return of_version(found, conf)
    commit = git.resolve(ref)
    return Source(commit, f"commit {commit[:12]}", lineage.snapshot(commit, conf).artifact.path)


def of_version(found: tags.Registered, conf: settings.RegistrySettings) -> Source:
    artifact = lineage.snapshot(found.commit, conf).artifact
    return Source(found.commit, f"{artifact.name} {found.version}", artifact.path)


class Reader:
    """Reads DVC-tracked files of one commit (cache first, then the remote)."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self._fs: Any = None

    def read(self, path: str | Path) -> bytes:
        rel = Path(path).as_posix()
        try:
            if self._fs is None:
                from dvc.fs import DVCFileSystem

                self._fs = DVCFileSystem(url=".", rev=self.source.commit)
            found: bytes = self._fs.read_bytes(rel)
            return found
        except Exception as err:  # DVC raises many types for missing cache, remote or path
            first = str(err).splitlines()[0] if str(err) else type(err).__name__
            short = self.source.commit[:12]
            raise UserError(
                rel,
                f"at {self.source.label}",
                f"neither in the DVC cache nor in the remote ({first})",
                f"push it from the commit that produced it: `git checkout {short} && "
                f"dvc push {rel}` on the machine that trained it, or rebuild it there with "
                "`dvc repro` first (the pipeline is reproducible); if it was pushed, check "
                "the remote's credentials (docs/ci.md)",
            ) from None


def load_bytes(data: bytes, source: Source) -> Any:
    """Load model bytes with the trusted-types loader; its errors name the version."""
    from gitops_ml.artifact import model

    return model.loads(data, f"{source.path} at {source.label}")


def spec_of(reader: Reader) -> FeatureSpec:
    raw = json.loads(reader.read(config.FEATURES_FILE))
    return FeatureSpec(**raw)


def load_source(source: Source) -> LoadedModel:
    reader = Reader(source)
    data = reader.read(source.path)
    return LoadedModel(source, load_bytes(data, source), spec_of(reader), reader)


def load(ref: str, conf: settings.RegistrySettings | None = None) -> LoadedModel:
    """The model and feature spec of a registered version (`vX.Y.Z`) or a git revision."""
    return load_source(resolve(ref, conf))
