"""`make deploy STAGE=... VERSION=...`: the seam where a team's rollout goes.

The Promote workflow calls `deploy.yml` (`workflow_call`) right after it assigns a stage:
a tag pushed with the workflow's own token starts no workflow, so a deployment waiting for
the stage tag would never run. The template deploys a bundle: the version's model file,
loaded by the trusted loader and checked against the hash its `dvc.lock` records, and a
manifest of what went where. Replace `deploy()` with your rollout (build and push a
serving image, call your model server's API); keep the checks in front of it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

from gitops_ml.core.atomic import write_bytes, write_text
from gitops_ml.core.errors import UserError
from gitops_ml.registry import git, lineage, models, settings, tags
from gitops_ml.registry.command import command_parser, gto_errors
from gitops_ml.registry.versions import SemVer

OUT_DIR = Path("deploy")


def deploy(stage: str, version: str, out_dir: Path = OUT_DIR) -> str:
    SemVer.require(version, "make deploy")
    conf = settings.load()
    if git.has_remote(conf.remote):  # the stage tag was pushed moments ago, by another job
        tags.fetch_tags(conf.remote)
    source = models.resolve(version, conf)
    name = lineage.current_artifact(conf).name
    holder = tags.in_stage(name, stage)
    if holder != version:
        raise UserError(
            "make deploy",
            "VERSION",
            f"{name} {version} is not in {stage!r} (it holds {holder or 'no version'})",
            f"promote it first: Actions -> Promote model (stage {stage}, version {version})",
        )
    payload = models.Reader(source).read(source.path)
    expected = lineage.snapshot(source.commit, conf).model_md5
    actual = hashlib.md5(payload).hexdigest()
    if actual != expected:
        raise UserError(
            source.path,
            f"at {source.label}",
            f"md5 {actual}, dvc.lock records {expected}",
            "re-push the model from the commit that trained it",
        )
    models.load_bytes(payload, source)  # the trusted-types loader refuses a tampered file
    model_file = out_dir / f"{name}-{version}{Path(source.path).suffix}"
    write_bytes(model_file, payload)
    manifest = {
        "model": name,
        "version": version,
        "stage": stage,
        "commit": source.commit,
        "model_md5": actual,
        "file": model_file.name,
    }
    write_text(out_dir / "manifest.json", json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return f"deploy: {name} {version} -> {stage}: {model_file} (md5 {actual}) and {out_dir / 'manifest.json'}"


def main(argv: list[str]) -> int:
    def build(p: argparse.ArgumentParser) -> None:
        p.add_argument("--stage", required=True)
        p.add_argument("--version", required=True)

    args = command_parser(
        "deploy", "Deploy the version a stage holds (the template: a checked bundle).", build
    ).parse_args(argv)
    with gto_errors():
        print(deploy(args.stage, args.version))
    return 0
