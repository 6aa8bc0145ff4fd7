"""Get the data `data.dvc` names: from the DVC remote when it is reachable, else the sample.

`make repro` calls this before `dvc repro` and says which way it went. User data is
never overwritten: the sample is written only into an empty or missing `data/` folder.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from gitops_ml.core import commands
from gitops_ml.core.config import DATA_DIR
from gitops_ml.core.errors import UserError
from gitops_ml.datasets import bundled

DATA_DVC = "data.dvc"


def _data_in_sync(repo: Any) -> bool:
    """True when data/ hashes to what data.dvc records (whether or not it is cached yet)."""
    if not DATA_DIR.is_dir():
        return False
    out = repo.stage.load_one(DATA_DVC).outs[0]
    return not out.changed_checksum()


def _remote_problem(repo: Any) -> str | None:
    """Why the default remote cannot be used, or None when it is worth trying."""
    name = repo.config["core"].get("remote")
    if not name:
        return "no default DVC remote is configured"
    url = str(repo.config["remote"].get(name, {}).get("url", ""))
    if "://" not in url:
        local = Path(repo.dvc_dir, url) if not Path(url).is_absolute() else Path(url)
        if local.exists() and not local.is_dir():
            return f"remote {name!r} ({local.resolve()}) is a file, not a folder"
        if not local.is_dir():
            return f"remote {name!r} ({local.resolve()}) does not exist yet"
    return None


def ensure_data(pull_outputs: bool = True) -> str:
    """Make `data/` match `data.dvc`; return a one-line account of how."""
    from dvc.repo import Repo

    with Repo(".") as repo:  # closed on return: its state database, its locks
        return _ensure_data(repo, pull_outputs)


def _ensure_data(repo: Any, pull_outputs: bool) -> str:
    if _data_in_sync(repo):
        return "data: data/ already matches data.dvc"
    problem = _remote_problem(repo)
    pulled = problem is None
    if pulled:
        targets = None if pull_outputs else [DATA_DVC]
        remote = repo.config["core"].get("remote")
        try:
            repo.pull(targets=targets)
        except Exception as err:  # DVC raises many error types for network and missing files
            first = str(err).splitlines()[0].rstrip(": ")
            problem = f"dvc pull from remote {remote!r} did not bring the data ({first})"
        if _data_in_sync(repo):
            return f"data: pulled from DVC remote {remote!r}"
    if DATA_DIR.exists() and any(DATA_DIR.iterdir()):
        raise UserError(
            str(DATA_DIR),
            DATA_DVC,
            f"data/ does not match data.dvc and {problem}",
            "run `dvc add data` to record your new data, or `dvc checkout data.dvc` to go back "
            "to the recorded data (it refuses to drop files DVC has not saved)",
        )
    created = not DATA_DIR.exists()
    written = bundled.write()
    if not _data_in_sync(repo):
        written.unlink()
        if created:
            DATA_DIR.rmdir()
        fix = (
            "push the data from the clone that has it (`dvc push`), or check the remote's URL "
            "and credentials (docs/storage.md)"
            if pulled
            else "configure a reachable DVC remote (docs/storage.md), or `dvc add data` your own data"
        )
        raise UserError(
            DATA_DVC, "outs", f"{problem}; data.dvc does not describe the embedded sample", fix
        )
    repo.commit(DATA_DVC, force=True)  # hashes match: this only stores the sample in the cache
    return f"data: {problem}; wrote the embedded sample data to {bundled.DEFAULT_PATH}"


def fetch_revision(rev: str) -> str:
    """Bring the outputs of commit `rev` into the DVC cache (no checkout), when the remote can.

    The PR report compares with BASE's predictions and model: in CI, this step has the
    remote's credentials and the report's step does not. A miss is said, not fatal.
    """
    from dvc.repo import Repo

    try:
        with Repo(".") as repo:
            count = repo.fetch(revs=[rev], workspace=False)
    except Exception as err:  # DVC raises many error types for network, auth, missing files
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        return f"data: outputs of {rev[:12]} not fetched ({first}); the report says what it lacks"
    return f"data: outputs of {rev[:12]} in the DVC cache ({count} fetched)"


def main(argv: list[str]) -> int:
    parser = commands.parser(
        "data",
        __doc__,
    )
    parser.add_argument("--data-only", action="store_true", help="pull data.dvc only, no outputs")
    parser.add_argument("--rev", help="also fetch this commit's outputs into the DVC cache")
    args = parser.parse_args(argv)
    print(ensure_data(pull_outputs=not args.data_only), file=sys.stderr)
    if args.rev:
        print(fetch_revision(args.rev), file=sys.stderr)
    return 0
