"""Baselines, slices and importance in a real trained repository: report tables and gate rules."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import Project
from tests.template.integration.test_report import _report, _section

pytestmark = pytest.mark.slow


def test_report_shows_baselines_slices_and_importance_and_the_rules_gate_them(
    trained: Project,
) -> None:
    trained.git("checkout", "-q", "-b", "pr")
    roc_auc = trained.metrics()["roc_auc"]
    report = _report(trained, "--base", "main")
    assert report.splitlines()[2].startswith("✅ **Gate passed**")
    baselines = _section(report, "Baselines (roc_auc on the same test split)")
    assert f"| **this model** | {roc_auc:.4f} | — |" in baselines
    assert "| dummy | 0.5000 |" in baselines and "| linear | " in baselines
    assert "`min_lift_over_linear` is off" in baselines
    slices = _section(report, "Slices (roc_auc per slice of the test split)")
    rows = [x for x in slices.splitlines() if x.startswith("| `mean_radius` |")]
    assert len(rows) == 3 and all(x.endswith("| yes |") for x in rows)
    assert sum(int(x.split("|")[3]) for x in rows) == 113
    importance = _section(report, "Feature importance (permutation, test split)")
    stored = json.loads((trained.root / "metrics/importance.json").read_text())
    assert f"| `{stored[0]['feature']}` |" in importance and len(stored) == 30
    assert re.search(r"- Training: [\d.]+ s, peak memory [\d,]+ MB \(this machine", report)

    linear = json.loads((trained.root / "metrics/baselines.json").read_text())["roc_auc"]
    trained.set_params(**{"gate.min_lift_over_linear": 0.05, "gate.max_slice_gap": 0.001})
    assert trained.repro() == []  # gate rules never re-run the pipeline
    trained.commit("demand a lift over the linear model and even slices")
    gate = trained.cli("gate", "--base", "main", check=False)
    assert gate.returncode == 1
    assert (
        f"lift over the linear baseline is {linear['model'] - linear['linear']:+.4f} in "
        f"roc_auc ({linear['model']:.4f} vs {linear['linear']:.4f}), required at least +0.0500"
    ) in gate.stdout
    assert "slices of mean_radius differ by" in gate.stdout and "(limit 0.001)" in gate.stdout
    report = _report(trained, "--base", "main")
    assert report.splitlines()[2].startswith("❌ **Gate failed**: ")
    assert "lift over the linear baseline is" in report.splitlines()[2]

    # Slices smaller than gate.min_slice_rows are reported but not gated.
    trained.set_params(**{"gate.min_lift_over_linear": None, "gate.min_slice_rows": 100})
    gate = trained.cli("gate", "--base", "main")
    assert "3 slice(s) with fewer than 100 rows or an undefined roc_auc not gated" in gate.stdout


def test_an_unknown_slice_column_stops_evaluate_with_the_allowed_columns(
    trained: Project,
) -> None:
    trained.set_params(**{"evaluate.slices": [{"column": "mean_raduis", "bins": 3}]})
    out = trained.dvc("repro", check=False)
    assert out.returncode != 0
    text = out.stdout + out.stderr
    assert "params.yaml: evaluate.slices[0].column: 'mean_raduis' is not a feature column" in text
    assert "fix: did you mean 'mean_radius'? use one of: mean_radius, mean_texture" in text
    assert not (trained.root / "artifacts/eval/predictions.parquet").exists()
    assert not (trained.root / "metrics/baselines.json").exists()  # nothing written after


def test_a_pr_adding_a_useless_feature_fails_the_gate_until_it_is_accepted(
    trained: Project,
) -> None:
    import pandas as pd

    trained.git("checkout", "-q", "-b", "pr")
    csv = trained.root / "data" / "breast_cancer.csv"
    frame = pd.read_csv(csv)
    # An exact copy of a column: the trees split on the first of two equal columns, so the
    # copy is never used and shuffling it changes nothing (importance 0, within noise).
    frame["area_again"] = frame["worst_area"]
    frame.to_csv(csv, index=False)
    trained.dvc("add", "data")
    trained.repro()
    importance = {
        r["feature"]: r
        for r in json.loads((trained.root / "metrics" / "importance.json").read_text())
    }
    assert importance["area_again"]["importance"] == 0.0
    trained.commit("the area once more")
    gate = trained.cli("gate", "--base", "main", check=False)
    assert gate.returncode == 1
    assert "new feature(s) ['area_again'] add nothing measurable" in gate.stdout

    trained.set_params(**{"gate.accepted_weak_features": ["area_again"]})
    trained.commit("keep it: the next PR uses it")
    gate = trained.cli("gate", "--base", "main", check=False)
    assert "['area_again'] are within noise but accepted" in gate.stdout
    assert "add nothing measurable" not in gate.stdout
