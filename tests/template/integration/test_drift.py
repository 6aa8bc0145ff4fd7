"""`make drift` on a trained copy: a git revision against itself, a shifted file, bad input."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from tests.conftest import Project

pytestmark = pytest.mark.slow

DATA = "data/breast_cancer.csv"


def test_committed_data_against_itself_shows_no_drift(trained: Project) -> None:
    proc = trained.make("drift", "REFERENCE=HEAD", f"CURRENT={DATA}")
    report = json.loads((trained.root / "drift.json").read_text())
    assert report["drifted"] is False
    assert report["rows_reference"] == report["rows_current"] == 569
    assert len(report["features"]) == 30
    assert all(f["psi"] == 0.0 and not f["drifted"] for f in report["features"])
    assert [p["psi"] for p in report["predictions"]] == [0.0] * len(report["predictions"])
    assert "**No drift**" in (trained.root / "drift.md").read_text()
    assert "none above thresholds" in proc.stdout


def test_shifted_feature_missing_values_and_predictions_are_flagged(trained: Project) -> None:
    frame = pd.read_csv(trained.root / DATA)
    frame["worst_concave_points"] *= 1.8  # the model's strongest feature: predictions move too
    frame.loc[frame.index[:120], "mean_texture"] = np.nan
    frame.drop(columns=["diagnosis"]).to_csv(trained.root / "new.csv", index=False)
    proc = trained.make("drift", f"REFERENCE={DATA}", "CURRENT=new.csv", check=False)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    report = json.loads((trained.root / "drift.json").read_text())
    drifted = {f["name"]: f for f in report["features"] + report["predictions"] if f["drifted"]}
    assert report["features"][0]["name"] == "worst_concave_points"  # top mover first
    assert any("PSI" in r for r in drifted["worst_concave_points"]["reasons"])
    assert any("missing rate" in r for r in drifted["mean_texture"]["reasons"])
    assert "predicted class" in drifted or "proba_malignant" in drifted
    assert set(drifted) < {f["name"] for f in report["features"] + report["predictions"]}
    markdown = (trained.root / "drift.md").read_text()
    assert "**Drift detected**" in markdown and "`worst_concave_points`" in markdown
    assert "drift: DETECTED" in proc.stderr
    assert report["quality"] is None  # no labels in CURRENT: quality is not judged


def test_unknown_reference_is_a_user_error(trained: Project) -> None:
    proc = trained.cli("drift", "--reference", "no-such-rev", check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert (
        "REFERENCE: no-such-rev: not a file, and data/breast_cancer.csv at that revision"
        in proc.stderr
    )
    assert not (trained.root / "drift.json").exists()


def test_by_default_the_monitor_compares_the_prod_models_training_data_and_says_so(
    trained: Project,
) -> None:
    """Comparing HEAD's data with itself can never find drift: the default reference is the
    data of the version in prod, and the report names it."""
    alone = trained.make("drift")  # nothing registered yet: HEAD, and it says so
    report = json.loads((trained.root / "drift.json").read_text())
    assert report["reference"] == "HEAD" and report["same_data"] is True
    markdown = (trained.root / "drift.md").read_text()
    assert "no version of model is registered yet" in markdown
    assert "**Nothing new to compare**" in markdown and "DRIFT_CURRENT" in markdown
    assert "none above thresholds" in alone.stdout

    trained_on = trained.git("rev-parse", "HEAD").stdout.strip()
    trained.release("v1.0.0", (30, 20, 10), event=1)
    frame = pd.read_csv(trained.root / DATA)
    frame["worst_concave_points"] *= 1.8
    frame.to_csv(trained.root / DATA, index=False)
    trained.dvc("add", "data")
    trained.commit("New data arrives", "data.dvc")
    shifted = trained.make("drift", check=False)
    assert shifted.returncode != 0 and "drift: DETECTED" in shifted.stderr
    report = json.loads((trained.root / "drift.json").read_text())
    assert report["reference"] == trained_on and report["same_data"] is False
    assert (
        f"the training data of model@v1.0.0 (in prod, commit {trained_on[:12]})"
        in (trained.root / "drift.md").read_text()
    )


def _new_labelled_rows(project: Project, flip: bool) -> None:
    """60 rows the reference does not hold (a hair of noise on each number), labelled."""
    frame = pd.read_csv(project.root / DATA).sample(60, random_state=3).reset_index(drop=True)
    numbers = frame.columns.drop("diagnosis")
    rng = np.random.default_rng(3)
    frame[numbers] = frame[numbers] * (1 + rng.normal(0, 1e-4, (len(frame), len(numbers))))
    if flip:  # the world changed under the model: what it calls malignant no longer is
        frame["diagnosis"] = frame["diagnosis"].map({"malignant": "benign", "benign": "malignant"})
    frame.to_csv(project.root / "labelled.csv", index=False)


def test_labelled_new_rows_below_the_floor_raise_the_alarm(trained: Project) -> None:
    _new_labelled_rows(trained, flip=True)
    proc = trained.make("drift", "REFERENCE=HEAD", "CURRENT=labelled.csv", check=False)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "roc_auc on new labelled rows (past gate.floor)" in proc.stderr
    quality = json.loads((trained.root / "drift.json").read_text())["quality"]
    assert quality["rows"] == 60 and quality["failed_floor"] is True and quality["value"] < 0.9
    assert quality["model"].startswith("the model of commit ") and quality["bar"] == "floor"
    md = (trained.root / "drift.md").read_text()
    assert "**Quality past the floor**: roc_auc" in md and "## Quality on new labelled rows" in md


def test_labelled_new_rows_the_model_still_gets_right_pass_the_floor(trained: Project) -> None:
    _new_labelled_rows(trained, flip=False)
    trained.make("drift", "REFERENCE=HEAD", "CURRENT=labelled.csv", check=False)
    quality = json.loads((trained.root / "drift.json").read_text())["quality"]
    assert quality["rows"] == 60 and quality["failed_floor"] is False and quality["value"] >= 0.9
    # the reference's own rows are not new: nothing to measure
    trained.make("drift", "REFERENCE=HEAD", f"CURRENT={DATA}")
    quality = json.loads((trained.root / "drift.json").read_text())["quality"]
    assert quality["rows"] == 0 and quality["value"] is None
