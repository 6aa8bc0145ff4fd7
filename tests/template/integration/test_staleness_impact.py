"""`make staleness-impact`: every registered version scored on today's test split.

Two real versions: v1.0.0 trained on the sample data and registered 120 days ago, v1.1.0
trained after a quarter of the labels changed (the world moved on) and registered 5 days
ago. Registration tags are GTO's annotated `<model>@vX.Y.Z` tags with a backdated tagger
date; both models stay in the repository's DVC cache, as after `dvc repro` on each commit.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import Project

DATA = "data/breast_cancer.csv"
TARGET = "diagnosis"


def flip_every_fourth_label(project: Project) -> None:
    path = project.root / DATA
    frame = pd.read_csv(path)
    flip = frame.index % 4 == 0
    frame.loc[flip, TARGET] = frame.loc[flip, TARGET].map(
        {"malignant": "benign", "benign": "malignant"}
    )
    frame.to_csv(path, index=False)
    project.dvc("add", "--quiet", "data")


def row_ids(project: Project, split: str) -> set[int]:
    return set(pd.read_parquet(project.root / f"artifacts/prepared/{split}.parquet")["row_id"])


@pytest.fixture(scope="module")
def _two_versions_source(
    tmp_path_factory: pytest.TempPathFactory, _trained_source: Path
) -> tuple[Path, int]:
    """One retrained copy per module: the repository, and how many of today's test rows
    v1.0.0 was trained on."""
    project = Project.copied(_trained_source, tmp_path_factory.mktemp("staleness-seed") / "repo")
    project.tag("model@v1.0.0", days_ago=120)
    old_train = row_ids(project, "train")
    flip_every_fourth_label(project)
    project.repro()
    project.commit("Labels revised: retrain")
    project.tag("model@v1.1.0", days_ago=5)
    return project.root, len(row_ids(project, "test") & old_train)


@pytest.fixture
def two_versions(_two_versions_source: tuple[Path, int], tmp_path: Path) -> tuple[Project, int]:
    source, overlap = _two_versions_source
    return Project.copied(source, tmp_path / "repo"), overlap


def staleness(project: Project, *args: str, make: bool = False) -> tuple[int, str, dict]:
    run = project.make("staleness-impact", *args, check=False) if make else None
    proc = run or project.cli("staleness-impact", *args, check=False)
    out = proc.stdout + proc.stderr
    assert "Traceback" not in out, out
    path = project.root / "staleness.json"
    return proc.returncode, out, json.loads(path.read_text()) if path.is_file() else {}


def test_staleness_impact_scores_each_version_on_todays_split(
    two_versions: tuple[Project, int],
) -> None:
    project, overlap = two_versions
    code, out, result = staleness(project, make=True)
    assert code == 0, out
    rows = {r["version"]: r for r in result["versions"]}
    assert [r["version"] for r in result["versions"]] == ["v1.1.0", "v1.0.0"]  # newest first
    assert result["primary_metric"] == "roc_auc"
    test_rows = len(row_ids(project, "test"))
    assert result["test_rows"] == test_rows

    # The version trained on this commit scores exactly what evaluate wrote.
    new = rows["v1.1.0"]
    primary = project.metrics()["roc_auc"]
    assert new["today"] == pytest.approx(primary, abs=1e-12)
    assert new["at_registration"] == pytest.approx(primary, abs=1e-12)
    assert new["change"] == pytest.approx(0.0, abs=1e-12)
    assert (new["rows_scored"], new["rows_excluded"]) == (test_rows, 0)
    assert 4.9 < new["age_days"] < 5.1

    # The old version: its registration metric from git, today's score on the rows it
    # never trained on, and it is worse on the revised labels.
    old = rows["v1.0.0"]
    committed = json.loads(project.git("show", "HEAD~1:metrics/metrics.json").stdout)
    assert old["at_registration"] == pytest.approx(committed["roc_auc"], abs=1e-12)
    assert old["rows_excluded"] == overlap > 0
    assert old["rows_scored"] == test_rows - overlap
    assert 0.0 < old["today"] < old["at_registration"] - 0.05
    assert old["change"] == pytest.approx(old["today"] - old["at_registration"])
    assert 119.9 < old["age_days"] < 120.1

    slope = 30 * (new["change"] - old["change"]) / (new["age_days"] - old["age_days"])
    assert result["change_per_30_days"] == pytest.approx(slope)
    markdown = (project.root / "staleness.md").read_text()
    assert "| version | stages | registered | age (days) | roc_auc at registration" in markdown
    assert f"roc_auc change per 30 days of age: {slope:+.4f}" in markdown
    # on by default: the latest version (none in prod) is judged, and today equals registration
    assert "worse by -0.0000 since registration, within registry.max_staleness_drop = 0.02" in (
        markdown
    )
    assert project.git("status", "--porcelain").stdout == ""  # both files are ignored

    code, out, result = staleness(project, "LAST=1", make=True)
    assert code == 0 and [r["version"] for r in result["versions"]] == ["v1.1.0"], out
    assert result["change_per_30_days"] is None


def test_the_limit_fails_when_the_prod_model_lost_more_than_allowed(
    two_versions: tuple[Project, int],
) -> None:
    project, _ = two_versions
    project.set_params(**{"registry.max_staleness_drop": 0.01})
    code, out, result = staleness(project)  # no prod: the latest version, unchanged
    assert code == 0, out
    assert result["limit"]["version"] == "v1.1.0" and result["limit"]["passed"]

    project.tag("model#staging#1", days_ago=100, commit="HEAD~1")
    project.tag("model#prod#2", days_ago=90, commit="HEAD~1")
    code, out, result = staleness(project)
    assert code == 1, out
    old = next(r for r in result["versions"] if r["version"] == "v1.0.0")
    assert old["stages"] == ["staging", "prod"]
    drop = old["at_registration"] - old["today"]
    assert result["limit"] == {
        "version": "v1.0.0",
        "stage": "prod",
        "drop": pytest.approx(drop),
        "limit": 0.01,
        "passed": False,
    }
    assert "v1.0.0 (in prod): FAILED: roc_auc worse by" in out
    assert "registry.max_staleness_drop = 0.01" in out and "fix: retrain" in out

    project.set_params(**{"registry.max_staleness_drop": round(drop + 0.01, 4)})
    code, out, _ = staleness(project)
    assert code == 0 and "within registry.max_staleness_drop" in out, out

    project.set_params(**{"registry.max_staleness_drop": -1})
    code, out, _ = staleness(project)
    assert code == 2 and "params.yaml: registry.max_staleness_drop" in out, out
    project.set_params(**{"registry.max_staleness_drop": None})  # report only
    code, out, _ = staleness(project)
    assert (
        code == 0
        and "no limit set (registry.max_staleness_drop)"
        in (project.root / "staleness.md").read_text()
    ), out


def test_a_version_whose_model_is_in_neither_cache_nor_remote_is_a_clear_error(
    trained: Project,
) -> None:
    trained.tag("model@v1.0.0", days_ago=3)
    lock = (trained.root / "dvc.lock").read_text()
    md5 = lock.split("path: artifacts/model/model.skops\n", 1)[1].split("md5: ", 1)[1][:32]
    cached = Path(trained.root, ".dvc/cache/files/md5", md5[:2], md5[2:])
    assert cached.is_file()
    # The shared loader takes a git revision as well as a version.
    load = "from gitops_ml.registry import models; m = models.load('HEAD'); print(m.source.label, m.spec.target, type(m.pipeline).__name__)"
    head = trained.git("rev-parse", "HEAD").stdout.strip()
    shown = trained.python("-c", load).stdout
    assert shown.strip() == f"commit {head[:12]} diagnosis Pipeline"
    cached.unlink()
    proc = trained.cli("staleness-impact", check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert "artifacts/model/model.skops: at model v1.0.0: neither in the DVC cache" in (proc.stderr)
    assert "dvc push artifacts/model/model.skops" in proc.stderr
