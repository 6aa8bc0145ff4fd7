"""`make release-inputs` and `make release`: a GitHub Release for the version HEAD registered.

The release workflow runs `release-inputs` before `make register`, so a version is never
tagged when its Release could not be made: the model and the model card's inputs are pulled
from the DVC remote, or, where the remote cannot give them (a new repository whose remote
is still a folder on the runner, objects never pushed), rebuilt by the committed pipeline
and proven byte-identical to what `dvc.lock` records. `make release` then publishes the
Release (notes: the model card; asset: the model file) through GitHub's REST API. Both do
nothing when there is nothing new, so re-running the workflow is safe.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path

from gitops_ml.core import config
from gitops_ml.core.errors import UserError
from gitops_ml.core.github import GitHub
from gitops_ml.core.remote import default_remote, runner_folder_problem
from gitops_ml.registry import git, lineage, model_card, settings, tags
from gitops_ml.registry.command import command_parser, gto_errors

PULL_TARGETS = (str(config.PREDICTIONS_FILE), str(config.PREPARED_DIR))


def _md5(path: Path) -> str | None:
    if not path.is_file():
        return None
    digest = hashlib.md5()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _pull(model_path: str) -> str | None:
    """Pull the model and the card's inputs; None when done, else why not."""
    from dvc.repo import Repo

    with Repo(".") as repo:
        name, url = default_remote(repo)
        problem = runner_folder_problem(url)
        if problem:
            return problem
        try:
            repo.pull(targets=[model_path, *PULL_TARGETS])
        except Exception as err:  # DVC raises many error types for network, auth, missing files
            return f"dvc pull from remote {name!r} failed ({str(err).splitlines()[0]})"
    return None


def _rebuild(snap: lineage.Snapshot) -> None:
    """Run the committed pipeline here and prove it reproduced dvc.lock to the byte."""
    from dvc.repo import Repo

    from gitops_ml.datasets.restore import ensure_data

    ensure_data()
    with Repo(".") as repo:
        repo.reproduce()
    if git.run("diff", "--quiet", "HEAD", "--", lineage.DVC_LOCK, check=False).returncode:
        raise UserError(
            lineage.DVC_LOCK,
            "outs",
            "rebuilt on this runner, the pipeline does not reproduce the committed dvc.lock",
            "push the outputs from the clone that made them (`make push`), so the release pulls them",
        )


def release_inputs() -> str:
    """Before `make register`: have what a Release of HEAD's model needs, or fail untagged."""
    conf = settings.load()
    snap = lineage.snapshot("HEAD", conf)
    latest = tags.latest(snap.artifact.name)
    if latest and lineage.snapshot(latest.commit, conf).model_md5 == lineage.require_model(snap):
        return f"release-inputs: the model is {latest.tag}'s; nothing new to release"
    return obtain(snap)


def obtain(snap: lineage.Snapshot) -> str:
    """Make the model `snap` records (and the card's inputs) present; say how."""
    expected = lineage.require_model(snap)
    model = Path(snap.artifact.path)
    if _md5(model) == expected and all(Path(t).exists() for t in PULL_TARGETS):
        return "release-inputs: the model and the card's inputs are already here"
    why = _pull(snap.artifact.path)
    if why is None and _md5(model) == expected:
        return "release-inputs: pulled the model and the card's inputs from the DVC remote"
    print(f"release-inputs: {why or 'the pulled model does not match dvc.lock'}; rebuilding")
    _rebuild(snap)
    if _md5(model) != expected:
        raise UserError(
            str(model),
            "md5",
            f"rebuilt as {_md5(model)}, dvc.lock records {expected}",
            "run `make repro` and commit dvc.lock",
        )
    return (
        "release-inputs: rebuilt the model with the committed pipeline; it matches dvc.lock to the "
        f"byte (md5 {expected}). Configure a shared DVC remote so releases and clones can pull it "
        "(docs/storage.md)"
    )


def _unreleased_note(gh: GitHub, name: str, own: str | None) -> list[str]:
    """A line naming registered versions (other than `own`) that have no GitHub Release."""
    released = {r["tag_name"] for r in gh.paginate("releases")}
    missing = [r.tag for r in tags.registered(name) if r.tag not in released and r.tag != own]
    if not missing:
        return []
    return [
        f"release: {', '.join(missing)} registered without a GitHub Release: re-run the "
        "Release workflow's run for that commit (Actions -> Release model)"
    ]


def release(gh: GitHub | None = None) -> str:
    """Publish the Release of the version HEAD registered, if it has none yet."""
    conf = settings.load()
    artifact = lineage.current_artifact(conf)
    head = git.resolve("HEAD")
    own = tags.at_commit(artifact.name, head)
    if own is None:  # GitHub is asked only when it can be, for the note on older versions
        gh = gh or (GitHub.from_env() if GitHub.available() else None)
        notes = _unreleased_note(gh, artifact.name, None) if gh else []
        return "\n".join(
            [
                *notes,
                f"release: HEAD ({head[:12]}) registered no version of {artifact.name}; nothing to release",
            ]
        )
    gh = gh or GitHub.from_env()
    notes = _unreleased_note(gh, artifact.name, own.tag)
    if gh.get_or_none(f"releases/tags/{own.tag}") is not None:
        return "\n".join(
            [*notes, f"release: {own.tag} already has a GitHub Release; nothing to do"]
        )
    print(obtain(lineage.snapshot("HEAD", conf)))
    card = model_card.write()
    model = Path(artifact.path)
    created = gh.call(
        "POST",
        "releases",
        {
            "tag_name": own.tag,
            "name": f"{artifact.name} {own.version}",
            "body": card.read_text(encoding="utf-8"),
        },
    )
    with tempfile.TemporaryDirectory() as tmp:
        asset = Path(tmp) / f"{artifact.name}-{own.version}{model.suffix}"
        shutil.copyfile(model, asset)
        gh.upload(created["upload_url"], asset.name, asset.read_bytes())
    return "\n".join(
        [*notes, f"release: published {own.tag} with {asset.name} and the model card as notes"]
    )


def main(argv: list[str]) -> int:
    command_parser(
        "release", "Publish a GitHub Release for the version HEAD registered.", lambda p: None
    ).parse_args(argv)
    with gto_errors():
        print(release())
    return 0
