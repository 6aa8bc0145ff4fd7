"""The registry's tags: read through GTO, pushed to the shared remote race-safely.

Registration tags are GTO's `<model>@vX.Y.Z`; stage assignments are GTO's
`<model>#<stage>#<n>`. Both are annotated tags, so `gto show` / `gto history` read them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TypeVar

import yaml

from gitops_ml.core.errors import UserError
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
    registered_at: datetime  # the registration tag's date (UTC), as GTO reads it
    stage_since: dict[str, datetime]  # stage -> date of its latest assignment (UTC)


def _artifact(name: str) -> Any:
    from gto.registry import GitRegistry

    with GitRegistry.from_url(".") as reg:
        return reg.find_artifact(name, create_new=True)


def utc(moment: datetime) -> datetime:
    """GTO's tag dates as aware UTC datetimes."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def registered(name: str) -> list[Registered]:
    """Active registered versions, oldest version number first."""
    found = []
    for v in _artifact(name).get_versions():
        if not SemVer.is_valid(v.version) or not v.registrations:
            continue
        event = v.registrations[-1]
        stages = frozenset(v.stages)  # not get_vstages(): GTO cannot sort unassigned ones
        since = {
            s: utc(vs.assignments[-1].created_at) for s, vs in v.stages.items() if vs.assignments
        }
        found.append(
            Registered(
                SemVer.parse(v.version),
                event.tag,
                v.commit_hexsha,
                event.message,
                stages,
                utc(event.created_at),
                since,
            )
        )
    return sorted(found, key=lambda r: r.version)


def latest(name: str) -> Registered | None:
    versions = registered(name)
    return versions[-1] if versions else None


def at_commit(name: str, commit: str) -> Registered | None:
    return next((r for r in reversed(registered(name)) if r.commit == commit), None)


def holding(name: str, stage: str) -> list[SemVer]:
    """Versions whose assignment to `stage` is still active (not unassigned)."""
    found = []
    for v in _artifact(name).get_versions():
        vstage = v.stages.get(stage)
        if vstage is not None and vstage.is_active and SemVer.is_valid(v.version):
            found.append(SemVer.parse(v.version))
    return sorted(found)


def in_stage(name: str, stage: str) -> str | None:
    """The version GTO considers currently assigned to `stage` (the latest assignment)."""
    import gto.api

    found = gto.api.find_versions_in_stage(".", name, stage)
    return found[0].version if found else None


def in_production(name: str) -> tuple[str, Registered | None]:
    """The last stage of `.gto` (production) and the registered version in it, if any."""
    stage = stages()[-1]
    versions = registered(name)
    version = in_stage(name, stage) if versions else None
    if version is None:
        return stage, None
    found = next((v for v in versions if str(v.version) == version), None)
    if found is None:
        raise UserError(
            "git tags",
            f"{name}#{stage}",
            f"{version} is in {stage} but has no registration tag {name}@{version}",
            "fetch all tags (`git fetch --tags`), or register the version before promoting it",
        )
    return stage, found


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


def after_the_last_stage_tag(name: str) -> None:
    """Wait, when needed, until the clock has left the second of `name`'s newest stage tag.

    GTO orders a model's assignments and unassignments by their tags' time in whole seconds
    and breaks a tie arbitrarily, so a stage tag made in the same second as the one before
    it (a scripted promotion, a rollback's unassignment right after its assignment) could
    read as the older of the two: `gto show` then names the wrong version in the stage.
    The wait is at most a second, and only then; a tag dated ahead of this clock is left to
    the clocks' owners."""
    import time

    stamps = git.out("for-each-ref", "--format=%(creatordate:unix)", f"refs/tags/{name}#*")
    latest = max((int(s) for s in stamps.split()), default=None)
    if latest is None:
        return
    wait = latest + 1 - time.time()
    if 0 < wait <= 1:
        time.sleep(wait)


# Pushing: the remote decides who got a tag name first.
def fetch_tags(remote: str) -> None:
    git.run("fetch", "--quiet", "--tags", remote)


def _remote_has(remote: str, tag: str) -> bool:
    return bool(git.out("ls-remote", "--tags", remote, f"refs/tags/{tag}"))


def push_tags(remote: str, names: list[str]) -> bool:
    """Push new tags all-or-nothing; False when another run pushed one of those names first."""
    proc = git.run(
        "push", "--quiet", "--atomic", remote, *(f"refs/tags/{t}" for t in names), check=False
    )
    if proc.returncode == 0:
        return True
    if any(_remote_has(remote, t) for t in names):
        git.run("tag", "-d", *names)  # ours lost the race: drop them so the fetch brings theirs
        return False
    detail = (proc.stderr or proc.stdout).strip().splitlines()
    raise UserError(
        "git",
        f"push {remote} {' '.join(names)}",
        detail[-1] if detail else "push failed",
        "check that the remote exists and that this job may push tags (contents: write)",
    )


def with_retries(remote: str | None, attempt: Callable[[], tuple[T, list[str]]]) -> T:
    """Fetch, decide and tag (`attempt`), push; on a lost race start over from a fresh fetch.

    `attempt` returns its result and the tags it created (none: nothing to push). Without a
    remote the tags stay local and the caller says so.
    """
    for _ in range(MAX_ATTEMPTS):
        if remote:
            fetch_tags(remote)
        result, created = attempt()
        if not created or not remote or push_tags(remote, created):
            return result
        print(
            f"{', '.join(created)}: pushed first by a concurrent run; retrying against the new latest"
        )
    raise UserError(
        "git",
        f"tags on {remote}",
        f"lost the race for a tag name {MAX_ATTEMPTS} times",
        "run the command again once the other registrations have finished",
    )
