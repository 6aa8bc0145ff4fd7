"""Shared fixtures: real git repositories in temporary folders, real DVC, no mocks.

`template` copies the committed template into a fresh git repository (one commit on
`main`, the sample data written, a local DVC remote beside it). `trained` does the same
from a copy that has already run the pipeline once per test session, so tests that
need a trained model do not each pay for a full `dvc repro`.

Both run on the template's own fixture params and data (tests/template/fixtures/: the
shipped sample configuration and the sample's data.dvc), never the team's params.yaml or
data: a team that adapts its params to its data keeps the machinery's tests green. The team's own tests
(tests/project) read the team's params.yaml.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitops_ml.core import hook

REPO_ROOT = Path(__file__).resolve().parents[1]
# `make test` runs two tests at a time on two cores. OpenMP (scikit-learn's tree models) sizes
# its pool to the cores, and two processes with two spinning threads each ran a check ten
# times slower than alone. One thread per process (fits: the fixture's model.threads 1) keeps
# the cores shared, not fought over. Every process a test starts inherits it.
os.environ.setdefault("OMP_NUM_THREADS", "1")
# The machinery's tests' params: the sample configuration the template ships, kept here so
# the team's params.yaml can change freely.
FIXTURE_PARAMS = REPO_ROOT / "tests" / "template" / "fixtures" / "params.yaml"
# ...and their data: the embedded sample, as data.dvc names it (`make data` writes it when
# the DVC remote does not hold it), whatever data the team's data.dvc tracks.
# (Not named *.dvc: DVC would track it as data of its own folder.)
FIXTURE_DATA = FIXTURE_PARAMS.with_name("data.dvc.fixture")
# The team's package (`ml_project` unless named otherwise at copy time), from its hook.
TEAM = hook.package(REPO_ROOT / "pyproject.toml")
MODEL = "model"  # the model artifact the template's dvc.yaml declares
DAY = 86400
VENV_BIN = Path(sys.executable).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The workflow scenarios (a minute or two each) run first, the short tests after them.

    Collected last, as their folder sorts, they ended `make test`: one worker finished a
    long scenario while the other, out of tests, waited. First, they overlap the rest of
    the suite and the short tests fill the end. That needs `--dist worksteal` (the
    Makefile's default): xdist's default hands each worker a fixed block of ~100 tests to
    start with, and a block holding every scenario and 60 integration tests kept one worker
    busy to the end. With work stealing a worker out of tests takes half of the other's
    queue, from its end. The sort is stable, so each module stays together.
    """
    items.sort(key=lambda item: item.get_closest_marker("workflows") is None)


def team_builder() -> hook.Builder:
    """The team's `build_pipeline`, found through its hook as the machinery finds it."""
    return hook.pipeline_builder(REPO_ROOT / "pyproject.toml")


def tracked_files(root: Path = REPO_ROOT) -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    # Files, and links (copier.yml's link to the team's package); not deleted files.
    return [p for p in out.split("\0") if p and ((root / p).is_file() or (root / p).is_symlink())]


def base_env(repo: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
        PYTHONPATH=str(repo / "src"),
        DVC_NO_ANALYTICS="1",
        ITERATIVE_DO_NOT_TRACK="1",
        GTO_NO_ANALYTICS="1",
        GIT_AUTHOR_NAME="Test Author",
        GIT_AUTHOR_EMAIL="author@example.com",
        GIT_COMMITTER_NAME="Test Author",
        GIT_COMMITTER_EMAIL="author@example.com",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
    )
    env.pop("VIRTUAL_ENV", None)
    return env


@dataclass
class Project:
    """A real git + DVC repository in a temporary folder, and helpers to drive it."""

    root: Path
    env: dict[str, str] = field(default_factory=dict)

    def run(
        self, *args: str, check: bool = True, timeout: float = 600, **kw: Any
    ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            list(args),
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            **kw,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"{' '.join(args)} exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
            )
        return proc

    def git(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run("git", *args, check=check)

    def dvc(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run(str(VENV_BIN / "dvc"), *args, check=check)

    def python(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run(sys.executable, *args, check=check)

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """`python -m gitops_ml ...` as the Makefile runs it."""
        return self.python("-m", "gitops_ml", *args, check=check)

    def make(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run a Makefile target with the test run's venv, which `-o` keeps from re-installing."""
        stamp = f"{VENV_BIN.parent}/.installed"
        return self.run(
            "make",
            "--no-print-directory",
            f"VENV={VENV_BIN.parent}",
            f"STAMP={stamp}",
            "-o",
            stamp,
            *args,
            check=check,
        )

    def repro(self, *args: str) -> list[str]:
        """Run `dvc repro` and return the names of the stages that actually ran."""
        out = self.dvc("repro", *args).stdout
        return re.findall(r"Running stage '([^']+)'", out)

    def stages_from(self, *changed: str) -> list[str]:
        """The stages `dvc repro` re-runs when `changed` must re-run: they and every stage
        downstream, in dvc.yaml's order (all stages when none is named). Read from the
        project's dvc.yaml, so a team that adds a stage keeps these tests true."""
        stages = yaml.safe_load((self.root / "dvc.yaml").read_text())["stages"]
        if not changed:
            return list(stages)

        def paths(stage: dict[str, Any], *keys: str) -> set[str]:
            entries = [e for key in keys for e in stage.get(key) or []]
            return {next(iter(e)) if isinstance(e, dict) else str(e) for e in entries}

        def feeds(up: str, down: str) -> bool:
            outs = paths(stages[up], "outs", "metrics", "plots")
            deps = paths(stages[down], "deps")
            return any(
                d == o or d.startswith(f"{o}/") or o.startswith(f"{d}/") for d in deps for o in outs
            )

        rerun = set(changed)
        for name in stages:  # dvc.yaml lists a stage after the stages it reads
            if any(feeds(up, name) for up in rerun):
                rerun.add(name)
        return [name for name in stages if name in rerun]

    @classmethod
    def copied(cls, source: Path, dest: Path) -> Project:
        """A copy of the repository at `source` (git, DVC cache, workspace) at `dest`."""
        shutil.copytree(source, dest, symlinks=True)
        return cls(dest, base_env(dest))

    def tag(self, name: str, days_ago: float, commit: str = "HEAD") -> None:
        """An annotated tag dated `days_ago`: GTO reads the tagger date as the event time."""
        when = int(time.time() - days_ago * DAY)
        self.env["GIT_COMMITTER_DATE"] = f"{when} +0000"
        try:
            self.git("tag", "-a", name, commit, "-m", f"{name}\n\nmade by the test")
        finally:
            del self.env["GIT_COMMITTER_DATE"]

    def release(self, version: str, days_ago: tuple[float, float, float], event: int) -> None:
        """Register the template's model `version` at HEAD, then assign it to staging and to
        prod (GTO event numbers `event` and `event + 1`), each `days_ago` in that order."""
        registered, staging, prod = days_ago
        self.tag(f"{MODEL}@{version}", registered)
        self.tag(f"{MODEL}#staging#{event}", staging)
        self.tag(f"{MODEL}#prod#{event + 1}", prod)

    def commit(self, message: str, *paths: str) -> str:
        self.git("add", *(paths or ("-A",)))
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD").stdout.strip()

    @property
    def params_path(self) -> Path:
        return self.root / "params.yaml"

    def read_params(self) -> dict[str, Any]:
        return yaml.safe_load(self.params_path.read_text())

    def set_params(self, **updates: Any) -> None:
        """Set dotted keys, e.g. set_params(**{"model.params.max_iter": 50})."""
        params = self.read_params()
        for dotted, value in updates.items():
            node = params
            *parents, last = dotted.split(".")
            for key in parents:
                node = node.setdefault(key, {})
            node[last] = value
        self.params_path.write_text(yaml.safe_dump(params, sort_keys=False))

    def metrics(self) -> dict[str, Any]:
        return json.loads((self.root / "metrics/metrics.json").read_text())

    def file_bytes(self, rel: str) -> bytes:
        return (self.root / rel).read_bytes()


def copy_tracked(dest: Path) -> None:
    """The repository's files (tracked, or new and not ignored) at `dest`, without .git."""
    for rel in tracked_files():
        source, target = REPO_ROOT / rel, dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():  # copier.yml's link to the team's package stays a link
            target.symlink_to(os.readlink(source))
        else:
            shutil.copy2(source, target)


def copy_repository(dest: Path, params: Path | None = FIXTURE_PARAMS) -> Project:
    """The repository's files as a fresh git repository at `dest`, one commit on `main`.

    `params` replaces params.yaml and data.dvc names the sample (default: the machinery's
    fixture params; None keeps the team's params and data.dvc).
    """
    dest.mkdir(parents=True)
    copy_tracked(dest)
    if params is not None:
        shutil.copyfile(params, dest / "params.yaml")
        shutil.copyfile(FIXTURE_DATA, dest / "data.dvc")
    project = Project(dest, base_env(dest))
    project.git("init", "-q", "-b", "main")
    project.commit("template")
    return project


@pytest.fixture(scope="session")
def _trained_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One template copy that has fetched its data and run the pipeline, per session."""
    project = copy_repository(tmp_path_factory.mktemp("trained-source") / "repo")
    project.cli("data")
    project.dvc("repro")
    project.commit("trained")
    return project.root


@pytest.fixture
def template(tmp_path: Path) -> Project:
    """A fresh copy of the template as a git repo with one commit: no data, nothing trained."""
    return copy_repository(tmp_path / "repo")


@pytest.fixture
def trained(tmp_path: Path, _trained_source: Path) -> Iterator[Project]:
    """A copy of the template with data, the DVC cache and a trained model, all committed."""
    yield Project.copied(_trained_source, tmp_path / "repo")
