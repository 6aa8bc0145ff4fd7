"""The PR report and gate in real git + DVC histories: main, a branch, a change, repro, report."""

from __future__ import annotations

import json
import re
import shutil

import pandas as pd
import pytest

from tests.conftest import Project

pytestmark = pytest.mark.slow

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


def _branch(project: Project) -> None:
    project.git("checkout", "-q", "-b", "pr")


def _report(project: Project, *args: str) -> str:
    project.cli("report", *args)
    return (project.root / "report.md").read_text()


def _section(report: str, title: str) -> str:
    start = report.index(f"## {title}")
    end = report.find("\n## ", start + 1)
    return report[start : end if end > 0 else None]


def _row(report: str, metric: str) -> list[str]:
    line = next(x for x in report.splitlines() if re.match(rf"\| (\*\*)?{metric}\b", x))
    return [c.strip() for c in line.strip("|").split("|")]


def _num(text: str) -> float:
    return float(text.replace(",", "").replace("+", ""))


def test_params_change_report_agrees_with_dvc_metrics_diff_even_without_base_cache(
    trained: Project,
) -> None:
    _branch(trained)
    trained.set_params(**{"model.params.max_iter": 40})
    assert trained.repro() == trained.stages_from("train")
    trained.commit("fewer boosting iterations")
    trained.make("report", "BASE=main")  # also pins the Makefile wiring
    report = (trained.root / "report.md").read_text()

    diff = json.loads(trained.dvc("metrics", "diff", "main", "--json").stdout)
    for name, change in diff["metrics/metrics.json"].items():
        row = _row(report, name)
        assert _num(row[1]) == pytest.approx(change["old"], abs=6e-5), name
        assert _num(row[2]) == pytest.approx(change["new"], abs=6e-5), name
        assert _num(row[3]) == pytest.approx(change["diff"], abs=1.1e-4), name
    assert "| `model.params.max_iter` | 100 | 40 |" in _section(report, "Params diff")
    assert "`seed`" not in _section(report, "Params diff")  # unchanged keys are left out
    significance = _section(report, "Significance of `roc_auc`")
    assert "paired bootstrap" in significance and "113 test rows" in significance
    point = float(re.search(r"Difference PR − BASE: \*\*([-+0-9.]+)\*\*", significance)[1])
    assert point == pytest.approx(diff["metrics/metrics.json"]["roc_auc"]["diff"], abs=1e-4)
    assert "Stages that re-ran: `train`, `evaluate`" in report
    assert "## Data diff" not in report
    base_sha = trained.git("rev-parse", "main").stdout.strip()
    head_sha = trained.git("rev-parse", "HEAD").stdout.strip()
    assert f"BASE commit: `{base_sha}`" in report and f"PR commit: `{head_sha}`" in report
    assert "```mermaid" in report and "xychart-beta" in report
    assert ".png" not in report
    assert {p.name for p in (trained.root / "report").glob("*.png")} >= {"roc.png", "metrics.png"}
    assert "<summary>dvc metrics diff</summary>" in report
    assert "## Not available" not in report

    # Without BASE's outputs in the cache (and no remote), git still gives its metrics.
    for entry in (trained.root / ".dvc" / "cache").iterdir():
        if entry.is_dir():
            shutil.rmtree(entry)
    report = _report(trained, "--base", "main")
    assert "predictions.parquet at BASE is not in the DVC cache or remote" in report
    assert "Not computed: predictions of BASE are missing" in report
    assert "BASE model not available: latency not compared" in report
    assert _row(report, "roc_auc")[1] == f"{diff['metrics/metrics.json']['roc_auc']['old']:.4f}"


def test_unchanged_model_passes_and_a_raised_floor_fails_the_gate(trained: Project) -> None:
    _branch(trained)
    trained.commit("docs only")
    report = _report(trained, "--base", "main")
    assert report.splitlines()[2].startswith("✅ **Gate passed**")
    assert "model unchanged" in report and "Stages that re-ran: none" in report
    assert "**+0.0000**, 95% interval [+0.0000, +0.0000]" in report

    trained.set_params(**{"gate.floor": 0.999})
    trained.commit("demand more")
    gate = trained.cli("gate", "--base", "main", check=False)
    assert gate.returncode == 1
    assert "FAILED: roc_auc 0.9903 is below the floor 0.999" in gate.stdout
    report = _report(trained, "--base", "main")
    assert report.splitlines()[2].startswith("❌ **Gate failed**: roc_auc")
    assert "| `gate.floor` | 0.9 | 0.999 |" in report


def test_first_pr_without_base_metrics_passes_with_a_note(trained: Project) -> None:
    empty = trained.git("commit-tree", EMPTY_TREE, "-m", "empty repository").stdout.strip()
    report = _report(trained, "--base", empty)
    assert "✅ **Gate passed**" in report and "no base metrics: first model" in report
    assert "BASE has no metrics (first model)" in report
    assert _row(report, "roc_auc")[1] == "—"
    gate = trained.cli("gate", "--base", empty)
    assert "PASSED" in gate.stdout


def test_data_only_change_shows_the_data_diff_and_unpaired_intervals(trained: Project) -> None:
    _branch(trained)
    csv = trained.root / "data" / "breast_cancer.csv"
    frame = pd.read_csv(csv)
    frame = frame.iloc[:-40].assign(mean_radius=lambda f: f["mean_radius"] * 1.5)
    frame.to_csv(csv, index=False)
    trained.dvc("add", "data")
    assert trained.repro() == trained.stages_from()
    trained.commit("more aggressive radius measurement")
    report = _report(trained, "--base", "main")

    data = _section(report, "Data diff")
    assert "Files modified: `data/breast_cancer.csv`" in data
    assert "| raw data | 569 | 529 |" in data
    assert "No schema changes." in data
    first_drift = next(x for x in data.splitlines() if x.startswith("| `"))
    assert first_drift.startswith("| `mean_radius` | numeric |")
    significance = _section(report, "Significance of `roc_auc`")
    assert "unpaired bootstrap" in significance and "The test rows differ" in significance
    assert "Stages that re-ran: `prepare`, `train`, `evaluate`" in report
    assert "| `" not in _section(report, "Params diff")  # params did not change


def test_the_same_inputs_restore_the_report_and_an_incomplete_report_is_never_kept(
    trained: Project,
) -> None:
    _branch(trained)
    trained.set_params(**{"model.params.max_iter": 40})
    trained.repro()
    trained.commit("fewer boosting iterations")
    first = _report(trained, "--base", "main")
    charts = {p.name: p.read_bytes() for p in (trained.root / "report").glob("*.png")}
    for png in (trained.root / "report").glob("*.png"):
        png.unlink()

    again = trained.cli("report", "--base", "main")  # a re-run: nothing it reads changed
    assert "Reused: `report` already ran on exactly these inputs" in again.stderr
    reused = (trained.root / "report.md").read_text()
    assert reused.startswith(first.rstrip("\n")) and "nothing was refit" in reused[len(first) :]
    assert {p.name: p.read_bytes() for p in (trained.root / "report").glob("*.png")} == charts

    head = trained.commit("nothing the report reads")  # the report names the PR commit
    named = trained.cli("report", "--base", "main")
    assert "Reused" not in named.stderr
    assert f"PR commit: `{head}`" in (trained.root / "report.md").read_text()

    trained.set_params(**{"gate.floor": 0.999})  # params.yaml is an input: compared afresh
    raised = trained.cli("report", "--base", "main")
    assert "Reused" not in raised.stderr and "gate failed" in raised.stderr

    # BASE's outputs gone from the cache: the report says what is missing and is not kept,
    # so once they are back, the next report is complete.
    shutil.rmtree(trained.root / ".dvc" / "cache" / "files")
    shutil.rmtree(trained.root / ".dvc" / "cache" / "checks")
    for _ in range(2):
        run = trained.cli("report", "--base", "main")
        assert "Reused" not in run.stderr
        assert "## Not available" in (trained.root / "report.md").read_text()
