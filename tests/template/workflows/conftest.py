"""A throwaway repository for each workflow scenario, set up as a team would have it.

`scenario` starts from the session's trained copy of the template (tests/conftest.py
`trained`: data, DVC cache and a trained model, committed on `main`) and adds what a
GitHub-hosted project has: a bare `origin` that workflows push tags to, a `github` remote
whose URL names the repository (act reads GITHUB_REPOSITORY from it), a DVC remote on a
moto S3 server with main's outputs pushed, and GitHub itself played by the REST double.
Helpers make the commits and events of a pull request's life: a branch whose author ran
`make repro`, the merge commit GitHub tests, the merge, and every event payload.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Project, base_env
from tests.template.support.github_double import GitHubDouble, serve
from tests.template.support.s3 import AWS_ENV, moto_server, s3_client
from tests.template.workflows.bytecode import compiled_uv_cache
from tests.template.workflows.engine import ActResult, Engine
from tests.template.workflows.triggers import not_triggered

REPO = "acme/ml"
REMOTE_URL = f"https://github.com/{REPO}.git"  # act derives GITHUB_REPOSITORY from it

# Every module here: `-m workflows` selects them; inside an act job they would run act again.
WORKFLOWS = [
    pytest.mark.workflows,
    pytest.mark.skipif(os.environ.get("ACT") == "true", reason="already inside an act job"),
]


@dataclass
class PullRequest:
    """A pull request as GitHub knows it: its branch and the commits its runs check out."""

    number: int
    branch: str
    head: str
    base: str
    merge: str = ""  # refs/pull/<n>/merge once built (Scenario.merge_commit)


@dataclass
class Scenario:
    """The repository of one scenario, its remotes, GitHub double and workflow engine."""

    project: Project  # the repository on disk; git and DVC as a developer runs them
    origin: Path  # bare repository: what `git push` from a workflow reaches
    bucket: str
    s3_port: int
    github: GitHubDouble
    engine: Engine
    repo: str = REPO

    def __post_init__(self) -> None:
        self._numbers = itertools.count(1)
        self._run_ids = itertools.count(1001)

    # ---- git -----------------------------------------------------------------------------
    def git(self, *args: str) -> str:
        return self.project.git(*args).stdout.strip()

    def sha(self, rev: str = "HEAD") -> str:
        return self.git("rev-parse", f"{rev}^{{commit}}")

    def checkout(self, rev: str) -> str:
        """Put the working folder at `rev` (a branch stays attached); act copies that folder."""
        branches = self.git("branch", "--format=%(refname:short)").split()
        self.git("checkout", "-q", *(() if rev in branches else ("--detach",)), rev)
        return self.sha()

    def changed_files(self, old: str, new: str, *, merge_base: bool = False) -> list[str]:
        """Files that differ between two commits (`old...new` with `merge_base`, as GitHub
        compares a pull request with its base)."""
        spec = f"{old}...{new}" if merge_base else f"{old}..{new}"
        return self.git("diff", "--name-only", spec).splitlines()

    def commit_files(self, sha: str) -> dict[str, bytes]:
        """Every file of commit `sha`, as GitHub's git trees and blobs API would serve them."""
        listing = self.git("ls-tree", "-r", "--full-tree", sha).splitlines()
        entries = [line.split("\t", 1) for line in listing]
        blobs = [(meta.split()[2], path) for meta, path in entries if meta.split()[1] == "blob"]
        batch = subprocess.run(
            ["git", "cat-file", "--batch"],
            cwd=self.project.root,
            input="".join(f"{blob}\n" for blob, _ in blobs).encode(),
            capture_output=True,
            check=True,
        ).stdout
        files, offset = {}, 0
        for _, path in blobs:
            header_end = batch.index(b"\n", offset)
            size = int(batch[offset:header_end].split()[2])
            files[path] = batch[header_end + 1 : header_end + 1 + size]
            offset = header_end + 1 + size + 1
        return files

    @property
    def author(self) -> Project:
        """The repository with a developer's credentials for the DVC remote."""
        return Project(self.project.root, {**base_env(self.project.root), **AWS_ENV})

    # ---- a pull request's life -----------------------------------------------------------
    def pull_request(
        self,
        branch: str,
        *,
        params: Mapping[str, Any] | None = None,
        files: Mapping[str, str] | None = None,
        repro: bool = True,
        push_outputs: bool = False,
        message: str | None = None,
    ) -> PullRequest:
        """A branch off main's tip with the author's change, pushed and opened as a PR.

        `params` are dotted params.yaml keys; `files` are paths and new contents. With
        `repro`, the author runs `make repro` and commits dvc.lock and metrics with the
        change, as docs/ci.md asks; `push_outputs` also sends them to the DVC remote.
        """
        base = self.sha("main")
        self.git("checkout", "-q", "-B", branch, "main")
        author = self.author
        if params:
            author.set_params(**params)
        for rel, text in (files or {}).items():
            path = author.root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        if repro:
            author.make("repro")
        if push_outputs:
            author.dvc("push", "--run-cache")
        head = author.commit(message or f"{branch}: the author's change")
        self.git("push", "-q", "origin", branch)
        pr = PullRequest(next(self._numbers), branch, head, base)
        self.github.add_pull(pr.number, head, head_ref=branch)
        self.github.add_commit_files(head, self.commit_files(head))
        self.checkout("main")
        return pr

    def merge_commit(self, pr: PullRequest) -> str:
        """Build refs/pull/<n>/merge (the head merged into the base) and check it out."""
        self.checkout(pr.base)
        self.git("merge", "--no-ff", "-q", "-m", f"Merge {pr.head} into {pr.base}", pr.head)
        pr.merge = self.sha()
        self.git("update-ref", f"refs/pull/{pr.number}/head", pr.head)
        self.git("update-ref", f"refs/pull/{pr.number}/merge", pr.merge)
        self.github.pulls[pr.number]["merge_commit_sha"] = pr.merge
        return pr.merge

    def merge(self, pr: PullRequest) -> str:
        """Press the merge button: a merge commit on main, pushed; the PR is closed."""
        self.checkout("main")
        self.git("merge", "--no-ff", "-q", "-m", f"Merge pull request #{pr.number}", pr.head)
        self.git("push", "-q", "origin", "main")
        self.github.pulls[pr.number]["state"] = "closed"
        self.github.pulls[pr.number]["merged"] = True
        return self.sha()

    # ---- event payloads (only what workflows and act read) --------------------------------
    def repository(self) -> dict[str, Any]:
        owner, name = self.repo.split("/")
        return {
            "full_name": self.repo,
            "name": name,
            "owner": {"login": owner},
            "default_branch": "main",
            "fork": False,
        }

    def pull_request_event(
        self,
        pr: PullRequest,
        *,
        action: str = "synchronize",
        head_repo: str | None = None,
        user: str = "author",
    ) -> dict[str, Any]:
        return {
            "action": action,
            "number": pr.number,  # act sets GITHUB_REF=refs/pull/<number>/merge from it
            "pull_request": {
                "number": pr.number,
                "state": "open",
                "head": {
                    "sha": pr.head,
                    "ref": pr.branch,
                    "repo": {"full_name": head_repo or self.repo},
                },
                "base": {"sha": pr.base, "ref": "main", "repo": {"full_name": self.repo}},
                "merge_commit_sha": pr.merge or None,
                "user": {"login": user},
                "labels": [],
            },
            "repository": self.repository(),
        }

    def workflow_run_event(
        self,
        run_id: int,
        pr: PullRequest,
        *,
        conclusion: str = "success",
        event: str = "pull_request",
        workflow: str = "PR training",
        head_repo: str | None = None,
    ) -> dict[str, Any]:
        """A completed run of `workflow`. GitHub lists no pull requests for a fork's head."""
        head_repository = head_repo or self.repo
        pulls = (
            []
            if head_repository != self.repo
            else [
                {
                    "number": pr.number,
                    "head": {
                        "sha": pr.head,
                        "ref": pr.branch,
                        "repo": {"name": self.repo.split("/")[1]},
                    },
                    "base": {
                        "sha": pr.base,
                        "ref": "main",
                        "repo": {"name": self.repo.split("/")[1]},
                    },
                }
            ]
        )
        return {
            "action": "completed",
            "workflow_run": {
                "id": run_id,
                "name": workflow,
                "event": event,
                "status": "completed",
                "conclusion": conclusion,
                "head_sha": pr.head,
                "head_branch": pr.branch,
                "head_repository": {"full_name": head_repository},
                "pull_requests": pulls,
                "html_url": f"https://github.com/{self.repo}/actions/runs/{run_id}",
            },
            "workflow": {"name": workflow},
            "repository": self.repository(),
        }

    def push_event(self, before: str, after: str, ref: str = "refs/heads/main") -> dict[str, Any]:
        return {
            "ref": ref,
            "before": before,
            "after": after,
            "created": False,
            "deleted": False,
            "forced": False,
            "head_commit": {"id": after},
            "repository": self.repository(),
        }

    def dispatch_event(
        self, inputs: Mapping[str, str], ref: str = "refs/heads/main"
    ) -> dict[str, Any]:
        return {"inputs": dict(inputs), "ref": ref, "repository": self.repository()}

    def schedule_event(self, cron: str) -> dict[str, Any]:
        return {"schedule": cron, "repository": self.repository()}

    # ---- running workflows ---------------------------------------------------------------
    def next_run_id(self) -> int:
        return next(self._run_ids)

    def not_triggered(self, workflow: str, event: str, payload: Mapping[str, Any]) -> str | None:
        """Why GitHub would not start `workflow` for this event (its `on:` filters, which act
        ignores), or None when it would."""
        changed = None
        if event.startswith("pull_request"):
            pull = payload["pull_request"]
            changed = self.changed_files(pull["base"]["sha"], pull["head"]["sha"], merge_base=True)
        elif event == "push" and "before" in payload:
            if set(payload["before"]) == {"0"}:  # a new branch: every file of its commit
                changed = self.git("ls-tree", "-r", "--name-only", payload["after"]).splitlines()
            else:
                changed = self.changed_files(payload["before"], payload["after"])
        path = self.project.root / ".github" / "workflows" / workflow
        return not_triggered(path, event, payload, changed)

    def run(
        self,
        workflow: str,
        event: str,
        payload: Mapping[str, Any],
        *,
        at: str,
        run_id: int | None = None,
        secrets: Mapping[str, str] | None = None,
        repository_secrets: bool = True,
        env: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> ActResult:
        """Run .github/workflows/<workflow> with the working folder at `at`.

        `at` is what GitHub checks out: the PR's merge commit for pull_request runs, main for
        push, workflow_run, dispatch and schedule runs. The DVC remote's credentials are the
        repository secrets (`repository_secrets=False`: none, as GitHub gives a fork's or
        Dependabot's pull request) and GITHUB_API_URL points at the double, unless
        overridden. A run GitHub would not start (see `not_triggered`) is refused.
        """
        self.checkout(at)  # the workflow file, too, is the one at `at`
        reason = self.not_triggered(workflow, event, payload)
        if reason:
            raise AssertionError(f"GitHub would not start {workflow} for this {event}: {reason}")
        return self.engine.act(
            self.project.root,
            f".github/workflows/{workflow}",
            event,
            payload,
            run_id=run_id or self.next_run_id(),
            secrets={
                **(self.repository_secrets() if repository_secrets else {}),
                **(secrets or {}),
            },
            env={"GITHUB_API_URL": self.github.url, **(env or {})},
            token=self.github.token,
            **kwargs,
        )

    def repository_secrets(self) -> dict[str, str]:
        """The secrets the team set: the DVC remote's credentials (docs/ci.md)."""
        return {key: AWS_ENV[key] for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}

    def artifact(self, run_id: int, name: str) -> Path:
        """Where the artifact `name` of run `run_id` is stored (the upload stand-in's layout)."""
        return self.engine.artifacts / str(run_id) / name


@pytest.fixture(scope="session")
def s3_port() -> Iterator[int]:
    with moto_server() as port:
        yield port


@pytest.fixture(scope="session")
def standin_tools(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tools the stand-ins install (a uv of another version), shared by the session."""
    return tmp_path_factory.mktemp("standin-tools")


@pytest.fixture(scope="session")
def uv_cache(tmp_path_factory: pytest.TempPathFactory) -> Path | None:
    """The jobs' uv cache, byte-compiled once for all pytest workers (tests/template/workflows/bytecode.py)."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # one folder above every worker's own
    return compiled_uv_cache(shared / "runner")


def configure_remote(project: Project, s3_port: int) -> str:
    """Point the project's DVC remote at a new bucket, commit it, push main's outputs."""
    bucket = f"dvc-{uuid.uuid4().hex[:12]}"
    s3_client(s3_port).create_bucket(Bucket=bucket)
    project.dvc("remote", "add", "-d", "storage", f"s3://{bucket}/dvc")
    project.dvc("remote", "modify", "storage", "endpointurl", f"http://127.0.0.1:{s3_port}")
    project.dvc("remote", "remove", "local")
    project.commit("DVC remote: S3 bucket", ".dvc/config")
    Project(project.root, {**project.env, **AWS_ENV}).dvc("push", "--run-cache")
    return bucket


@pytest.fixture
def scenario(
    trained: Project,
    tmp_path: Path,
    s3_port: int,
    standin_tools: Path,
    uv_cache: Path | None,
) -> Iterator[Scenario]:
    """The trained template on `main`, with origin, a github remote, S3 and the double."""
    bucket = configure_remote(trained, s3_port)
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], check=True)
    trained.git("remote", "add", "origin", str(origin))
    trained.git("remote", "add", "github", REMOTE_URL)
    trained.git("push", "-q", "-u", "origin", "main")
    engine = Engine(tmp_path / "ci", tools=standin_tools, uv_cache=uv_cache)
    with serve(GitHubDouble(repo=REPO)) as github:
        yield Scenario(trained, origin, bucket, s3_port, github, engine)
