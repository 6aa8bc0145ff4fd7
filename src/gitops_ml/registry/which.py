"""`make which-model REV=<commit>`: which registered version, if any, a commit produced.

A commit either carries a registration tag itself, or holds a model that some registered
version also has (a later commit that changed only docs), or holds an unregistered model.
"""

from __future__ import annotations

import argparse

from gitops_ml.registry import lineage, settings, tags
from gitops_ml.registry.command import command_parser, gto_errors
from gitops_ml.registry.lineage import Snapshot


def _model_md5(found: tags.Registered, conf: settings.RegistrySettings) -> str | None:
    recorded = tags.parse_message(found.message).get("model_md5")
    return str(recorded) if recorded else lineage.snapshot(found.commit, conf).model_md5


def _stages_of(name: str, version: str) -> str:
    current = [s for s in tags.stages() if tags.in_stage(name, s) == version]
    return f" (now in: {', '.join(current)})" if current else ""


def describe(snap: Snapshot, conf: settings.RegistrySettings) -> tuple[tags.Registered | None, str]:
    """The version this commit registered (None if it registered none) and a one-line answer."""
    name, short = snap.artifact.name, snap.commit[:12]
    own = tags.at_commit(name, snap.commit)
    if own:
        return own, f"{short}: registered {own.tag}{_stages_of(name, str(own.version))}"
    if not snap.model_md5:
        return None, f"{short}: no model in dvc.lock; no registered version"
    same = [r for r in tags.registered(name) if _model_md5(r, conf) == snap.model_md5]
    if same:
        first = same[0]
        return None, (
            f"{short}: registered no version itself; its model (md5 {snap.model_md5}) is "
            f"{first.tag}, registered at {first.commit[:12]}{_stages_of(name, str(first.version))}"
        )
    return (
        None,
        f"{short}: its model (md5 {snap.model_md5}) matches no registered version of {name}",
    )


def which(rev: str) -> tuple[tags.Registered | None, str]:
    conf = settings.load()
    return describe(lineage.snapshot(rev, conf), conf)


def main(argv: list[str]) -> int:
    def build(p: argparse.ArgumentParser) -> None:
        p.add_argument("--rev", default="HEAD")
        p.add_argument(
            "--tag", action="store_true", help="print only the tag the commit registered"
        )

    args = command_parser(
        "which-model", "Which registered version a commit produced.", build
    ).parse_args(argv)
    with gto_errors():
        own, answer = which(args.rev)
    print((own.tag if own else "") if args.tag else answer)
    return 0
