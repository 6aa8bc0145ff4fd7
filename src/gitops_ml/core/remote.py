"""The DVC remote: which one is the default, whether it can outlive a CI runner, and which
cached outputs it lacks. Shared by the CI checks and the release, which both must refuse a
remote no other clone can pull from."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from gitops_ml.core.errors import UserError


def runner_folder_problem(url: str, env: Mapping[str, str] | None = None) -> str | None:
    """On GitHub Actions, a remote that is a local folder is thrown away with the runner.

    `make push` to it succeeds and every check of it passes, while no other clone can ever
    pull what it holds: a false green. Only a real storage URL counts there.
    """
    env = os.environ if env is None else env
    if env.get("GITHUB_ACTIONS") != "true" or "://" in url:
        return None
    return f"the DVC remote is a folder on the runner ({url!r}), which is deleted with it"


FIX_REAL_REMOTE = (
    "configure a shared remote (s3://, gs://, azure://, ...) as the default in .dvc/config "
    "and its credentials as repository secrets (docs/storage.md, docs/ci.md)"
)


def shown(paths: list[str], limit: int = 10) -> str:
    """A list of paths short enough for one line."""
    more = f" and {len(paths) - limit} more" if len(paths) > limit else ""
    return ", ".join(paths[:limit]) + more


def default_remote(repo: Any) -> tuple[str, str]:
    """(name, url) of the default DVC remote; a UserError when there is none."""
    name = repo.config["core"].get("remote")
    if not name:
        raise UserError(".dvc/config", "core.remote", "no default DVC remote", FIX_REAL_REMOTE)
    return name, str(repo.config["remote"].get(name, {}).get("url", ""))


def missing_in_remote(repo: Any) -> list[str]:
    """Cached outputs (files, or folders whose manifest is absent) the default remote lacks.

    With an empty local cache, DVC reports an object that only the remote holds as
    "deleted" and one held nowhere as "missing"; a folder whose manifest is not in the
    remote does not appear at all, so declared outputs are matched against the answer.
    """
    found = repo.status(cloud=True)
    missing = {path for path, state in found.items() if state != "deleted"}
    for stage in repo.index.stages:
        for out in stage.outs:
            if not out.use_cache:
                continue
            path = out.def_path
            if not any(key == path or key.startswith(f"{path}/") for key in found):
                missing.add(path)
    return sorted(missing)
