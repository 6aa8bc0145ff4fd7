"""The trusted remote check: a PR head's outputs in the DVC remote, as a commit status.

The head's pipeline files come from GitHub's API (here the recording double), never from a
checkout; the remote comes from the default branch's `.dvc/config`, never from the PR's.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from gitops_ml.ci.remote import STATUS_CONTEXT
from tests.conftest import Project
from tests.template.support.github_double import GitHubDouble, serve

pytestmark = pytest.mark.slow

FILES = ("dvc.yaml", "dvc.lock", "params.yaml", "data.dvc")


def head_files(project: Project) -> dict[str, bytes]:
    return {name: (project.root / name).read_bytes() for name in FILES}


def remote_status(project: Project, github: GitHubDouble, sha: str, **env: str) -> str:
    summary = project.root.parent / "remote.md"
    project.env.update(
        GITHUB_API_URL=github.url,
        GITHUB_REPOSITORY=github.repo,
        GITHUB_TOKEN=github.token,
        HEAD_SHA=sha,
        REPORT_RUN_URL="https://github.com/acme/ml/actions/runs/3",
        REMOTE_SUMMARY=str(summary),
        **env,
    )
    project.make("remote-status")
    return summary.read_text()


def object_path(remote: Path, md5: str) -> Path:
    return remote / "files" / "md5" / md5[:2] / md5[2:]


def test_the_status_follows_what_the_remote_holds_for_the_heads_lock(trained: Project) -> None:
    sha = trained.git("rev-parse", "HEAD").stdout.strip()
    remote = (trained.root / ".dvc" / "../../dvc-remote").resolve()
    trained.dvc("push")
    lock = yaml.safe_load((trained.root / "dvc.lock").read_text())
    model = next(o for o in lock["stages"]["train"]["outs"] if o["path"].endswith(".skops"))
    with serve(GitHubDouble()) as github:
        github.add_commit_files(sha, head_files(trained))
        text = remote_status(trained, github, sha)
        (status,) = github.statuses
        assert status["sha"] == sha and status["context"] == STATUS_CONTEXT
        assert status["state"] == "success", status["description"]
        assert "every output is in remote" in status["description"]
        assert status["target_url"].endswith("/runs/3") and "passed" in text

        held = object_path(remote, model["md5"])
        shutil.move(held, held.with_suffix(".away"))
        text = remote_status(trained, github, sha)
        assert github.statuses[-1]["state"] == "failure"
        assert "artifacts/model/model.skops" in github.statuses[-1]["description"]
        assert "make push-pr PR=<number>" in text
        shutil.move(held.with_suffix(".away"), held)

        # Only the pipeline files were read, and through the API.
        blobs = {r.path.rsplit("/", 1)[-1] for r in github.calls("GET", r"/git/blobs/")}
        assert len(blobs) == len(FILES)


def test_a_folder_remote_on_a_runner_is_a_failure_not_a_false_green(trained: Project) -> None:
    """`make push` to a folder on a throwaway runner succeeds; no other clone can pull it."""
    sha = trained.git("rev-parse", "HEAD").stdout.strip()
    trained.dvc("push")
    with serve(GitHubDouble()) as github:
        github.add_commit_files(sha, head_files(trained))
        text = remote_status(trained, github, sha, GITHUB_ACTIONS="true")
        assert github.statuses[-1]["state"] == "failure"
        assert "folder on the runner" in github.statuses[-1]["description"]
        assert "s3://" in text and "docs/storage.md" in text
    verify = trained.make("verify-remote", check=False)
    assert verify.returncode != 0 and "folder on the runner" in verify.stdout


def test_the_pr_cannot_point_the_check_at_a_remote_of_its_own(
    trained: Project, tmp_path: Path
) -> None:
    """The head's `.dvc/config` is never read: the default branch's remote decides."""
    sha = trained.git("rev-parse", "HEAD").stdout.strip()
    files = head_files(trained)
    files[".dvc/config"] = (
        b"[core]\n    remote = mine\n['remote \"mine\"']\n    url = /tmp/forkers-bucket\n"
    )
    with serve(GitHubDouble()) as github:
        github.add_commit_files(sha, files)
        remote_status(trained, github, sha)  # nothing pushed to the default branch's remote
        assert github.statuses[-1]["state"] == "failure"
        assert "not in remote 'local'" in github.statuses[-1]["description"]
        assert not any(r.path.endswith(".dvc/config") for r in github.calls())
