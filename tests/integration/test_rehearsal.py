"""Rehearse the pull-request workflow without GitHub: a bare origin, clones, a local DVC remote.

The test reads `.github/workflows/pr-train.yml`, takes the shell steps in order (each is one
`make` call) and runs them in a fresh clone for a PR that changes a parameter, with the
job's `env:` filled from a pretend pull_request event. So when the YAML and the Makefile
drift apart, this test breaks. A second fresh clone then proves that anyone can `dvc pull`
what the PR produced and is up to date without retraining.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO_ROOT, VENV_BIN, Project, base_env

pytestmark = pytest.mark.slow

WORKFLOW = REPO_ROOT / ".github" / "workflows" / "pr-train.yml"
EXPRESSION = re.compile(r"^\$\{\{\s*([^}]+?)\s*\}\}$")
# The targets a PR run must reach, in this order (others may sit in between).
EXPECTED_ORDER = [
    "setup",
    "restore",
    "repro",
    "verify",
    "push",
    "report",
    "feature-cost",
    "ci-gate",
    "train-cost",
    "tune-check",
    "comment-body",
    "step-summary",
]


def workflow_steps(event: dict[str, str]) -> list[tuple[str, str, dict[str, str]]]:
    """(name, shell script, env) of each `run:` step of the PR job, in order."""
    data = yaml.safe_load(WORKFLOW.read_text())
    (job,) = data["jobs"].values()

    def resolve(env: dict[str, object]) -> dict[str, str]:
        out = {}
        for key, value in env.items():
            match = EXPRESSION.match(str(value))
            if not match:
                out[key] = str(value)
            elif match.group(1).startswith("secrets."):
                out[key] = ""  # no cloud credentials: the local remote needs none
            else:
                assert match.group(1) in event, f"the rehearsal has no value for {value}"
                out[key] = event[match.group(1)]
        return out

    env = resolve({**data.get("env", {}), **job.get("env", {})})
    return [
        (step.get("name", step["run"]), step["run"], {**env, **resolve(step.get("env", {}))})
        for step in job["steps"]
        if "run" in step
    ]


def make_targets(script: str) -> list[str]:
    return re.findall(r"(?:^|[;&|]\s*)make\s+([A-Za-z][\w-]*)", script)


def clone(by: Project, origin: Path, dest: Path, branch: str) -> Project:
    by.run("git", "clone", "-q", "--branch", branch, str(origin), str(dest))
    return Project(dest, base_env(dest))


def run_step(
    project: Project, script: str, env: dict[str, str], stamp: Path
) -> subprocess.CompletedProcess[str]:
    """Run one workflow `run:` script with bash, make bound to the test's venv.

    The stamp is newer than the clone's requirements.lock, so neither this make nor a
    recursive one (`-o` is not passed down) re-installs the shared venv from the clone.
    """
    wrapper = (
        f'make() {{ command make --no-print-directory VENV="{VENV_BIN.parent}" '
        f'STAMP="{stamp}" -o "{stamp}" "$@"; }}\n'
    )
    step = Project(project.root, {**project.env, **env})
    return step.run("bash", "-e", "-c", wrapper + script, check=False)


def test_pr_workflow_steps_reproduce_verify_push_report_and_gate(trained: Project) -> None:
    tmp = trained.root.parent
    origin = tmp / "origin.git"
    remote = tmp / "dvc-remote"  # where .dvc/config's relative URL points from any sibling clone
    trained.run("git", "init", "-q", "--bare", str(origin))
    trained.git("remote", "add", "origin", str(origin))
    trained.git("push", "-q", "origin", "main")
    remote.mkdir()
    trained.dvc("push", "--run-cache")  # main's outputs, as main's own CI left them

    # The author's PR: one parameter, re-run, and commit params, dvc.lock and metrics.
    trained.git("checkout", "-q", "-b", "tune")
    params = trained.read_params()
    trained.set_params(
        **{"model.params.max_leaf_nodes": params["model"]["params"]["max_leaf_nodes"] + 1}
    )
    assert trained.repro() == ["train", "evaluate"]
    trained.commit("Tune max_leaf_nodes")
    trained.git("push", "-q", "origin", "tune")
    head_sha = trained.git("rev-parse", "HEAD").stdout.strip()

    # The CI runner: a clean clone of the PR merged into main, as GitHub checks it out.
    runner = clone(trained, origin, tmp / "runner", "main")
    base_sha = runner.git("rev-parse", "HEAD").stdout.strip()
    runner.git("merge", "-q", "--no-ff", "-m", "Merge tune into main", "origin/tune")
    assert not (runner.root / ".dvc" / "cache").exists()
    summary = tmp / "step-summary.md"
    summary.write_text("")
    stamp = tmp / "venv-stamp"
    stamp.touch()
    event = {
        "github.event.pull_request.base.sha": base_sha,
        "github.event.pull_request.number": "7",
        "github.event.pull_request.head.sha": head_sha,
        "vars.TRAIN_RUNNER": "",
    }

    steps = workflow_steps(event)
    called = [t for _, script, _ in steps for t in make_targets(script)]
    positions = [called.index(t) for t in EXPECTED_ORDER]  # ValueError if a target is gone
    assert positions == sorted(positions), called

    results = {}
    for name, script, env in steps:
        env = {**env, "GITHUB_STEP_SUMMARY": str(summary)}
        proc = run_step(runner, script, env, stamp)
        results[make_targets(script)[0]] = proc
        if "ci-gate" not in script:  # the gate may rightly fail; it is checked below
            assert proc.returncode == 0, f"{name}\n{proc.stdout}\n{proc.stderr}"

    # The pipeline re-ran only what the parameter touches, and the commit held up.
    assert "Running stage 'train'" in results["repro"].stdout
    assert "Running stage 'prepare'" not in results["repro"].stdout
    assert "[FAIL]" not in results["verify"].stdout

    # The report, the gate verdict (consistent with the gate's exit code) and the comment.
    report = runner.root / "report.md"
    assert report.is_file() and report.stat().st_size > 0
    verdict = (runner.root / "report" / "gate.txt").read_text()
    passed = results["ci-gate"].returncode == 0
    assert ("PASSED" if passed else "FAILED") in verdict.upper()
    body = (runner.root / "report" / "comment.md").read_text()
    assert report.read_text().strip().splitlines()[0] in body
    assert "Reproducibility check: passed" in body
    assert "### Training cost: passed" in body  # one leaf node more: no costlier to train
    assert "## Feature cost" in body and "## Tuning check" in body
    assert "PASSED: no candidate beats the committed hyperparameters" in body
    assert json.loads((runner.root / "report" / "pr.json").read_text()) == {
        "pr": 7,
        "head_sha": head_sha,
    }
    assert summary.read_text() == body

    # Anyone can now pull exactly what the PR produced and is up to date without training.
    fresh = clone(trained, origin, tmp / "fresh", "tune")
    fresh.dvc("pull")
    assert json.loads(fresh.dvc("status", "--json").stdout) == {}
    assert fresh.repro() == []
    assert fresh.metrics() == trained.metrics()
