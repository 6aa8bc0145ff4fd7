"""The stand-ins behave like the actions they replace, and every pin of the workflows has one.

The behaviour tests run tiny throwaway workflows (not the product's) under act in a scratch
repository: what one run uploads another downloads by run id, a cache saved on main is
restored by a pull request through a restore-key prefix, and the rules GitHub applies
(a name uploaded once per run, hidden files left out, no save after a failed job, a key
never overwritten) hold.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO_ROOT
from tests.template.workflows.conftest import REMOTE_URL, WORKFLOWS
from tests.template.workflows.engine import ActResult, Engine, runner_env
from tests.template.workflows.standins import (
    ACTIONS,
    STANDINS,
    MissingStandIn,
    local_repository_args,
    workflow_uses,
)

pytestmark = WORKFLOWS

# Throwaway pins: the harness maps whatever SHA a workflow pins, so these need not be real.
UPLOAD = "actions/upload-artifact@" + "1" * 40
DOWNLOAD = "actions/download-artifact@" + "2" * 40
CACHE = "actions/cache@" + "3" * 40
RESTORE = "actions/cache/restore@" + "3" * 40
SAVE = "actions/cache/save@" + "3" * 40
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.com",
    "GIT_COMMITTER_NAME": "Test Author",
    "GIT_COMMITTER_EMAIL": "author@example.com",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
    "PATH": "/usr/bin:/bin",
}


def declared_inputs(action_dir: Path) -> set[str]:
    data = yaml.safe_load((action_dir / "action.yml").read_text())
    return set((data.get("inputs") or {}).keys())


# ---- the product's workflows: every pin mapped, every input implemented --------------------


def test_every_remote_action_of_the_workflows_has_a_stand_in_at_its_exact_pin() -> None:
    uses = [u for u in workflow_uses(REPO_ROOT) if not u.local]
    assert uses, "no remote action found: the reader is broken"
    args = local_repository_args(REPO_ROOT)  # raises MissingStandIn naming what is missing
    mapped = {args[i + 1].partition("=")[0] for i in range(0, len(args), 2)}
    assert mapped == {f"{u.repo}@{u.ref}" for u in uses}
    for use in uses:
        assert use.repo in STANDINS, f"{use.where}: {use.uses}"


def test_every_input_a_workflow_passes_is_one_its_stand_in_implements() -> None:
    """A stand-in refuses inputs it does not implement at run time; this says so up front."""
    missing = []
    for use in workflow_uses(REPO_ROOT):
        if use.local:
            continue
        folder = ACTIONS / STANDINS[use.repo] / use.subpath
        extra = set(use.inputs) - declared_inputs(folder)
        if extra:
            missing.append(f"{use.where}: {use.uses}: {sorted(extra)}")
    assert not missing, "stand-ins lack inputs the workflows use:\n" + "\n".join(missing)


def test_an_action_without_a_stand_in_is_named_with_its_file_and_line(tmp_path: Path) -> None:
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "x.yml").write_text(
        textwrap.dedent(
            f"""\
            on: push
            jobs:
              a:
                runs-on: ubuntu-latest
                steps:
                  - uses: {UPLOAD}
                    with: {{name: a, path: a}}
                  - uses: someone/deploy-action@{"4" * 40}
              b:
                uses: someone/shared/.github/workflows/w.yml@{"5" * 40}
            """
        )
    )
    with pytest.raises(MissingStandIn) as caught:
        local_repository_args(tmp_path)
    message = str(caught.value)
    assert "x.yml:8: someone/deploy-action@" in message
    assert "x.yml:10: someone/shared/.github/workflows/w.yml@" in message
    assert "upload-artifact" not in message


# ---- behaviour under act -----------------------------------------------------------------


def scratch_repo(root: Path, workflows: dict[str, str]) -> Path:
    """A git repository on main with these workflow files and a github remote."""
    repo = root / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    for name, text in workflows.items():
        (repo / ".github" / "workflows" / name).write_text(textwrap.dedent(text))

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=repo, env=GIT_ENV, check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-q", "-m", "workflows")
    git("remote", "add", "github", REMOTE_URL)
    return repo


ARTIFACT_WORKFLOWS = {
    "make.yml": f"""\
        name: make
        on: push
        jobs:
          report:
            runs-on: ubuntu-latest
            steps:
              - run: |
                  mkdir -p report/charts
                  echo "# report" > report.md
                  echo table > report/table.md
                  echo png > report/charts/roc.png
                  echo secret > report/.env
              - uses: {UPLOAD}
                with:
                  name: pr-report
                  path: |
                    report.md
                    report/
                  if-no-files-found: error
                  retention-days: 14
              - id: again
                continue-on-error: true
                uses: {UPLOAD}
                with:
                  name: pr-report
                  path: report.md
              - id: none
                continue-on-error: true
                uses: {UPLOAD}
                with:
                  name: nothing
                  path: no-such-file.md
                  if-no-files-found: error
              - run: echo "again=${{{{ steps.again.outcome }}}} none=${{{{ steps.none.outcome }}}}"
        """,
    "use.yml": f"""\
        name: use
        on: workflow_run
        jobs:
          comment:
            runs-on: ubuntu-latest
            steps:
              - id: here
                continue-on-error: true
                uses: {DOWNLOAD}
                with:
                  name: pr-report
              - uses: {DOWNLOAD}
                with:
                  name: pr-report
                  run-id: ${{{{ github.event.workflow_run.id }}}}
                  github-token: ${{{{ github.token }}}}
                  path: ${{{{ runner.temp }}}}/pr-report
              - run: |
                  echo "here=${{{{ steps.here.outcome }}}}"
                  cd "$RUNNER_TEMP/pr-report"
                  find . -type f | sort
                  test "$(cat report/charts/roc.png)" = png
        """,
}


def run(
    engine: Engine, repo: Path, workflow: str, event: str, run_id: int, **payload: object
) -> ActResult:
    return engine.act(repo, f".github/workflows/{workflow}", event, dict(payload), run_id=run_id)


def test_an_artifact_uploaded_by_one_run_is_downloaded_by_another_by_run_id(
    tmp_path: Path,
) -> None:
    repo = scratch_repo(tmp_path, ARTIFACT_WORKFLOWS)
    engine = Engine(tmp_path / "ci")

    made = run(engine, repo, "make.yml", "push", 71, ref="refs/heads/main").assert_ok()
    stored = engine.artifacts / "71" / "pr-report"
    # Root: the least common ancestor of report.md and report/; hidden files left out.
    assert sorted(p.relative_to(stored).as_posix() for p in stored.rglob("*") if p.is_file()) == [
        "report.md",
        "report/charts/roc.png",
        "report/table.md",
    ]
    job = made.job("report")
    assert "again=failure none=failure" in job.text
    assert "(409) Conflict: an artifact with this name already exists" in job.text
    assert "No files were found with the provided path: no-such-file.md" in job.text
    assert not (engine.artifacts / "71" / "nothing").exists()

    used = run(engine, repo, "use.yml", "workflow_run", 72, workflow_run={"id": 71}).assert_ok()
    text = used.job("comment").text
    # Without github-token the real action looks in the current run (72), whatever run-id says.
    assert "here=failure" in text
    assert "Artifact not found for name: pr-report" in text
    assert "./report.md\n./report/charts/roc.png\n./report/table.md" in text


CACHE_WORKFLOWS = {
    "save.yml": f"""\
        name: save
        on: push
        jobs:
          save:
            runs-on: ubuntu-latest
            steps:
              - run: mkdir -p .dvc/cache && echo "$GITHUB_RUN_ID" > .dvc/cache/blob
              - uses: {SAVE}
                with:
                  path: .dvc/cache
                  key: dvc-cache-${{{{ runner.os }}}}-old
        """,
    "restore.yml": f"""\
        name: restore
        on: pull_request
        jobs:
          restore:
            runs-on: ubuntu-latest
            steps:
              - id: cache
                uses: {RESTORE}
                with:
                  path: .dvc/cache
                  key: dvc-cache-${{{{ runner.os }}}}-new
                  restore-keys: dvc-cache-${{{{ runner.os }}}}-
              - run: |
                  echo "hit=${{{{ steps.cache.outputs.cache-hit }}}}"
                  echo "matched=${{{{ steps.cache.outputs.cache-matched-key }}}}"
                  echo "primary=${{{{ steps.cache.outputs.cache-primary-key }}}}"
                  echo "blob=$(cat .dvc/cache/blob)"
        """,
    "main-cache.yml": f"""\
        name: main-cache
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - id: cache
                uses: {CACHE}
                with:
                  path: .dvc/cache
                  key: dvc-cache-${{{{ runner.os }}}}-${{{{ github.event.lock }}}}
              - run: |
                  echo "hit=${{{{ steps.cache.outputs.cache-hit }}}}"
                  mkdir -p .dvc/cache && echo "$GITHUB_RUN_ID" > .dvc/cache/blob
                  exit ${{{{ github.event.status }}}}
        """,
}


def test_a_cache_saved_on_main_is_restored_by_a_pull_request_through_a_restore_key(
    tmp_path: Path,
) -> None:
    repo = scratch_repo(tmp_path, CACHE_WORKFLOWS)
    engine = Engine(tmp_path / "ci")

    run(engine, repo, "save.yml", "push", 81, ref="refs/heads/main").assert_ok()
    # Saving the same key again is refused and keeps the first cache, as on GitHub.
    again = run(engine, repo, "save.yml", "push", 82, ref="refs/heads/main").assert_ok()
    assert "Unable to reserve cache with key dvc-cache-Linux-old" in again.job().text

    pr = {"number": 5, "pull_request": {"head": {"ref": "feature"}, "base": {"ref": "main"}}}
    restored = run(engine, repo, "restore.yml", "pull_request", 83, **pr).assert_ok()
    text = restored.job().text
    assert "hit=false" in text  # a restore-key match is not a hit
    assert "matched=dvc-cache-Linux-old" in text
    assert "primary=dvc-cache-Linux-new" in text
    assert "blob=81" in text


def test_the_cache_action_saves_after_a_successful_job_only_and_then_hits(tmp_path: Path) -> None:
    repo = scratch_repo(tmp_path, CACHE_WORKFLOWS)
    engine = Engine(tmp_path / "ci")

    failed = run(
        engine, repo, "main-cache.yml", "push", 91, ref="refs/heads/main", lock="a", status=1
    )
    assert failed.returncode != 0 and failed.job().result == "failure"
    assert failed.job().find("actions/cache", stage="Post") is None  # post-if: success()
    assert not any(engine.cache.iterdir())

    passed = run(
        engine, repo, "main-cache.yml", "push", 92, ref="refs/heads/main", lock="a", status=0
    )
    passed.assert_ok()
    assert (
        "Cache saved with key: dvc-cache-Linux-a" in passed.job().step("actions/cache", "Post").text
    )

    hit = run(engine, repo, "main-cache.yml", "push", 93, ref="refs/heads/main", lock="a", status=0)
    hit.assert_ok()
    assert "hit=true" in hit.job().text
    assert "not saving cache" in hit.job().step("actions/cache", "Post").text


def test_setup_python_refuses_a_version_this_machine_does_not_have(tmp_path: Path) -> None:
    major, minor = sys.version_info[:2]
    other = f"{major}.{minor + 1}"
    repo = scratch_repo(
        tmp_path,
        {
            "py.yml": f"""\
                name: py
                on: push
                jobs:
                  py:
                    runs-on: ubuntu-latest
                    steps:
                      - uses: actions/setup-python@{"6" * 40}
                        with:
                          python-version: "{other}"
                      - run: echo "never reached"
                """
        },
    )
    result = run(Engine(tmp_path / "ci"), repo, "py.yml", "push", 1, ref="refs/heads/main")
    assert result.job().result == "failure"
    step = result.job().step("actions/setup-python")
    assert step.result == "failure"
    assert (
        f"Python {other} was requested, but this machine has only Python {major}.{minor}"
        in step.text
    )
    assert result.job().find("echo") is None


def test_setup_uv_installs_exactly_the_pinned_version_when_the_machine_has_another(
    tmp_path: Path,
) -> None:
    found = shutil.which("uv", path=runner_env(tmp_path)["PATH"])  # as the stand-in looks
    machine_uv = found or str(Path.home() / ".local" / "bin" / "uv")
    machine = subprocess.run(
        [machine_uv, "--version"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()[1]
    pinned = "0.13.8" if machine != "0.13.8" else "0.13.9"
    repo = scratch_repo(
        tmp_path,
        {
            "uv.yml": f"""\
                name: uv
                on: push
                jobs:
                  uv:
                    runs-on: ubuntu-latest
                    steps:
                      - id: uv
                        uses: astral-sh/setup-uv@{"7" * 40}
                        with:
                          version: "{pinned}"
                          enable-cache: true
                          cache-dependency-glob: requirements.lock
                      - run: |
                          uv --version
                          echo "output=${{{{ steps.uv.outputs.uv-version }}}}"
                """
        },
    )
    engine = Engine(tmp_path / "ci")
    result = run(engine, repo, "uv.yml", "push", 1, ref="refs/heads/main").assert_ok()
    text = result.job().text
    assert f"uv {pinned} (" in text and f"output={pinned}" in text
    assert (engine.tools / "uv" / pinned / "bin" / "uv").is_file()
    assert "No file matched to [requirements.lock]" in text  # the real action's warning


def test_a_checkout_of_another_ref_fetches_it_from_origin(tmp_path: Path) -> None:
    """act serves the event's own checkout itself; `ref:` reaches the stand-in."""
    checkout = "actions/checkout@" + "8" * 40
    repo = scratch_repo(
        tmp_path,
        {
            "co.yml": f"""\
                name: co
                on: pull_request
                jobs:
                  co:
                    runs-on: ubuntu-latest
                    steps:
                      - uses: {checkout}
                      - run: echo "first=$(git rev-parse --abbrev-ref HEAD)"
                      - uses: {checkout}
                        with:
                          ref: ${{{{ github.head_ref }}}}
                          persist-credentials: false
                      - run: echo "then=$(git rev-parse --abbrev-ref HEAD) $(cat change.txt)"
                """
        },
    )

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=repo, env=GIT_ENV, check=True, capture_output=True)

    git("init", "-q", "--bare", "-b", "main", str(tmp_path / "origin.git"))
    git("remote", "add", "origin", str(tmp_path / "origin.git"))
    git("checkout", "-q", "-b", "feature")
    (repo / "change.txt").write_text("the feature\n")
    git("add", "change.txt")
    git("commit", "-q", "-m", "feature")
    git("push", "-q", "origin", "main", "feature")
    git("checkout", "-q", "main")

    pr = {"number": 3, "pull_request": {"head": {"ref": "feature"}, "base": {"ref": "main"}}}
    result = run(Engine(tmp_path / "ci"), repo, "co.yml", "pull_request", 1, **pr).assert_ok()
    text = result.job().text
    assert "first=main" in text
    assert "then=feature the feature" in text
