"""`make promote STAGE=... VERSION=...`: assign a registered version to a stage with `gto assign`.

GTO itself lets any version jump to any stage; here the order in `.gto` is enforced (a
version enters a stage only after it was in the one before), and the stages listed in
`registry.approval_stages` are assigned only by the Promote workflow, whose job runs in the
GitHub environment named after the stage. GitHub creates a missing environment without
protection, so nothing would be approved: in CI, promote asks GitHub's API whether that
environment has required reviewers and who approved this run, and refuses otherwise.

Rollback is the same command with an earlier version. GTO shows a stage on the highest
version that holds it, so a rollback also unassigns (`gto unassign`) the stage from the
newer versions: `gto show` and "latest assignment" then agree on what is in the stage.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass

from gitops_ml.core.errors import UserError
from gitops_ml.core.github import GitHub
from gitops_ml.registry import git, lineage, settings, tags
from gitops_ml.registry.command import command_parser, gto_errors
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


def require_approval(stage: str, gh: GitHub, run_id: str) -> list[str]:
    """Who approved this run in the environment `stage`; a UserError when nobody could have."""
    where = f"GitHub environment {stage!r}"
    setup = (
        f"Settings -> Environments -> {stage}: add required reviewers (on a private repository "
        "this needs GitHub Team or Enterprise: docs/ci.md), then run the promotion again"
    )
    environment = gh.get_or_none(f"environments/{stage}")
    rules = (environment or {}).get("protection_rules") or []
    if not any(rule.get("type") == "required_reviewers" for rule in rules):
        problem = (
            "has no required reviewers, so this run was approved by nobody"
            if environment
            else "does not exist"
        )
        raise UserError(where, "protection_rules", problem, setup)
    approvals = gh.call("GET", f"actions/runs/{run_id}/approvals") or []
    approvers = sorted(
        {
            str(a["user"]["login"])
            for a in approvals
            if a.get("state") == "approved"
            and any(e.get("name") == stage for e in a.get("environments") or [])
        }
    )
    if not approvers:
        raise UserError(
            where,
            "approvals",
            f"run {run_id} was not approved by a reviewer of the environment",
            "start the promotion again and have a required reviewer approve it",
        )
    return approvers


def _audit_line(approvers: list[str]) -> str:
    """Where the assignment was made: the workflow run and its approvers, when there is one."""
    keys = ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
    server, repo, run = (os.environ.get(k) for k in keys)
    if server and repo and run:
        actor = os.environ.get("GITHUB_ACTOR")
        text = f"approved run: {server}/{repo}/actions/runs/{run}" + (
            f" by {actor}" if actor else ""
        )
        return text + (f"; approved by {', '.join(approvers)}" if approvers else "")
    return "assigned locally"


def _attempt(
    name: str, stage: str, version: str, order: list[str], approvers: list[str]
) -> tuple[Promotion, list[str]]:
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
    audit = _audit_line(approvers)
    # GTO refuses a stage a version had before unless forced; re-entering it is a rollback.
    tags.after_the_last_stage_tag(name)
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
        tags.after_the_last_stage_tag(name)
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
    approvers: list[str] = []
    if stage in conf.approval_stages:
        if os.environ.get(CI_FLAG) != "true":
            raise UserError(
                "make promote",
                "STAGE",
                f"{stage!r} needs approval and is assigned only by the Promote workflow",
                f"run it: Actions -> Promote model -> Run workflow (stage {stage}, version {version})",
            )
        approvers = require_approval(stage, GitHub.from_env(), os.environ.get("GITHUB_RUN_ID", ""))
    name = lineage.current_artifact(conf).name
    remote = conf.remote if push and git.has_remote(conf.remote) else None
    if push and not remote:
        print(f"promote: no git remote {conf.remote!r}; the tags stay local (push them yourself)")
    return tags.with_retries(remote, lambda: _attempt(name, stage, version, order, approvers))


def main(argv: list[str]) -> int:
    def build(p: argparse.ArgumentParser) -> None:
        p.add_argument("--stage", required=True)
        p.add_argument("--version", required=True, help="vX.Y.Z")
        p.add_argument("--no-push", action="store_true", help="create the tag locally only")

    args = command_parser("promote", "Assign a registered version to a stage.", build).parse_args(
        argv
    )
    with gto_errors():
        print(promote(args.stage, args.version, push=not args.no_push).summary)
    return 0
