"""The registry's tags: read through GTO, pushed to the shared remote race-safely.

Registration tags are GTO's `<model>@vX.Y.Z`; stage assignments are GTO's
`<model>#<stage>#<n>`. Both are annotated tags, so `gto show` / `gto history` read them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import yaml

from gitops_ml.errors import UserError
from gitops_ml.registry import git
from gitops_ml.registry.versions import SemVer

T = TypeVar("T")
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Registered:
    """One active registered version of the model."""

    version: SemVer
    tag: str
    commit: str
    message: str
    stages_ever: frozenset[str]  # every stage this version was assigned to at some point


def _artifact(name: str) -> Any:
    from gto.registry import GitRegistry

    with GitRegistry.from_url(".") as reg:
        return reg.find_artifact(name, create_new=True)


def registered(name: str) -> list[Registered]:
    """Active registered versions, oldest version number first."""
    found = []
    for v in _artifact(name).get_versions():
        if not SemVer.is_valid(v.version) or not v.registrations:
            continue
        event = v.registrations[-1]
        stages = frozenset(s.stage for s in v.get_vstages(active_only=False))
        found.append(
            Registered(SemVer.parse(v.version), event.tag, v.commit_hexsha, event.message, stages)
        )
    return sorted(found, key=lambda r: r.version)


def latest(name: str) -> Registered | None:
    versions = registered(name)
    return versions[-1] if versions else None


def at_commit(name: str, commit: str) -> Registered | None:
    return next((r for r in reversed(registered(name)) if r.commit == commit), None)


def in_stage(name: str, stage: str) -> str | None:
    """The version GTO considers currently assigned to `stage` (the latest assignment)."""
    import gto.api

    found = gto.api.find_versions_in_stage(".", name, stage)
    return found[0].version if found else None


def stages() -> list[str]:
    """Stages in promotion order, as declared in `.gto`."""
    import gto.api

    declared = gto.api.get_stages(".", allowed=True)
    if not declared:
        raise UserError(".gto", "stages", "no stages declared", "add `stages: [staging, prod]`")
    return list(declared)


# The tag message: a title line, then YAML that people and scripts can both read.
def format_message(title: str, facts: dict[str, Any]) -> str:
    return f"{title}\n\n{yaml.safe_dump(facts, sort_keys=False, width=1000)}"


def parse_message(message: str) -> dict[str, Any]:
    _, _, body = message.partition("\n\n")
    try:
        facts = yaml.safe_load(body)
    except yaml.YAMLError:
        return {}
    return facts if isinstance(facts, dict) else {}


# Pushing: the remote decides who got a tag name first.
def fetch_tags(remote: str) -> None:
    git.run("fetch", "--quiet", "--tags", remote)


def _remote_has(remote: str, tag: str) -> bool:
    return bool(git.out("ls-remote", "--tags", remote, f"refs/tags/{tag}"))


def push_tag(remote: str, tag: str) -> bool:
    """Push one new tag; False when another run pushed a tag of that name first."""
    proc = git.run("push", "--quiet", remote, f"refs/tags/{tag}", check=False)
    if proc.returncode == 0:
        return True
    if _remote_has(remote, tag):
        git.run("tag", "-d", tag)  # ours lost the race: drop it so the fetch brings theirs
        return False
    detail = (proc.stderr or proc.stdout).strip().splitlines()
    raise UserError(
        "git",
        f"push {remote} {tag}",
        detail[-1] if detail else "push failed",
        "check that the remote exists and that this job may push tags (contents: write)",
    )


def with_retries(remote: str | None, attempt: Callable[[], tuple[T, str | None]]) -> T:
    """Fetch, decide and tag (`attempt`), push; on a lost race start over from a fresh fetch.

    `attempt` returns its result and the tag it created (None: nothing to push). Without a
    remote the tag stays local and is reported so the user can push it.
    """
    for _ in range(MAX_ATTEMPTS):
        if remote:
            fetch_tags(remote)
        result, tag = attempt()
        if tag is None or not remote or push_tag(remote, tag):
            return result
        print(f"{tag}: pushed first by a concurrent run; retrying against the new latest")
    raise UserError(
        "git",
        f"tags on {remote}",
        f"lost the race for a tag name {MAX_ATTEMPTS} times",
        "run the command again once the other registrations have finished",
    )
