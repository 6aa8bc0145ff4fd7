"""`make register`: tag the next model version when, and only when, the model changed.

Run by the release workflow on every push to main, so it must be idempotent (an unchanged
model tags nothing), gated (a worse model tags nothing and says why) and race-safe (two
runs never push the same version: the remote's tag refs decide, the loser starts over).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

from gitops_ml.core import config, params
from gitops_ml.core.errors import UserError
from gitops_ml.core.github import GitHub
from gitops_ml.evaluation import gate
from gitops_ml.registry import git, lineage, settings, tags, versions
from gitops_ml.registry.command import command_parser, gto_errors
from gitops_ml.registry.lineage import Snapshot


@dataclass(frozen=True)
class Outcome:
    summary: str
    tag: str | None = None
    exit_code: int = 0


MAX_PULLS = 50  # merges read for labels since the last version: a bound on API calls


def pr_labels(commits: list[str]) -> list[str]:
    """Labels of the pull requests that merged `commits`, when running in GitHub Actions.

    Every merge since the last version counts, not only HEAD's: when a newer push
    supersedes a queued release run, its run registers all of those changes at once.
    """
    if not GitHub.available():
        return []
    gh = GitHub.from_env()
    labels: list[str] = []
    for commit in commits[:MAX_PULLS]:
        try:
            pulls = gh.call("GET", f"commits/{commit}/pulls")
        except UserError as err:
            print(f"register: could not read PR labels ({err.problem}); ignoring them")
            return labels
        labels += [str(label["name"]) for pull in pulls or [] for label in pull.get("labels", [])]
    return labels


def requested_level(bump: str | None, since: str | None, commit: str) -> tuple[str | None, str]:
    """The highest bump asked for, and where it came from."""
    if bump:  # register() has checked it is one of versions.LEVELS
        return bump, f"BUMP={bump}"
    found: list[tuple[str, str]] = []
    span = f"{since}..{commit}" if since else commit
    merges = git.out("rev-list", "--first-parent", span).split() if since else [commit]
    found += [
        (lvl, f"PR label release:{lvl}") for lvl in versions.levels_from_labels(pr_labels(merges))
    ]
    messages = git.out("log", "--format=%B%x00", span).split("\0")
    found += [
        (lvl, f"commit trailer 'Release: {lvl}'") for lvl in versions.levels_from_messages(messages)
    ]
    level = versions.highest(lvl for lvl, _ in found)
    source = next((src for lvl, src in found if lvl == level), "")
    return level, source


def _facts(
    snap: Snapshot, version: str, bump: versions.Bump, previous: str | None, verdict: str
) -> dict[str, Any]:
    return {
        "model": snap.artifact.name,
        "version": version,
        "commit": snap.commit,
        "model_path": snap.artifact.path,
        "model_md5": snap.model_md5,
        "model_size": snap.model_size,
        "data_md5": snap.data_md5,
        "features_md5": snap.features_md5,
        "bump": bump.level,
        "reason": bump.reason,
        "previous": previous,
        "gate": verdict,
        "metrics": snap.metrics,
    }


def _attempt(
    snap: Snapshot, conf: settings.RegistrySettings, bump: str | None
) -> tuple[Outcome, list[str]]:
    """One pass against the tags as fetched: decide, and create the tag locally if due."""
    import gto.api

    name = snap.artifact.name
    latest = tags.latest(name)
    base = lineage.snapshot(latest.commit, conf) if latest else None
    if latest and base and base.model_md5 == snap.model_md5:
        return Outcome(
            f"{name}: model unchanged since {latest.tag} (md5 {snap.model_md5}); nothing to register"
        ), []
    own = tags.at_commit(name, snap.commit)
    if own:
        return Outcome(f"{name}: commit {snap.commit[:12]} is already registered as {own.tag}"), []
    if latest and git.is_ancestor(snap.commit, latest.commit):
        return Outcome(
            f"{name}: {latest.tag} already registers a newer commit; nothing to register"
        ), []

    p = params.parse(snap.params, f"params.yaml at {snap.commit[:12]}")
    primary = p.evaluate.primary_metric
    result = gate.check(primary, snap.metrics, base.metrics if base else None, p.gate)
    gate.check_quality(  # the same absolute rules as the PR's gate, on the committed files
        result,
        primary,
        lineage.committed_json(snap.commit, config.BASELINES_FILE),
        lineage.committed_json(snap.commit, config.SLICES_FILE),
        p.gate,
        p.evaluate.sensitive_columns,
    )
    against = f" against {latest.tag}" if latest else ""
    if not result.passed:
        return Outcome(f"{name}: not registered: gate {result.verdict}{against}", exit_code=1), []

    level, source = requested_level(bump, latest.commit if latest else None, snap.commit)
    decision = versions.decide(
        first=latest is None,
        features_changed=bool(base and base.features_md5 != snap.features_md5),
        contract_changed=bool(base and base.contract != snap.contract),
        requested=level,
        requested_from=source,
    )
    version = str(
        versions.next_version(
            latest.version if latest else None, versions.SemVer.parse(conf.first_version), decision
        )
    )
    label = decision.reason if decision.level == "first" else f"{decision.level}: {decision.reason}"
    title = f"Register {name} {version} ({label})"
    facts = _facts(snap, version, decision, latest.tag if latest else None, result.verdict)
    event = gto.api.register(
        ".", name, snap.commit, version=version, message=tags.format_message(title, facts)
    )
    summary = f"{name}: registered {event.tag} at {snap.commit[:12]} ({label}); gate {result.verdict}{against}"
    return Outcome(summary, event.tag), [event.tag]


def register(rev: str = "HEAD", bump: str | None = None, push: bool = True) -> Outcome:
    if bump and bump not in versions.LEVELS:
        raise UserError(
            "make register", "BUMP", f"unknown level {bump!r}", "use major, minor or patch"
        )
    conf = settings.load()
    snap = lineage.snapshot(rev, conf)
    lineage.require_model(snap)
    remote = conf.remote if push and git.has_remote(conf.remote) else None
    if push and not remote:
        print(f"register: no git remote {conf.remote!r}; the tag stays local (push it yourself)")
    return tags.with_retries(remote, lambda: _attempt(snap, conf, bump))


def main(argv: list[str]) -> int:
    def build(p: argparse.ArgumentParser) -> None:
        p.add_argument("--rev", default="HEAD", help="commit to register (default HEAD)")
        p.add_argument("--bump", default="", help="major|minor|patch; default: the bump rule")
        p.add_argument("--no-push", action="store_true", help="create the tag locally only")

    args = command_parser(
        "register", "Tag the next model version if the model changed.", build
    ).parse_args(argv)
    with gto_errors():
        outcome = register(args.rev, args.bump or None, push=not args.no_push)
    print(outcome.summary)
    return outcome.exit_code
