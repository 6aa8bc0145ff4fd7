"""`make release`: a GitHub Release for the version HEAD registered, notes = the model card.

The release workflow runs it right after `make register`. It pulls only what the card and
the asset need from the DVC remote, and does nothing when HEAD registered no version or the
release already exists, so re-running the workflow is safe.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from gitops_ml import config
from gitops_ml.errors import UserError
from gitops_ml.registry import git, lineage, model_card, settings, tags

PULL_TARGETS = (str(config.PREDICTIONS_FILE), str(config.PREPARED_DIR))


def _gh(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    if not shutil.which("gh"):
        raise UserError(
            "gh", "", "the GitHub CLI is not installed", "run this on a GitHub runner or install gh"
        )
    proc = subprocess.run(["gh", *args], capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise UserError(
            "gh",
            " ".join(args[:2]),
            proc.stderr.strip() or "failed",
            "check GH_TOKEN and the job's permissions",
        )
    return proc


def pull(model_path: str) -> None:
    """Fetch the model and the card's inputs from the DVC remote."""
    from dvc.exceptions import DvcException
    from dvc.repo import Repo

    try:
        with Repo(".") as repo:
            repo.pull(targets=[model_path, *PULL_TARGETS])
    except DvcException as err:
        raise UserError(
            "DVC remote", "pull", str(err), "check the remote's credentials (see docs/ci.md)"
        ) from None


def release() -> str:
    conf = settings.load()
    artifact = lineage.current_artifact(conf)
    head = git.resolve("HEAD")
    own = tags.at_commit(artifact.name, head)
    if own is None:
        return f"release: HEAD ({head[:12]}) registered no version of {artifact.name}; nothing to release"
    if _gh("release", "view", own.tag, check=False).returncode == 0:
        return f"release: {own.tag} already has a GitHub Release; nothing to do"
    pull(artifact.path)
    card = model_card.write()
    model = Path(artifact.path)
    with tempfile.TemporaryDirectory() as tmp:
        asset = Path(tmp) / f"{artifact.name}-{own.version}{model.suffix}"
        shutil.copyfile(model, asset)
        _gh(
            "release", "create", own.tag, str(asset),
            "--verify-tag", "--title", f"{artifact.name} {own.version}", "--notes-file", str(card),
        )  # fmt: skip
    return f"release: published {own.tag} with {asset.name} and the model card as notes"
