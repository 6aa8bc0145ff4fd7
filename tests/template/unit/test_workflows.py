"""Every workflow follows the hardening rules, and every step it runs is a real make target.

These read the YAML of all workflows in .github/workflows, so a new workflow is held to
the same rules the moment it is added.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO_ROOT

WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.y*ml"))
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$")
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
TAG_COMMENT = re.compile(r"^\s*#\s*v\d+(\.\d+)*\S*\s*$")
MAKE_TARGET = re.compile(r"^make\s+([A-Za-z][\w-]*)")


def load(path: Path) -> dict[str, Any]:
    # PyYAML reads the key `on` as True; normalise it back.
    data = yaml.safe_load(path.read_text())
    if True in data:
        data["on"] = data.pop(True)
    return data


def jobs(path: Path) -> dict[str, dict[str, Any]]:
    return load(path)["jobs"]


def steps(path: Path) -> list[dict[str, Any]]:
    return [step for job in jobs(path).values() for step in job.get("steps", [])]


def makefile_targets() -> set[str]:
    text = (REPO_ROOT / "Makefile").read_text()
    return set(re.findall(r"^([A-Za-z][\w-]*)\s*:(?!=)", text, flags=re.M))


ids = [p.name for p in WORKFLOWS]


def test_the_pull_request_workflows_exist() -> None:
    names = {p.name for p in WORKFLOWS}
    assert {"ci.yml", "pr-train.yml", "pr-comment.yml"} <= names


@pytest.mark.parametrize("path", WORKFLOWS, ids=ids)
def test_every_action_is_pinned_to_a_commit_sha_with_its_tag_in_a_comment(path: Path) -> None:
    found = 0
    for number, line in enumerate(path.read_text().splitlines(), 1):
        match = USES_LINE.match(line)
        if not match:
            continue
        found += 1
        ref, rest = match.groups()
        if ref.startswith("./"):
            continue  # a local action lives in this repository
        assert PINNED.match(ref), f"{path.name}:{number}: {ref} is not pinned to a full SHA"
        assert TAG_COMMENT.match(rest), f"{path.name}:{number}: no `# vX.Y.Z` tag comment"
    calls = sum(1 for job in jobs(path).values() if "uses" in job)  # reusable workflows
    assert found == sum(1 for s in steps(path) if "uses" in s) + calls


def test_the_same_action_is_pinned_to_the_same_commit_everywhere() -> None:
    pins: dict[str, set[str]] = {}
    for path in WORKFLOWS:
        for step in steps(path):
            if "@" in step.get("uses", ""):
                action, _, sha = step["uses"].partition("@")
                pins.setdefault(action, set()).add(sha)
    assert {a: s for a, s in pins.items() if len(s) > 1} == {}


@pytest.mark.parametrize("path", WORKFLOWS, ids=ids)
def test_top_level_permissions_are_empty_or_read_only(path: Path) -> None:
    perms = load(path).get("permissions")
    assert perms is not None, "set top-level `permissions: {}` (jobs ask for what they need)"
    if isinstance(perms, str):
        assert perms in {"read-all", "{}"}
    else:
        assert all(level in {"read", "none"} for level in perms.values()), perms


@pytest.mark.parametrize("path", WORKFLOWS, ids=ids)
def test_every_job_declares_permissions_and_a_timeout(path: Path) -> None:
    for name, job in jobs(path).items():
        assert "permissions" in job, f"job {name}: no permissions"
        if "uses" not in job:  # a reusable-workflow call takes no timeout-minutes
            assert isinstance(job.get("timeout-minutes"), int), f"job {name}: no timeout"


@pytest.mark.parametrize("path", WORKFLOWS, ids=ids)
def test_workflow_has_concurrency(path: Path) -> None:
    data = load(path)
    assert "concurrency" in data or all("concurrency" in j for j in jobs(path).values())


@pytest.mark.parametrize("path", WORKFLOWS, ids=ids)
def test_no_event_data_is_expanded_inside_a_shell_script(path: Path) -> None:
    for step in steps(path):
        script = step.get("run", "")
        assert "${{" not in script, f"{step.get('name', script)}: pass values through env:"


@pytest.mark.parametrize("path", WORKFLOWS, ids=ids)
def test_every_checkout_drops_its_credentials(path: Path) -> None:
    for step in steps(path):
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step.get("with", {}).get("persist-credentials") is False


@pytest.mark.parametrize("path", WORKFLOWS, ids=ids)
def test_every_shell_step_calls_an_existing_make_target(path: Path) -> None:
    targets = makefile_targets()
    for step in steps(path):
        if "run" not in step:
            continue
        script = step["run"].strip()
        match = MAKE_TARGET.match(script)
        assert match and "\n" not in script, f"{path.name}: `{script}` is not one make call"
        assert match.group(1) in targets, f"{path.name}: make {match.group(1)}: no such target"


@pytest.mark.parametrize("path", WORKFLOWS, ids=ids)
def test_dvc_and_cml_telemetry_is_off_in_every_job_that_runs_commands(path: Path) -> None:
    top = load(path).get("env", {})
    for name, job in jobs(path).items():
        if any("run" in s for s in job.get("steps", [])):
            env = {**top, **job.get("env", {})}
            assert env.get("DVC_NO_ANALYTICS") == "1", f"job {name}"
            assert env.get("ITERATIVE_DO_NOT_TRACK") == "1", f"job {name}"


def test_pull_request_training_runs_on_pipeline_inputs_only() -> None:
    on = load(REPO_ROOT / ".github/workflows/pr-train.yml")["on"]
    assert set(on) == {"pull_request"}
    assert set(on["pull_request"]["paths"]) == {
        "params.yaml",
        "dvc.yaml",
        "dvc.lock",
        "data.dvc",
        "contract*.yaml",
        "src/**",
        "pyproject.toml",
        "requirements.lock",
    }


def test_pr_runs_without_secrets_push_nothing_and_secrets_reach_only_remote_steps() -> None:
    """Forks and Dependabot get no Actions secrets: their push would fail. The pipeline runs
    the PR's own code, so the remote's secrets stay out of its steps."""
    (job,) = jobs(REPO_ROOT / ".github/workflows/pr-train.yml").values()
    (push,) = [s for s in job["steps"] if s.get("run") == "make push"]
    assert "github.event.pull_request.head.repo.full_name == github.repository" in push["if"]
    assert "github.event.pull_request.user.login != 'dependabot[bot]'" in push["if"]
    assert "secrets." not in str(job.get("env", {}))
    with_secrets = {
        MAKE_TARGET.match(s["run"]).group(1)
        for s in job["steps"]
        if "run" in s and "secrets." in str(s.get("env", {}))
    }
    assert with_secrets == {"remote-credentials", "restore", "push"}


def test_pull_request_training_holds_no_write_permission() -> None:
    for job in jobs(REPO_ROOT / ".github/workflows/pr-train.yml").values():
        assert set(job["permissions"].values()) <= {"read", "none"}


def test_comment_workflow_never_checks_out_or_runs_pull_request_code() -> None:
    path = REPO_ROOT / ".github/workflows/pr-comment.yml"
    assert set(load(path)["on"]) == {"workflow_run"}
    for step in steps(path):
        if step.get("uses", "").startswith("actions/checkout@"):
            # no ref/repository: the default branch, i.e. this workflow's own code
            assert not {"ref", "repository"} & set(step.get("with", {}))
    targets = [MAKE_TARGET.match(s["run"]).group(1) for s in steps(path) if "run" in s]
    assert targets == ["setup", "remote-credentials", "remote-status", "comment"]


def test_the_comment_keeps_cmls_watermark_so_cml_comment_update_finds_it() -> None:
    """CML's own test for an updatable comment (Watermark.isIn in CML 0.20.x), here in Python."""
    from gitops_ml.ci import comment, post

    mark = post.watermark("0123abcd" * 5)
    title = f"CML watermark {comment.WATERMARK_TITLE}"
    cml_pattern = (
        rf'!\[\]\({re.escape("https://cml.dev/watermark.png")}#[0-9a-fA-F]+ "{re.escape(title)}"\)'
    )
    assert re.search(cml_pattern, f"report\n\n{mark}")


def test_dvc_cache_is_restored_on_prs_saved_on_main_and_keyed_on_the_lock_file() -> None:
    def caches(name: str, action: str) -> list[dict[str, Any]]:
        return [
            s
            for s in steps(REPO_ROOT / ".github/workflows" / name)
            if s.get("uses", "").startswith(f"actions/cache/{action}@")
        ]

    (restore,) = caches("pr-train.yml", "restore")
    (pr_save,) = caches("pr-train.yml", "save")
    (main_save,) = caches("ci.yml", "save")
    for step in (restore, pr_save, main_save):
        assert step["with"]["path"] == ".dvc/cache"
        assert "hashFiles('dvc.lock')" in step["with"]["key"]
    assert "!cancelled()" in pr_save["if"]  # red runs save too
    assert not any(
        s.get("uses", "").startswith("actions/cache@") for p in WORKFLOWS for s in steps(p)
    ), "actions/cache saves only after a green job: restore and save explicitly"


@pytest.mark.parametrize("path", WORKFLOWS, ids=ids)
def test_every_setup_uv_pins_the_uv_that_wrote_the_lock(path: Path) -> None:
    version = re.search(r"^UV_VERSION := (\S+)$", (REPO_ROOT / "Makefile").read_text(), re.M)
    assert version
    for step in steps(path):
        if step.get("uses", "").startswith("astral-sh/setup-uv@"):
            assert str(step["with"].get("version")) == version.group(1), path.name


def test_queued_release_and_promotion_runs_are_never_cancelled_in_progress() -> None:
    release = load(REPO_ROOT / ".github/workflows/release.yml")["concurrency"]
    promote = load(REPO_ROOT / ".github/workflows/promote.yml")["concurrency"]
    assert release["cancel-in-progress"] is False and promote["cancel-in-progress"] is False
    # A pending request is replaced only by one for the same stage and version.
    assert "inputs.stage" in promote["group"] and "inputs.version" in promote["group"]


def test_promotion_runs_in_the_stages_own_environment_and_calls_the_deployment() -> None:
    promote = jobs(REPO_ROOT / ".github/workflows/promote.yml")
    assert promote["promote"]["environment"] == "${{ inputs.stage }}"
    assert promote["deploy"]["uses"] == "./.github/workflows/deploy.yml"
    assert promote["deploy"]["needs"] == "promote"
    assert set(load(REPO_ROOT / ".github/workflows/deploy.yml")["on"]) == {
        "workflow_call",
        "workflow_dispatch",
    }


@pytest.mark.parametrize("name", ["ci.yml", "pr-train.yml"])
def test_uv_cache_is_enabled_and_keyed_on_the_lock_file(name: str) -> None:
    # (jobs that can write tags or releases may turn it off against cache poisoning)
    uvs = [
        s
        for s in steps(REPO_ROOT / ".github/workflows" / name)
        if s.get("uses", "").startswith("astral-sh/setup-uv@")
    ]
    assert uvs
    for uv in uvs:
        assert uv["with"]["enable-cache"] is True
        assert uv["with"]["cache-dependency-glob"] == "requirements.lock"


def test_ci_lints_and_tests_on_every_supported_python() -> None:
    job = jobs(REPO_ROOT / ".github/workflows/ci.yml")["lint-and-test"]
    assert job["strategy"]["matrix"]["python"] == ["3.10", "3.11", "3.12", "3.13"]
    targets = [MAKE_TARGET.match(s["run"]).group(1) for s in job["steps"] if "run" in s]
    assert targets.index("lint") < targets.index("test")


def test_dependabot_watches_actions_and_python_dependencies_after_a_cooldown() -> None:
    config = yaml.safe_load((REPO_ROOT / ".github/dependabot.yml").read_text())
    ecosystems = {u["package-ecosystem"] for u in config["updates"]}
    assert {"github-actions", "pip"} <= ecosystems
    assert all(u["cooldown"]["default-days"] >= 7 for u in config["updates"])


# Variables that name a program or pass options on purpose (the caller's own shell).
COMMAND_VARIABLES = {"UV", "SYS_PY", "PYTHON", "PYTEST_ARGS"}


def test_no_make_variable_value_is_pasted_into_a_shell_line() -> None:
    """Workflow inputs reach make variables; a value must arrive as data, never as code.

    Every target is dry-run with every settable variable holding a quote and a command;
    the printed recipes must refer to the variable ($NAME), not contain its value.
    """
    import subprocess

    text = (REPO_ROOT / "Makefile").read_text()
    settable = set(re.findall(r"^([A-Z_]+)\s*\?=", text, flags=re.M)) - COMMAND_VARIABLES
    payloads = [f'{name}=x"; echo PASTED_{name}; "' for name in sorted(settable)]
    for target in sorted(makefile_targets() - {"test", "help"}):
        printed = subprocess.run(
            ["make", "--no-print-directory", "-n", "-C", str(REPO_ROOT), target, *payloads],
            capture_output=True,
            text=True,
        )
        assert printed.returncode == 0, printed.stderr
        assert "PASTED_" not in printed.stdout, f"make {target}: {printed.stdout}"


def test_every_secret_a_workflow_reads_is_one_docs_ci_tells_users_to_create() -> None:
    """A misspelt secret name is an empty variable at run time: the job fails far away."""
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", (REPO_ROOT / "docs" / "ci.md").read_text()))
    for path in WORKFLOWS:
        used = set(re.findall(r"secrets\.([A-Za-z0-9_]+)", path.read_text()))
        assert used <= documented, f"{path.name}: {sorted(used - documented)} not in docs/ci.md"
