"""Report sections as pure functions: NaN metrics, added/removed metrics, long params, verdicts."""

from __future__ import annotations

import re
from collections import Counter

from gitops_ml.core.params import GateParams
from gitops_ml.core.stats import ColumnDrift
from gitops_ml.evaluation import gate
from gitops_ml.review import charts, sections
from gitops_ml.review.base import Side
from gitops_ml.review.compare import Comparison, changed_params, flatten, reran_stages
from gitops_ml.review.datadiff import DataDiff

BASE = {"roc_auc": 0.95, "accuracy": 0.90, "log_loss": 0.30, "model_size_bytes": 1000}


def _comparison(
    base: dict | None, pr: dict, base_params: dict | None = None, pr_params: dict | None = None
) -> Comparison:
    result = gate.check("roc_auc", pr, base, GateParams(floor=0.5))
    return Comparison(
        base=Side("a" * 40, "BASE"),
        pr=Side("b" * 40, "PR"),
        primary="roc_auc",
        base_metrics=base,
        pr_metrics=pr,
        base_params=base_params,
        pr_params=pr_params or {},
        reran=[],
        model_unchanged=False,
        result=result,
    )


def _row(table: str, metric: str) -> list[str]:
    pattern = re.compile(rf"^\| (\*\*)?{metric}\b")
    line = next(x for x in table.splitlines() if pattern.match(x))
    return [c.strip() for c in line.strip("|").split("|")]


def test_metrics_table_marks_direction_per_metric():
    pr = {"roc_auc": 0.97, "accuracy": 0.85, "log_loss": 0.20, "model_size_bytes": 1500}
    table = sections.metrics_table(_comparison(BASE, pr))
    assert _row(table, "roc_auc") == [
        "**roc_auc** (primary) ↑",
        "0.9500",
        "0.9700",
        "+0.0200",
        "+2.11%",
        "🟢 better",
    ]
    assert _row(table, "accuracy")[-1] == "🔴 worse"
    assert _row(table, "log_loss")[-1] == "🟢 better"  # lower is better: a drop is good
    assert _row(table, "model_size_bytes")[1:] == ["1,000", "1,500", "+500", "+50.00%", "🔴 worse"]
    assert table.splitlines()[2].startswith("| **roc_auc**")  # primary metric first


def test_metric_added_or_removed_is_named_and_not_compared():
    pr = {"roc_auc": 0.95, "accuracy": 0.90, "log_loss": 0.30, "f1": 0.8}
    table = sections.metrics_table(_comparison(BASE, pr))
    assert _row(table, "f1")[1:] == ["—", "0.8000", "—", "—", "🆕 added"]
    assert _row(table, "model_size_bytes")[1:] == ["1,000", "—", "—", "—", "➖ removed"]


def test_nan_metric_is_shown_as_nan_and_fails_the_gate():
    pr = {"roc_auc": float("nan"), "accuracy": 0.9, "log_loss": float("nan")}
    cmp = _comparison(BASE, pr)
    assert _row(sections.metrics_table(cmp), "log_loss")[1:] == [
        "0.3000",
        "NaN",
        "NaN",
        "NaN",
        "⚠️ NaN",
    ]
    assert sections.verdict(cmp) == "❌ **Gate failed**: roc_auc is nan, not a finite number"


def test_first_pr_has_no_base_column_and_passes_with_a_note():
    cmp = _comparison(None, {"roc_auc": 0.97})
    assert _row(sections.metrics_table(cmp), "roc_auc")[1:] == ["—", "0.9700", "—", "—", "—"]
    assert sections.verdict(cmp) == (
        "✅ **Gate passed**: no base metrics: first model, nothing to compare against"
    )


def test_params_diff_lists_only_changed_keys_and_marks_missing_ones():
    base = {"seed": 1, "model": {"params": {"max_iter": 100, "depth": 3}}}
    pr = {"seed": 1, "model": {"params": {"max_iter": 50}, "estimator": "x.Y"}}
    assert changed_params(base, pr) == [
        ("model.estimator", ..., "x.Y"),
        ("model.params.depth", 3, ...),
        ("model.params.max_iter", 100, 50),
    ]
    text = sections.params_section(_comparison(BASE, BASE, base, pr))
    assert "| `model.params.depth` | 3 | — |" in text and "seed" not in text


def test_long_params_lists_are_summarised_and_capped():
    columns = [f"feature_{i:03d}" for i in range(60)]
    base = {"data": {"features": {"numeric": columns}}, **{f"k{i:02d}": i for i in range(40)}}
    pr = {"data": {"features": {"numeric": [*columns[1:], "new_one"]}}}
    pr |= {f"k{i:02d}": i + 1 for i in range(40)}
    text = sections.params_section(_comparison(BASE, BASE, base, pr))
    row = next(x for x in text.splitlines() if "data.features.numeric" in x)
    assert '60 items | 60 items; added ["new_one"], removed ["feature_000"]' in row
    assert all(len(x) < 300 for x in text.splitlines())
    table_rows = [x for x in text.splitlines() if x.startswith("| `")]
    assert len(table_rows) == sections.MAX_PARAM_ROWS
    assert "… and 11 more changed keys" in text


def test_flatten_keeps_lists_whole_and_empty_sections_visible():
    assert flatten({"a": {"b": [1, 2], "c": {}}, "d": None}) == {
        "a.b": [1, 2],
        "a.c": {},
        "d": None,
    }


def test_reran_stages_are_those_whose_lock_entry_changed():
    base = {"stages": {"prepare": {"outs": [1]}, "train": {"outs": [2]}, "evaluate": {"outs": [3]}}}
    pr = {"stages": {"prepare": {"outs": [1]}, "train": {"outs": [9]}, "evaluate": {"outs": [8]}}}
    assert reran_stages(base, pr) == ["train", "evaluate"]
    assert reran_stages(None, pr) == ["prepare", "train", "evaluate"]
    assert reran_stages(base, base) == []


def test_data_section_lists_files_rows_schema_and_top_movers_first():
    diff = DataDiff(
        modified=["data/x.csv"],
        rows=[("raw data", 100, 120)],
        columns_added=["new"],
        retyped=[("age", "int64", "float64")],
        drift=[
            ColumnDrift("age", "numeric", 0.5, 0.0, 0.1, ks_stat=0.3, ks_pvalue=1e-9),
            ColumnDrift("city", "categorical", 0.01, 0.0, 0.0, chi2_stat=1.0, chi2_pvalue=0.3),
        ],
    )
    text = sections.data_section(diff)
    assert "- Files modified: `data/x.csv`" in text
    assert "| raw data | 100 | 120 |" in text
    assert "- Column added: `new`" in text and "`age` int64 → float64" in text
    drift_rows = [x for x in text.splitlines() if x.startswith("| `")]
    assert drift_rows[0] == "| `age` | numeric | 0.5000 | KS 1e-09 | 0.0% → 10.0% |"
    assert drift_rows[1].startswith("| `city` | categorical | 0.0100 | χ² 0.3 |")


def test_confusion_table_reads_base_to_pr_per_cell():
    base = Counter({("a", "a"): 5, ("a", "b"): 1, ("b", "b"): 4})
    pr = Counter({("a", "a"): 6, ("b", "b"): 3, ("b", "a"): 1})
    table = charts.confusion_table(base, pr)
    assert table.splitlines()[2] == "| `a` | 5 → 6 | 1 → 0 |"
    assert table.splitlines()[3] == "| `b` | 0 → 1 | 4 → 3 |"


def test_mermaid_roc_keeps_base_grey_and_pr_blue_even_without_base():
    curve = charts.Curve("ROC curve", "fpr", "tpr", None, [(0.0, 0.0), (0.1, 0.9), (1.0, 1.0)])
    text = charts.mermaid_curve(curve)
    lines = [x.strip() for x in text.splitlines() if x.strip().startswith("line")]
    assert lines[0] == "line [" + ", ".join(["0.000"] * 21) + "]"
    assert lines[1].startswith("line [0.000, 0.000, 0.900, 0.900")
    assert text.startswith("```mermaid") and "xychart-beta" in text


def test_a_changed_dataset_target_or_task_makes_the_sides_incomparable() -> None:
    from gitops_ml.review.compare import changed_question

    base = {"data": {"path": "data/a.csv", "target": "y", "task": "binary"}}
    assert changed_question(base, base) == ""
    moved = {"data": {"path": "data/b.parquet", "target": "y", "task": "regression"}}
    assert changed_question(base, moved) == "data.path, data.task"
    assert changed_question(None, base) == "data.path, data.target, data.task"


def test_a_dvc_table_reads_the_same_whatever_order_dvc_printed_its_rows_in() -> None:
    head = "| Path | Metric | HEAD | workspace |\n|---|---|---|---|"
    rows = [
        "| metrics/slices.json | a.rows | 37 | 37 |",
        "| metrics/metrics.json | roc_auc | 0.99 | 0.98 |",
        "| metrics/baselines.json | roc_auc.linear | 0.99 | 0.99 |",
        "| metrics/metrics.json | accuracy | 0.97 | 0.93 |",
    ]
    orders = {
        sections.sorted_table("\n".join([head, *shuffled])) for shuffled in (rows, rows[::-1])
    }
    (table,) = orders
    assert table.splitlines()[:2] == head.splitlines()
    assert [line.split("|")[2].strip() for line in table.splitlines()[2:]] == [
        "roc_auc.linear",
        "accuracy",
        "roc_auc",
        "a.rows",
    ]
    assert sections.sorted_table("No changes.\n") == "No changes.\n"
