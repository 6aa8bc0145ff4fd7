"""`make promote STAGE=... VERSION=...`: assign a registered version to a stage with `gto assign`.

GTO itself lets any version jump to any stage; here the order in `.gto` is enforced (a
version enters a stage only after it was in the one before), and the stages listed in
`registry.approval_stages` are assigned only by the approval workflow, which runs in a
GitHub environment whose required reviewers are the approval.

Rollback is the same command with an earlier version. GTO shows a stage on the highest
version that holds it, so a rollback also unassigns (`gto unassign`) the stage from the
newer versions: `gto show` and "latest assignment" then agree on what is in the stage.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from gitops_ml.errors import UserError
from gitops_ml.registry import git, lineage, settings, tags
from gitops_ml.registry.versions import SemVer

CI_FLAG = "GITHUB_ACTIONS"  # set to "true" on GitHub's runners


@dataclass(frozen=True)
class Promotion:
    summary: str
    tags: tuple[str, ...] = ()


def _check_order(stage: str, order: list[str], found: tags.Registered, name: str) -> None:
    index = order.index(stage)
    if index and order[index - 1] not in found.stages_ever:
        before = order[index - 1]
        raise UserError(
            "make promote",
            "STAGE",
            f"{name} {found.version} was never in {before!r}; stages run in the order {' -> '.join(order)}",
            f"first run: make promote STAGE={before} VERSION={found.version}",
        )


def _audit_line() -> str:
    """Where the assignment was made: the workflow run, when there is one."""
    keys = ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
    server, repo, run = (os.environ.get(k) for k in keys)
    if server and repo and run:
        actor = os.environ.get("GITHUB_ACTOR")
        return f"approved run: {server}/{repo}/actions/runs/{run}" + (
            f" by {actor}" if actor else ""
        )
    return "assigned locally"


def _attempt(name: str, stage: str, version: str, order: list[str]) -> tuple[Promotion, list[str]]:
    import gto.api

    found = next((r for r in tags.registered(name) if str(r.version) == version), None)
    if found is None:
        raise UserError(
            "make promote",
            "VERSION",
            f"{name} {version} is not a registered version",
            f"pick one from `gto show {name}` (tags are fetched from the remote first)",
        )
    _check_order(stage, order, found, name)
    holders = tags.holding(name, stage)
    newer = [v for v in holders if v > found.version]
    if found.version in holders and not newer:
        return Promotion(f"{name} {version} is already in {stage}; nothing to do"), []
    current = holders[-1] if holders else None
    kind = (
        f"rollback from {current}"
        if newer
        else (f"replaces {current}" if current else "first in stage")
    )
    audit = _audit_line()
    # GTO refuses a stage a version had before unless forced; re-entering it is a rollback.
    event = gto.api.assign(
        ".",
        name,
        stage,
        version=version,
        message=f"Assign {name} {version} to {stage} ({kind})\n\n{audit}\n",
        force=stage in found.stages_ever,
    )
    created = [event.tag]
    for other in newer:
        undo = gto.api.unassign(
            ".",
            name,
            stage=stage,
            version=str(other),
            message=f"Unassign {name} {other} from {stage}: rolled back to {version}\n\n{audit}\n",
        )
        created.append(undo.tag)
    return Promotion(
        f"{name} {version} -> {stage} ({kind}): tags {', '.join(created)}", tuple(created)
    ), created


def promote(stage: str, version: str, push: bool = True) -> Promotion:
    SemVer.require(version, "make promote")
    conf = settings.load()
    order = tags.stages()
    if stage not in order:
        raise UserError(
            ".gto", "stages", f"unknown stage {stage!r}", f"use one of: {', '.join(order)}"
        )
    if stage in conf.approval_stages and os.environ.get(CI_FLAG) != "true":
        raise UserError(
            "make promote",
            "STAGE",
            f"{stage!r} needs approval and is assigned only by the Promote workflow",
            f"run it: Actions -> Promote model -> Run workflow (stage {stage}, version {version})",
        )
    name = lineage.current_artifact(conf).name
    remote = conf.remote if push and git.has_remote(conf.remote) else None
    if push and not remote:
        print(f"promote: no git remote {conf.remote!r}; the tags stay local (push them yourself)")
    return tags.with_retries(remote, lambda: _attempt(name, stage, version, order))
