"""The repository is a copier template: `copier copy` starts a project, `copier update` brings it
a later template version, and the default answers render the repository itself.

Real copier (the CLI a team runs), real git repositories in temporary folders, no network:
the template is a fresh repository of this one's tracked files, tagged like a release.
"""

from __future__ import annotations

import difflib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import yaml

from gitops_ml.core import hook
from tests.conftest import (
    FIXTURE_DATA,
    REPO_ROOT,
    VENV_BIN,
    Project,
    base_env,
    copy_tracked,
    tracked_files,
)

# The machinery module template v2.0.0 changes: any module of src/gitops_ml/ that exists.
MACHINERY_FILE = "src/gitops_ml/evaluation/gate.py"
WORKFLOW_FILE = ".github/workflows/ci.yml"
COPIER = str(VENV_BIN / "copier")
ANSWERS = ".copier-answers.yml"
# In the template only: copier reads them, a project never sees them (the link renders the
# team's package under the name chosen at copy time).
TEMPLATE_ONLY = ("copier.yml", "tests/template/integration/test_copier.py", "src/{{ package }}")

if not (REPO_ROOT / "copier.yml").is_file():  # a project made from the template
    pytest.skip("no copier.yml: this is a project, not the template", allow_module_level=True)

OWN_DATA = {
    "project_name": "churn-model",
    "package": "churn_model",
    "use_sample": "false",
    "data_path": "data/churn.parquet",
    "target": "churned",
    "task": "binary",
    "positive_class": "yes",
    "primary_metric": "average_precision",
    "dvc_remote_url": "s3://acme-ml/churn",
    "model_reviewers": "@acme/data-science @alice",
}

# The team's package as the sample project names it: renamed at copy time, and still merged.
PACKAGE = "churn_model"
TEAM_FILE = "src/ml_project/pipeline.py"  # in the template; src/<package>/ in a project
# Template v2.0.0: a machinery change, a params key with its default, a workflow change, and
# a change to the team's package (it lands under the name the project chose).
V2_FUNCTION = (
    '\n\ndef template_v2() -> str:\n    """Added by template v2.0.0."""\n    return "v2"\n'
)
V2_PARAMS_ANCHOR = "  first_version: "
V2_PARAMS_LINE = "  remote: origin                # the git remote `make register` pushes tags to"
V2_WORKFLOW_LINE = "# template v2.0.0: reads ${{ github.event_name }} as GitHub does, unrendered"
V2_TEAM_LINE = "# template v2.0.0: a new hint for the pipeline builder"


def copier(where: Project, *args: str) -> subprocess.CompletedProcess[str]:
    """The copier CLI as a user runs it, with the test's git identity and no global config."""
    return where.run(COPIER, *args)


def copier_copy(template: Path, dest: Path, *args: str) -> Project:
    project = Project(dest, base_env(dest))
    copier(
        Project(template, base_env(template)), "copy", "--defaults", *args, str(template), str(dest)
    )
    return project


def data_flags(answers: dict[str, str]) -> list[str]:
    return [f"--data={key}={value}" for key, value in answers.items()]


def start_repository(project: Project) -> None:
    """What the team does right after `copier copy`: a repository with one commit."""
    project.git("init", "-q", "-b", "main")
    project.commit("Start from the template")


def insert_after(path: Path, prefix: str, line: str) -> None:
    """Insert `line` after the one line of `path` that starts with `prefix`."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    found = [i for i, text in enumerate(lines) if text.startswith(prefix)]
    assert len(found) == 1, f"{path}: one line must start with {prefix!r}, found {len(found)}"
    lines.insert(found[0] + 1, f"{line}\n")
    path.write_text("".join(lines), encoding="utf-8")


def append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)


def unmerged(project: Project) -> list[str]:
    return project.git("diff", "--name-only", "--diff-filter=U").stdout.split()


def rejects(project: Project) -> list[Path]:
    return [p for p in project.root.rglob("*.rej") if ".git" not in p.parts]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """The template as a git repository: v1.0.0 is this repository, v2.0.0 a later release."""
    root = tmp_path_factory.mktemp("template") / "gitops-ml"
    copy_tracked(root)
    repo = Project(root, base_env(root))
    repo.git("init", "-q", "-b", "main")
    repo.commit("Template v1")
    repo.git("tag", "v1.0.0")

    append(root / MACHINERY_FILE, V2_FUNCTION)
    for name in ("params.yaml", "params.yaml.jinja"):  # the real file and its twin together
        insert_after(root / name, V2_PARAMS_ANCHOR, V2_PARAMS_LINE)
    append(root / WORKFLOW_FILE, V2_WORKFLOW_LINE + "\n")
    append(root / TEAM_FILE, V2_TEAM_LINE + "\n")
    repo.commit("Template v2")
    repo.git("tag", "v2.0.0")
    return repo


@pytest.fixture(scope="module")
def _sample_project_v1(template: Project, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One project from v1.0.0 on the sample, its package named at copy time, committed."""
    project = copier_copy(
        template.root,
        tmp_path_factory.mktemp("sample") / "project",
        "--vcs-ref=v1.0.0",
        f"--data=package={PACKAGE}",
    )
    start_repository(project)
    return project.root


@pytest.fixture
def sample_project(_sample_project_v1: Path, tmp_path: Path) -> Iterator[Project]:
    """A copy of the v1.0.0 sample project that a test may change."""
    yield Project.copied(_sample_project_v1, tmp_path / "project")


def assert_package_renamed(project: Project, package: str) -> None:
    """The team's package is `src/<package>/`, and every file that runs or documents it
    (dvc.yaml, pyproject.toml, docs, the team's tests) says so. The machinery may name the
    default (the hook's fallback, its tests' examples); CHANGELOG.md is history."""
    root = project.root
    assert (root / "src" / package / "pipeline.py").is_file()
    assert not (root / "src" / "ml_project").exists()
    assert not [p for p in (root / "src").iterdir() if p.is_symlink()]
    assert hook.declared(root / "pyproject.toml") == f"{package}.pipeline:build_pipeline"
    stages = yaml.safe_load((root / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    assert stages["train"]["cmd"] == f"python -m {package}.stages.train"
    naming_old = [
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and ".git" not in p.parts and "ml_project" in p.read_text(errors="ignore")
    ]
    machinery = ("CHANGELOG.md", "src/gitops_ml/", "tests/template/", "tests/conftest.py")
    assert [rel for rel in naming_old if not rel.startswith(machinery)] == []


def team_changes_params(project: Project) -> None:
    """A reviewed params change, written as a person edits the file (comments kept)."""
    params = project.params_path
    text = params.read_text(encoding="utf-8")
    assert text.count("    max_iter: 100\n") == 1
    params.write_text(text.replace("    max_iter: 100\n", "    max_iter: 120\n"), encoding="utf-8")


# -- d. the twins ------------------------------------------------------------------------------


def test_default_answers_render_the_repository_itself_byte_for_byte(tmp_path: Path) -> None:
    source, out = tmp_path / "template", tmp_path / "project"
    copy_tracked(source)  # a plain folder: copier renders it as it stands, uncommitted edits too
    copier_copy(source, out, "--quiet")

    expected = {
        rel for rel in tracked_files() if rel not in TEMPLATE_ONLY and not rel.endswith(".jinja")
    }
    rendered = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}
    assert rendered - {ANSWERS} == expected, (
        "copier.yml's _exclude drops or adds files: "
        f"missing {sorted(expected - rendered)}, unexpected {sorted(rendered - expected - {ANSWERS})}"
    )
    for rel in sorted(expected):
        got, want = (out / rel).read_bytes(), (REPO_ROOT / rel).read_bytes()
        if got == want:
            continue
        diff = "".join(
            difflib.unified_diff(
                want.decode(errors="replace").splitlines(keepends=True),
                got.decode(errors="replace").splitlines(keepends=True),
                f"{rel} (committed)",
                f"{rel} (rendered with the default answers)",
            )
        )
        twin = f"{rel}.jinja"
        fix = (
            f"edit {twin} to match {rel} (the two must change together)"
            if (REPO_ROOT / twin).is_file()
            else f"{rel} has no .jinja twin and must be copied untouched: check _templates_suffix "
            "and _exclude in copier.yml"
        )
        if (REPO_ROOT / twin).is_file() and f'include "{rel}"' in (REPO_ROOT / twin).read_text():
            fix = f"{twin} includes {rel}: keep Jinja delimiters ({{{{ {{% {{#) out of {rel}"
        pytest.fail(
            f"{rel}: the default answers no longer give the committed file; {fix}. (In a project "
            "made with 'Use this template', remove what serves only the template instead: "
            f"git rm copier.yml '*.jinja' {' '.join(repr(p) for p in TEMPLATE_ONLY[1:])})\n{diff}"
        )

    answers = yaml.safe_load((out / ANSWERS).read_text(encoding="utf-8"))
    assert answers["use_sample"] is True and answers["project_name"] == "gitops-ml"
    assert (out / "data.dvc").read_bytes() == FIXTURE_DATA.read_bytes(), (
        "the template's tests run on the sample that tests/template/fixtures/data.dvc.fixture "
        "names: copy data.dvc there when the sample changes"
    )
    # params.yaml was compared above with the repository's own, like every twin. It is not
    # compared with tests/template/fixtures/params.yaml: the template's tests run on that
    # fixture of their own, so the team's defaults may change without moving their numbers;
    # the shipped params.yaml is checked by tests/project/.


# -- a. a new project on its own data -----------------------------------------------------------


@pytest.mark.slow
def test_copy_with_own_answers_renders_them_and_the_project_passes_make_check(
    template: Project, tmp_path: Path
) -> None:
    project = copier_copy(
        template.root, tmp_path / "churn", "--vcs-ref=v1.0.0", *data_flags(OWN_DATA)
    )
    root = project.root

    title, *body = (root / "README.md").read_text(encoding="utf-8").split("\n")
    template_title, *template_body = (
        (REPO_ROOT / "README.md").read_text(encoding="utf-8").split("\n")
    )
    assert title == "# churn-model" + template_title[template_title.index(":") :]
    assert body == [line.replace("ml_project", "churn_model") for line in template_body]

    rules = (root / ".github" / "CODEOWNERS").read_text(encoding="utf-8").splitlines()
    owners = {line.split()[0]: line.split()[1:] for line in rules if line.startswith("/")}
    for path in ("/params.yaml", "/data.dvc", "/dvc.yaml", "/dvc.lock", "/metrics/"):
        assert owners[path] == ["@acme/data-science", "@alice"], path
    assert not (root / ".github" / "CODEOWNERS.example").exists()

    assert project.dvc("remote", "default").stdout.strip() == "storage"
    assert project.dvc("remote", "list").stdout.split()[:2] == ["storage", "s3://acme-ml/churn"]

    params = project.read_params()
    assert params["data"]["path"] == "data/churn.parquet"
    assert params["data"]["target"] == "churned"
    assert params["data"]["task"] == "binary"
    assert params["data"]["positive_class"] == "yes"  # a string, not YAML 1.1's true
    assert params["evaluate"]["primary_metric"] == "average_precision"
    # Nothing names the sample's columns: they are not the team's.
    assert params["evaluate"]["slices"] == []
    assert params["model_tests"]["invariance"] == params["model_tests"]["directional"] == []

    answers = yaml.safe_load((root / ANSWERS).read_text(encoding="utf-8"))
    assert answers["_commit"] == "v1.0.0"
    assert answers["_src_path"] == str(template.root)
    assert {key: answers[key] for key in OWN_DATA} == {**OWN_DATA, "use_sample": False}

    # Own data: the sample's lock and metrics stay behind; data.dvc stays for `make data`.
    assert not (root / "dvc.lock").exists()
    assert not (root / "metrics").exists()
    assert (root / "data.dvc").is_file()
    assert not (root / "copier.yml").exists()
    assert not list(root.rglob("*.jinja"))
    assert_package_renamed(project, "churn_model")

    start_repository(project)
    assert "params.yaml: ok (binary" in project.make("check").stdout
    assert project.git("status", "--porcelain").stdout == ""


@pytest.mark.slow
@pytest.mark.parametrize(
    ("task", "estimator", "metric"),
    [
        ("multiclass", "sklearn.linear_model.LogisticRegression", "accuracy"),
        ("regression", "sklearn.linear_model.Ridge", "rmse"),
    ],
)
def test_every_task_gets_params_that_make_check_accepts(
    template: Project, tmp_path: Path, task: str, estimator: str, metric: str
) -> None:
    answers = {"use_sample": "false", "data_path": "data/rows.csv", "target": "y", "task": task}
    only_params = ("--exclude=*", "--exclude=!/params.yaml")  # the one file that differs by task
    out = tmp_path / task
    copier_copy(template.root, out, "--vcs-ref=v1.0.0", *only_params, *data_flags(answers))

    params = yaml.safe_load((out / "params.yaml").read_text(encoding="utf-8"))
    assert params["model"]["estimator"] == estimator
    assert params["evaluate"]["primary_metric"] == metric  # the task's default metric
    assert "positive_class" not in params["data"]  # binary only
    check = Project(out, base_env(template.root))  # the template's code, on these params
    assert f"params.yaml: ok ({task}, {estimator})" in check.cli("check").stdout


# -- b. a template update, merged ---------------------------------------------------------------


@pytest.mark.slow
def test_update_brings_the_new_version_and_keeps_the_teams_params_and_data(
    sample_project: Project,
) -> None:
    project = sample_project
    root = project.root
    # The team's work on v1.0.0: a params value and a new data column.
    team_changes_params(project)
    project.make("data")
    data = root / "data" / "breast_cancer.csv"
    frame = pd.read_csv(data)
    frame["clinic"] = [("north", "south", "east")[i % 3] for i in range(len(frame))]
    frame.to_csv(data, index=False)
    project.dvc("add", "data")
    project.commit("More iterations; the clinic column")
    team_data_dvc = project.file_bytes("data.dvc")

    out = copier(project, "update", "--defaults", "--conflict=inline")

    assert "Updating to template version 2.0.0" in out.stderr
    assert unmerged(project) == [] and rejects(project) == []
    changed = project.git("diff", "--name-only").stdout.split()
    team_file = TEAM_FILE.replace("ml_project", PACKAGE)  # where the project keeps it
    assert sorted(changed) == sorted(
        [ANSWERS, MACHINERY_FILE, "params.yaml", WORKFLOW_FILE, team_file]
    )
    assert not any("<<<<<<<" in (root / rel).read_text(encoding="utf-8") for rel in changed)

    params_text = project.params_path.read_text(encoding="utf-8")
    assert "    max_iter: 120\n" in params_text  # the team's value
    assert f"{V2_PARAMS_LINE}\n" in params_text  # the template's new key, comment and all
    assert project.read_params()["registry"]["remote"] == "origin"
    assert project.file_bytes("data.dvc") == team_data_dvc
    assert (root / MACHINERY_FILE).read_text(encoding="utf-8").endswith(V2_FUNCTION)
    assert (root / WORKFLOW_FILE).read_text(encoding="utf-8").endswith(V2_WORKFLOW_LINE + "\n")
    assert (root / team_file).read_text(encoding="utf-8").endswith(V2_TEAM_LINE + "\n")
    assert_package_renamed(project, PACKAGE)
    assert yaml.safe_load((root / ANSWERS).read_text(encoding="utf-8"))["_commit"] == "v2.0.0"

    project.make("check")
    project.make("repro")
    lock = yaml.safe_load((root / "dvc.lock").read_text(encoding="utf-8"))
    assert lock["stages"]["train"]["params"]["params.yaml"]["model"]["params"]["max_iter"] == 120
    assert "clinic" in (root / "artifacts" / "prepared" / "features.json").read_text()
    # The team's own tests after the update: its pipeline's, and its model's (tests/project;
    # the slow one would train again, so its model tests run on the model just trained).
    tests = project.run(
        str(VENV_BIN / "python"),
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-n",
        "0",
        "-m",
        "not slow",
        "tests/project",
        check=False,
    )
    assert tests.returncode == 0 and " passed" in tests.stdout, tests.stdout[-2000:]
    assert " 0 failed" in project.make("test-model").stdout


# -- c. a template update that meets the team's edit ---------------------------------------------


@pytest.mark.slow
def test_update_over_an_edited_machinery_line_leaves_a_visible_conflict_and_loses_nothing(
    sample_project: Project,
) -> None:
    project = sample_project
    machinery = project.root / MACHINERY_FILE
    team_edit = '\n\ndef team_rule() -> str:\n    """The team\'s own rule, where v2.0.0 adds code."""\n    return "team"\n'
    append(machinery, team_edit)
    team_changes_params(project)
    project.commit("Our own rule in the machinery")

    out = copier(project, "update", "--defaults", "--conflict=inline")

    # copier finishes (exit 0) and leaves the conflict to git, as a merge does.
    assert "Updating to template version 2.0.0" in out.stderr
    assert unmerged(project) == [MACHINERY_FILE]
    assert f"both modified:   {MACHINERY_FILE}" in project.git("status").stdout
    text = machinery.read_text(encoding="utf-8")
    ours = text.index("<<<<<<< before updating")
    theirs = text.index("=======", ours)
    end = text.index(">>>>>>> after updating", theirs)
    assert 'return "team"' in text[ours:theirs]  # the team's edit, kept
    assert 'return "v2"' in text[theirs:end]  # the template's, beside it
    assert rejects(project) == []
    # Everything else merged as in a clean update.
    params_text = project.params_path.read_text(encoding="utf-8")
    assert "    max_iter: 120\n" in params_text and f"{V2_PARAMS_LINE}\n" in params_text
