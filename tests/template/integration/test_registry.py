"""The model registry in real git repositories with a bare origin, real DVC outputs, real GTO.

One module-level seed repository holds the trained template on `main` and one branch per
kind of change (model retrained two ways, feature schema changed, stricter gate, docs only),
each with the dvc.lock and metrics a real `dvc repro` wrote. Each test starts from a fresh
bare origin (v1.0.0 already registered, unless the test is about the first registration)
and working clones that have no model file, as in CI.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import yaml

from tests.conftest import MODEL, Project, base_env
from tests.template.support.github_double import GitHubDouble, serve

pytestmark = pytest.mark.slow


BRANCHES = {
    # branch: (base, params updates, commit message, re-run the pipeline)
    "retrain": ("main", {"model.params.max_iter": 150}, "Train longer", True),
    "other": ("main", {"model.params.learning_rate": 0.08}, "Smaller learning rate", True),
    "schema": ("main", {"data.drop": ["symmetry_error"]}, "Drop a feature", True),
    # the retrained model under a floor it cannot reach: the gate must refuse it
    "strict": ("retrain", {"gate.floor": 0.999}, "Raise the gate's floor", False),
    # ...and under a quality rule: it must beat the linear baseline, which it does not
    "lift": ("retrain", {"gate.min_lift_over_linear": 0.0}, "Demand a lift", False),
}


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory, _trained_source: Path) -> Path:
    """The trained template on main plus one branch per change, each with its committed dvc.lock."""
    root = tmp_path_factory.mktemp("registry-seed") / "repo"
    shutil.copytree(_trained_source, root, symlinks=True)
    project = Project(root, base_env(root))
    for branch, (base, updates, message, repro) in BRANCHES.items():
        project.git("checkout", "-q", "-b", branch, base)
        project.set_params(**updates)
        if repro:
            project.dvc("repro")
        project.commit(message)
    project.git("checkout", "-q", "-b", "docs", "main")
    (root / "NOTES.md").write_text("Docs only: the model is untouched.\n")
    project.commit("Docs only")
    project.git("checkout", "-q", "main")
    project.dvc("checkout", "--quiet")
    return root


class Registry:
    """A bare origin copied from `source`, and working clones of it."""

    def __init__(self, source: Path, tmp: Path) -> None:
        self.tmp = tmp
        self.origin = tmp / "origin.git"
        shutil.copytree(source, self.origin, symlinks=True)

    def clone(self, name: str) -> Project:
        root = self.tmp / name
        subprocess.run(["git", "clone", "-q", str(self.origin), str(root)], check=True)
        project = Project(root, base_env(root))
        project.git("fetch", "-q", "origin", "+refs/heads/*:refs/remotes/origin/*")
        return project

    def _for_each_tag(self, field: str, pattern: str = "refs/tags") -> list[str]:
        """One `git for-each-ref` field per tag of the origin matching `pattern`."""
        out = subprocess.run(
            ["git", "for-each-ref", f"--format=%({field})", pattern],
            cwd=self.origin,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return out.split()

    def tag_time(self, tag: str) -> int:
        """The tag's time in the origin, in whole seconds: what GTO orders stage events by."""
        (seconds,) = self._for_each_tag("creatordate:unix", f"refs/tags/{tag}")
        return int(seconds)

    def tags(self) -> list[str]:
        return sorted(self._for_each_tag("refname:strip=2"))


@pytest.fixture(scope="module")
def bare_seed(seed: Path) -> Path:
    bare = seed.parent / "seed.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(seed), str(bare)], check=True)
    return bare


@pytest.fixture(scope="module")
def registered_seed(bare_seed: Path) -> Path:
    """The bare seed after `make register` on main: model@v1.0.0 exists."""
    registry = Registry(bare_seed, bare_seed.parent / "registered")
    register(registry.clone("ci"))
    return registry.origin


@pytest.fixture
def empty(bare_seed: Path, tmp_path: Path) -> Registry:
    """An origin where nothing is registered yet."""
    return Registry(bare_seed, tmp_path)


@pytest.fixture
def stack() -> Iterator[ExitStack]:
    with ExitStack() as exits:
        yield exits


@pytest.fixture
def registry(registered_seed: Path, tmp_path: Path) -> Registry:
    """An origin where v1.0.0 is registered on main."""
    return Registry(registered_seed, tmp_path)


def merge(project: Project, branch: str, message: str | None = None) -> str:
    """Merge a pull request branch into main and push, as GitHub's merge button does."""
    project.git("merge", "-q", "--no-ff", f"origin/{branch}", "-m", message or f"Merge {branch}")
    project.git("push", "-q", "origin", "main")
    return project.git("rev-parse", "HEAD").stdout.strip()


def register(project: Project, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return project.cli("register", *args, check=check)


def tag_facts(project: Project, tag: str) -> dict:
    project.git("fetch", "-q", "--tags", "origin")
    body = project.git("tag", "-l", "--format=%(contents)", tag).stdout
    return yaml.safe_load(body.partition("\n\n")[2])


def lock_md5(project: Project, path: str) -> str:
    lock = yaml.safe_load((project.root / "dvc.lock").read_text())
    return next(
        o["md5"] for s in lock["stages"].values() for o in s.get("outs", []) if o["path"] == path
    )


def test_first_registration_is_v1_0_0_and_its_message_records_hashes_metrics_and_commit(
    empty: Registry,
) -> None:
    registry = empty
    ci = registry.clone("ci")
    assert not (ci.root / "artifacts/model/model.skops").exists()  # register needs git only
    out = register(ci).stdout
    assert f"registered {MODEL}@v1.0.0" in out
    assert registry.tags() == [f"{MODEL}@v1.0.0"]
    assert ci.git("cat-file", "-t", f"{MODEL}@v1.0.0").stdout.strip() == "tag"  # annotated
    facts = tag_facts(ci, f"{MODEL}@v1.0.0")
    head = ci.git("rev-parse", "HEAD").stdout.strip()
    assert facts["commit"] == head
    assert ci.git("rev-list", "-n1", f"{MODEL}@v1.0.0").stdout.strip() == head
    assert facts["model_md5"] == lock_md5(ci, "artifacts/model/model.skops")
    assert facts["data_md5"] == yaml.safe_load((ci.root / "data.dvc").read_text())["outs"][0]["md5"]
    assert facts["metrics"] == json.loads((ci.root / "metrics/metrics.json").read_text())
    assert facts["bump"] == "first" and facts["previous"] is None


def test_registering_twice_tags_once(registry: Registry) -> None:
    ci = registry.clone("ci")
    again = register(ci).stdout
    assert "model unchanged since model@v1.0.0" in again
    assert registry.tags() == [f"{MODEL}@v1.0.0"]


def test_a_merge_that_leaves_the_model_alone_creates_no_tag(registry: Registry) -> None:
    ci = registry.clone("ci")
    merge(ci, "docs")
    assert "nothing to register" in register(ci).stdout
    assert registry.tags() == [f"{MODEL}@v1.0.0"]


def test_a_retrained_model_becomes_the_next_minor_version(registry: Registry) -> None:
    ci = registry.clone("ci")
    head = merge(ci, "retrain")
    out = register(ci).stdout
    assert f"registered {MODEL}@v1.1.0" in out
    facts = tag_facts(ci, f"{MODEL}@v1.1.0")
    assert facts["commit"] == head and facts["bump"] == "minor"
    assert facts["previous"] == f"{MODEL}@v1.0.0"
    assert facts["model_md5"] == lock_md5(ci, "artifacts/model/model.skops")
    assert facts["gate"].startswith("PASSED")


def test_a_feature_schema_change_is_a_major_version(registry: Registry) -> None:
    ci = registry.clone("ci")
    merge(ci, "schema")
    out = register(ci).stdout
    assert f"registered {MODEL}@v2.0.0" in out and "feature schema" in out


def test_a_release_trailer_on_the_merge_commit_sets_the_bump(registry: Registry) -> None:
    ci = registry.clone("ci")
    merge(ci, "retrain", "Merge retrain\n\nRelease: patch")
    assert f"registered {MODEL}@v1.0.1" in register(ci).stdout


def test_the_labels_of_every_pr_merged_since_the_last_version_count(
    registry: Registry, stack: ExitStack
) -> None:
    """A release run that replaces a cancelled pending one registers both merges' model:
    the label of the first merged PR must not be lost."""
    ci = registry.clone("ci")
    github = stack.enter_context(serve(GitHubDouble()))
    first = merge(ci, "docs")  # merged first: its PR asked for a patch release
    second = merge(ci, "retrain")  # merged next, unlabelled; only this push's run goes ahead
    github.add_pull(1, "a" * 40, labels=("release:patch",), merge_sha=first, state="closed")
    github.add_pull(2, "b" * 40, merge_sha=second, state="closed")
    ci.env.update(_actions_env(github, run_id=9))
    out = register(ci).stdout
    assert f"registered {MODEL}@v1.0.1" in out and "PR label release:patch" in out
    assert {r.path.split("/")[-2] for r in github.calls("GET", r"/commits/.+/pulls$")} == {
        first,
        second,
    }


def test_bump_variable_overrides_the_default_but_never_lowers_a_schema_change(
    registry: Registry,
) -> None:
    ci = registry.clone("ci")
    merge(ci, "schema")
    out = ci.make("register", "BUMP=patch").stdout
    assert f"registered {MODEL}@v2.0.0" in out and "overrides patch" in out
    bad = ci.make("register", "BUMP=huge", check=False)
    assert (
        bad.returncode != 0
        and "unknown level 'huge'" in bad.stderr
        and "Traceback" not in bad.stderr
    )


def test_a_gate_failure_creates_no_tag_and_says_why(registry: Registry) -> None:
    ci = registry.clone("ci")
    merge(ci, "strict")
    result = register(ci, check=False)
    assert result.returncode == 1
    assert "not registered: gate FAILED: roc_auc" in result.stdout
    assert "below the floor 0.999" in result.stdout and f"against {MODEL}@v1.0.0" in result.stdout
    assert registry.tags() == [f"{MODEL}@v1.0.0"]


def _install_pre_push_hook(loser: Project, winner: Project) -> None:
    """Make `winner` register and push in the window between the loser's fetch and its push."""
    hook = loser.root / ".git/hooks/pre-push"
    marker = loser.root / ".git/raced"
    hook.write_text(
        "#!/bin/sh\n"
        "unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_PREFIX\n"
        f'[ -e "{marker}" ] && exit 0\n'
        f'touch "{marker}"\n'
        f'cd "{winner.root}" && "{sys.executable}" -m gitops_ml register >/dev/null\n'
    )
    hook.chmod(0o755)


def test_a_registration_that_loses_the_tag_push_race_retries_with_the_next_version(
    registry: Registry,
) -> None:
    a, b = registry.clone("a"), registry.clone("b")
    a.git("merge", "-q", "--no-ff", "origin/retrain", "-m", "Merge retrain")
    b.git("merge", "-q", "--no-ff", "origin/other", "-m", "Merge other")
    _install_pre_push_hook(loser=b, winner=a)
    out = register(b).stdout
    assert f"{MODEL}@v1.1.0: pushed first by a concurrent run; retrying" in out
    assert f"registered {MODEL}@v1.2.0" in out
    assert registry.tags() == [f"{MODEL}@v1.0.0", f"{MODEL}@v1.1.0", f"{MODEL}@v1.2.0"]
    a_head, b_head = (p.git("rev-parse", "HEAD").stdout.strip() for p in (a, b))
    assert tag_facts(b, f"{MODEL}@v1.1.0")["commit"] == a_head
    assert tag_facts(b, f"{MODEL}@v1.2.0")["commit"] == b_head
    assert tag_facts(b, f"{MODEL}@v1.2.0")["previous"] == f"{MODEL}@v1.1.0"


def test_two_registrations_running_at_once_never_share_a_version(registry: Registry) -> None:
    first = registry.clone("first")
    clones = [registry.clone("a"), registry.clone("b")]
    for clone, branch in zip(clones, ("retrain", "other"), strict=True):
        clone.git("merge", "-q", "--no-ff", f"origin/{branch}", "-m", f"Merge {branch}")
    results: list[subprocess.CompletedProcess[str]] = []
    threads = [threading.Thread(target=lambda c=c: results.append(register(c))) for c in clones]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert registry.tags() == [f"{MODEL}@v1.0.0", f"{MODEL}@v1.1.0", f"{MODEL}@v1.2.0"]
    commits = {tag_facts(first, f"{MODEL}@{v}")["commit"] for v in ("v1.1.0", "v1.2.0")}
    assert commits == {c.git("rev-parse", "HEAD").stdout.strip() for c in clones}


def _gto_json(project: Project, *args: str) -> object:
    return json.loads(project.run(str(Path(sys.executable).parent / "gto"), *args, "--json").stdout)


def _actions_env(github: GitHubDouble, run_id: int) -> dict[str, str]:
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_API_URL": github.url,
        "GITHUB_REPOSITORY": github.repo,
        "GITHUB_TOKEN": github.token,
        "GITHUB_RUN_ID": str(run_id),
        "GITHUB_SERVER_URL": "https://github.com",
    }


def test_promotion_follows_the_stage_order_needs_approval_for_prod_and_rolls_back(
    registry: Registry, stack: ExitStack
) -> None:
    ci = registry.clone("ci")
    merge(ci, "retrain")
    register(ci)
    ops = registry.clone("ops")

    local = ops.make("promote", "STAGE=prod", "VERSION=v1.0.0", check=False)
    assert "needs approval" in local.stderr and "Promote model" in local.stderr
    github = stack.enter_context(serve(GitHubDouble()))
    github.protect("prod")
    github.approve(77, "prod", login="lead")
    ops.env.update(_actions_env(github, run_id=77))  # what GitHub's runner sets in the workflow
    unordered = ops.make("promote", "STAGE=prod", "VERSION=v1.0.0", check=False)
    assert "was never in 'staging'" in unordered.stderr
    assert "make promote STAGE=staging VERSION=v1.0.0" in unordered.stderr
    unknown = ops.make("promote", "STAGE=staging", "VERSION=v9.9.9", check=False)
    assert "is not a registered version" in unknown.stderr
    for refused in (local, unordered, unknown):
        assert (
            refused.returncode != 0
            and "error:" in refused.stderr
            and "Traceback" not in refused.stderr
        )
    assert not [t for t in registry.tags() if "#" in t]

    # Back to back, as a script would: GTO orders stage tags by their time in whole seconds.
    steps = [("staging", "v1.0.0"), ("prod", "v1.0.0"), ("staging", "v1.1.0"), ("prod", "v1.1.0")]
    for stage, version in steps:
        ops.make("promote", f"STAGE={stage}", f"VERSION={version}")
    rollback = ops.make("promote", "STAGE=prod", "VERSION=v1.0.0").stdout
    assert "rollback from v1.1.0" in rollback
    stage_tags = [t for t in registry.tags() if "#" in t]
    assert stage_tags == sorted(
        [
            *(f"{MODEL}#staging#1", f"{MODEL}#prod#2", f"{MODEL}#staging#3", f"{MODEL}#prod#4"),
            *(f"{MODEL}#prod#5", f"{MODEL}#prod!#6"),  # rollback: v1.0.0 in, v1.1.0 out
        ]
    )
    again = ops.make("promote", "STAGE=prod", "VERSION=v1.0.0").stdout
    assert "already in prod" in again and [t for t in registry.tags() if "#" in t] == stage_tags
    seconds = [
        registry.tag_time(t) for t in sorted(stage_tags, key=lambda t: int(t.rsplit("#")[-1]))
    ]
    assert seconds == sorted(set(seconds))  # each a second after the one before: no ties

    # GTO itself, in a fresh clone, reads the same registry from the pushed tags.
    fresh = registry.clone("fresh")
    show = _gto_json(fresh, "show")
    assert show[MODEL]["version"] == "v1.1.0"
    assert show[MODEL]["stage"] == {"staging": "v1.1.0", "prod": "v1.0.0"}
    history = _gto_json(fresh, "history", MODEL)
    assert {(e["event"], e["version"]) for e in history} >= {
        ("registration", "v1.0.0"),
        ("registration", "v1.1.0"),
        ("assignment", "v1.0.0"),
        ("unassignment", "v1.1.0"),
    }
    assert any(e["ref"] == f"{MODEL}#prod#5" and e["version"] == "v1.0.0" for e in history)
    message = fresh.git("tag", "-l", "--format=%(contents)", f"{MODEL}#prod#5").stdout
    assert "rollback from v1.1.0" in message and "approved by lead" in message


@pytest.mark.parametrize(
    ("environment", "approved", "said"),
    [
        (None, False, "does not exist"),
        ("unprotected", False, "has no required reviewers, so this run was approved by nobody"),
        ("protected", False, "was not approved by a reviewer"),
    ],
)
def test_prod_is_refused_when_github_shows_no_approval(
    registry: Registry, stack: ExitStack, environment: str | None, approved: bool, said: str
) -> None:
    """GitHub creates a missing environment without protection: the job then runs unapproved."""
    ops = registry.clone("ops")
    github = stack.enter_context(serve(GitHubDouble()))
    if environment == "unprotected":
        github.environments["prod"] = {"name": "prod", "protection_rules": []}
    elif environment == "protected":
        github.protect("prod")
        github.approve(5, "staging")  # an approval elsewhere does not count
    ops.env.update(_actions_env(github, run_id=5))
    ops.make("promote", "STAGE=staging", "VERSION=v1.0.0")  # staging needs no approval
    refused = ops.make("promote", "STAGE=prod", "VERSION=v1.0.0", check=False)
    assert refused.returncode != 0 and said in refused.stderr
    assert "Settings -> Environments -> prod" in refused.stderr or "approve" in refused.stderr
    assert [t for t in registry.tags() if "#prod#" in t] == []


def test_which_model_names_the_version_a_commit_registered_or_carries(registry: Registry) -> None:
    ci = registry.clone("ci")
    first = ci.git("rev-parse", "HEAD").stdout.strip()
    docs = merge(ci, "docs")
    unregistered = ci.git("rev-parse", "origin/retrain").stdout.strip()
    assert f"registered {MODEL}@v1.0.0" in ci.make("which-model", f"REV={first}").stdout
    carried = ci.make("which-model", f"REV={docs}").stdout
    assert "registered no version itself" in carried and f"is {MODEL}@v1.0.0" in carried
    assert "matches no registered version" in ci.make("which-model", f"REV={unregistered}").stdout
    assert ci.cli("which-model", "--rev", first, "--tag").stdout.strip() == f"{MODEL}@v1.0.0"
    assert ci.cli("which-model", "--rev", docs, "--tag").stdout.strip() == ""
    assert "nothing to release" in ci.cli("release").stdout  # HEAD (docs) registered nothing
    bad = ci.make("which-model", "REV=no-such-commit", check=False)
    assert bad.returncode != 0 and "no such commit" in bad.stderr


def test_model_card_describes_the_registered_model_and_is_byte_reproducible(
    trained: Project,
) -> None:
    register(trained)  # no remote: the tag stays local
    card_path = trained.root / "model_card.md"
    trained.make("model-card")
    card = card_path.read_text()
    head = trained.git("rev-parse", "HEAD").stdout.strip()
    assert card.startswith(f"# Model card: {MODEL} v1.0.0\n")
    for section in (
        "Intended use",
        "Data",
        "Features",
        "Parameters",
        "Metrics (test split)",
        "Charts",
        "Lineage",
    ):
        assert f"\n## {section}\n" in card
    assert f"- Commit: `{head}`\n" in card and f"- Registered as: `{MODEL}@v1.0.0`" in card
    assert f"`{lock_md5(trained, 'artifacts/model/model.skops')}`" in card
    data_md5 = yaml.safe_load((trained.root / "data.dvc").read_text())["outs"][0]["md5"]
    assert f"- Data hash (md5): `{data_md5}`" in card
    roc_auc = trained.metrics()["roc_auc"]
    row = next(line for line in card.splitlines() if line.startswith("| roc_auc (primary)"))
    low, high = (float(x) for x in row.split("|")[3].split("–"))
    assert low <= roc_auc <= high and low < high  # a real interval around the committed value
    assert "```mermaid\nxychart-beta" in card and "| actual \\ predicted |" in card
    assert "scikit-learn==" in card and "requirements.lock` sha256" in card
    trained.make("model-card")
    assert card_path.read_text() == card


def test_registration_applies_the_quality_rules_to_the_committed_baselines(
    registry: Registry,
) -> None:
    ci = registry.clone("ci")
    merge(ci, "lift")
    baselines = json.loads((ci.root / "metrics/baselines.json").read_text())["roc_auc"]
    assert baselines["linear"] > baselines["model"]  # the sample's linear model is better
    result = register(ci, check=False)
    assert result.returncode == 1
    assert "not registered: gate FAILED: lift over the linear baseline is" in result.stdout
    assert registry.tags() == [f"{MODEL}@v1.0.0"]
