"""Markdown for each part of the report; pure functions of what `compare` gathered."""

from __future__ import annotations

import json
import math
from typing import Any

from gitops_ml.evaluation.metrics import HIGHER_IS_BETTER
from gitops_ml.evaluation.significance import Significance
from gitops_ml.review.base import is_number
from gitops_ml.review.compare import Comparison, changed_params
from gitops_ml.review.datadiff import DataDiff, SplitOverlap

MISSING = "—"
MAX_PARAM_ROWS = 30
MAX_DRIFT_ROWS = 15
MAX_CELL = 80


def fmt(value: Any) -> str:
    """Numbers as a reviewer reads them; NaN and missing values spelled out."""
    if value is ... or value is None:
        return MISSING
    if isinstance(value, bool) or not is_number(value):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if isinstance(value, int) or (abs(value) >= 1000 and float(value).is_integer()):
        return f"{value:,.0f}"
    return f"{value:.4f}" if abs(value) < 1000 else f"{value:,.1f}"


def cell(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    text = text.replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def verdict(cmp: Comparison) -> str:
    mark = "✅" if cmp.result.passed else "❌"
    return f"{mark} **Gate {'passed' if cmp.result.passed else 'failed'}**: {cmp.result.verdict.split(': ', 1)[1]}"


def _mark(name: str, old: Any, new: Any) -> str:
    if old is ... or old is None:
        return "🆕 added"
    if new is ... or new is None:
        return "➖ removed"
    if not (is_number(old) and is_number(new)):
        return "changed" if old != new else "same"
    if math.isnan(old) or math.isnan(new):
        return "⚠️ NaN"
    if abs(new - old) <= 1e-12:
        return "⚪ same"
    higher = HIGHER_IS_BETTER.get(name)
    if higher is None:
        return "▲ up" if new > old else "▼ down"
    better = (new > old) == higher
    return "🟢 better" if better else "🔴 worse"


def _changes(old: Any, new: Any) -> tuple[str, str]:
    if not (is_number(old) and is_number(new)) or old is ... or new is ...:
        return MISSING, MISSING
    delta = new - old
    if math.isnan(delta):
        return "NaN", "NaN"
    relative = f"{delta / abs(old):+.2%}" if old else MISSING
    sign = "+" if delta >= 0 else "-"
    return f"{sign}{fmt(abs(delta))}", relative


def metric_names(cmp: Comparison) -> list[str]:
    base = cmp.base_metrics or {}
    names = list(cmp.pr_metrics) + [n for n in base if n not in cmp.pr_metrics]
    return [cmp.primary] + [n for n in names if n != cmp.primary]


def metrics_table(cmp: Comparison) -> str:
    base = cmp.base_metrics or {}
    lines = [
        "| metric | BASE | PR | change | relative | |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for name in metric_names(cmp):
        old, new = base.get(name, ...), cmp.pr_metrics.get(name, ...)
        if cmp.base_metrics is None:
            old = ...
        delta, relative = _changes(old, new)
        label = f"**{name}** (primary)" if name == cmp.primary else name
        direction = HIGHER_IS_BETTER.get(name)
        arrow = "" if direction is None else (" ↑" if direction else " ↓")
        mark = _mark(name, old, new) if cmp.base_metrics is not None else MISSING
        lines.append(
            f"| {label}{arrow} | {fmt(old)} | {fmt(new)} | {delta} | {relative} | {mark} |"
        )
    lines.append("")
    lines.append("↑ higher is better, ↓ lower is better.")
    return "\n".join(lines)


DROP_RULES = {
    "absolute": "a drop beyond `gate.max_drop` fails whatever this reading says",
    "significant": "a drop beyond `gate.max_drop` fails only when this reads PR worse",
}


def significance_section(
    cmp: Comparison, sig: Significance | None, notes: list[str], drop_rule: str = "absolute"
) -> str:
    lines = ["## Significance of " + f"`{cmp.primary}`", ""]
    if sig is None or sig.interval is None:
        lines.append("Not computed: " + ("; ".join(notes) or "no predictions to compare") + ".")
        return "\n".join(lines)
    iv = sig.interval
    kind = "paired bootstrap" if iv.paired else "unpaired bootstrap, independent resamples"
    rows = (
        f"{iv.n} test rows both models scored"
        if iv.paired
        else f"{sig.rows_base} BASE rows and {sig.rows_pr} PR rows"
    )
    lines += [
        f"- Difference PR − BASE: **{iv.difference:+.4f}**, "
        f"{iv.confidence:.0%} interval [{iv.low:+.4f}, {iv.high:+.4f}] "
        f"({kind}, {iv.resamples} resamples over {rows}).",
        f"- Reading: **{iv.reading}**" + _reading_words(iv.reading),
    ]
    if sig.mcnemar is not None:
        m = sig.mcnemar
        test = "exact binomial" if m.exact else "chi-square, continuity-corrected"
        lines.append(
            f"- McNemar: {m.b} rows only BASE got right, {m.c} only PR got right; "
            f"p = {m.pvalue:.3g} ({test})."
        )
    lines += [f"- {note}" for note in sig.notes]
    lines.append(f"- Gate: `gate.drop_rule: {drop_rule}`: {DROP_RULES[drop_rule]}.")
    return "\n".join(lines)


def _reading_words(reading: str) -> str:
    return {
        "within noise": ": the interval contains 0, so this test set cannot tell the models apart.",
        "PR better": ": the whole interval favours the PR.",
        "PR worse": ": the whole interval favours BASE.",
        "not computable": ": the metric is undefined on these rows.",
    }.get(reading, ".")


def _param_value(old: Any, new: Any) -> tuple[str, str]:
    if isinstance(old, list) and isinstance(new, list):
        added = [x for x in new if x not in old]
        removed = [x for x in old if x not in new]
        if len(json.dumps(new, default=str)) > MAX_CELL and (added or removed):
            summary = f"{len(new)} items; added {cell(added)}, removed {cell(removed)}"
            return f"{len(old)} items", cell(summary)
    show = [MISSING if v is ... else cell(v) for v in (old, new)]
    return show[0], show[1]


def params_section(cmp: Comparison) -> str:
    rows = changed_params(cmp.base_params, cmp.pr_params)
    lines = ["## Params diff", ""]
    if not rows:
        lines.append("No params changed.")
        return "\n".join(lines)
    lines += ["| param | BASE | PR |", "|---|---|---|"]
    for key, old, new in rows[:MAX_PARAM_ROWS]:
        a, b = _param_value(old, new)
        lines.append(f"| `{key}` | {a} | {b} |")
    if len(rows) > MAX_PARAM_ROWS:
        lines.append("")
        lines.append(
            f"… and {len(rows) - MAX_PARAM_ROWS} more changed keys "
            "(all of them in `dvc params diff` below)."
        )
    return "\n".join(lines)


def _pvalue(value: float | None) -> str:
    return MISSING if value is None or math.isnan(value) else f"{value:.3g}"


def data_section(diff: DataDiff) -> str:
    lines = ["## Data diff", ""]
    for label, names in (
        ("added", diff.added),
        ("removed", diff.removed),
        ("modified", diff.modified),
    ):
        if names:
            lines.append(f"- Files {label}: " + ", ".join(f"`{n}`" for n in names))
    if not (diff.added or diff.removed or diff.modified):
        lines.append("- No data files changed (the split or the preparation did).")
    lines += ["", "| rows | BASE | PR |", "|---|---:|---:|"]
    lines += [f"| {name} | {fmt(old)} | {fmt(new)} |" for name, old, new in diff.rows]
    changes = diff.row_changes
    if changes is not None:
        lines += [
            "",
            f"Rows of the data: **{fmt(changes.added)} added or changed**, "
            f"{fmt(changes.removed)} removed or changed, {fmt(changes.unchanged)} unchanged "
            f"(matched by their values in the {changes.columns} columns both files have).",
        ]
    schema = [f"- Column added: `{c}`" for c in diff.columns_added]
    schema += [f"- Column removed: `{c}`" for c in diff.columns_removed]
    schema += [f"- Column retyped: `{c}` {a} → {b}" for c, a, b in diff.retyped]
    lines += ["", "**Schema:**", "", *(schema or ["- No schema changes."])]
    lines += _drift_lines(diff)
    lines += _overlap_lines(diff.overlap)
    if diff.notes:
        lines += ["", *[f"- {note}" for note in diff.notes]]
    return "\n".join(lines)


def _drift_lines(diff: DataDiff) -> list[str]:
    """The added or changed rows against BASE's data, over the PR model's features."""
    if diff.row_changes is not None and diff.row_changes.added == 0:
        return ["", "No rows were added or changed, so there is no drift to show."]
    if not diff.drift:
        return []
    rows = f"the {fmt(diff.row_changes.added)} " if diff.row_changes else "the "
    lines = [
        "",
        f"**Drift of {rows}added or changed rows against BASE's data**, over the PR model's "
        f"{len(diff.drift)} feature columns (top movers first; PSI above 0.2 is a large shift):",
        "",
        "| column | kind | PSI | KS / χ² p-value | missing BASE → PR |",
        "|---|---|---:|---:|---:|",
    ]
    for d in diff.drift[:MAX_DRIFT_ROWS]:
        pvalue = d.ks_pvalue if d.kind == "numeric" else d.chi2_pvalue
        test = "KS" if d.kind == "numeric" else "χ²"
        lines.append(
            f"| `{d.column}` | {d.kind} | {fmt(d.psi)} | {test} {_pvalue(pvalue)} | "
            f"{d.missing_ref:.1%} → {d.missing_cur:.1%} |"
        )
    if len(diff.drift) > MAX_DRIFT_ROWS:
        lines.append(f"\n… and {len(diff.drift) - MAX_DRIFT_ROWS} columns that moved less.")
    return lines


def _overlap_lines(overlap: SplitOverlap | None) -> list[str]:
    """Where BASE's test and train rows went: a leak warning when BASE's train rows are
    now test rows (the random split reshuffles when rows are added)."""
    if overlap is None:
        return []
    lines = [
        "",
        "**Split overlap** (rows matched by their values):",
        "",
        f"- BASE's test rows still in the PR's test split: {fmt(overlap.still_test)} of "
        f"{fmt(overlap.base_test)} (the PR's test split has {fmt(overlap.pr_test)} rows)",
        f"- BASE's test rows the PR trains on: {fmt(overlap.test_to_train)}",
        f"- BASE's train rows in the PR's test split: {fmt(overlap.train_to_test)}",
    ]
    if overlap.train_to_test:
        fix = (
            "Set `split.method: stable` in params.yaml (docs/adapting.md): added rows then "
            "never move existing ones."
            if overlap.pr_method == "random"
            else f"The `{overlap.pr_method}` split moved them: did its key, the seed or the "
            "feature columns change?"
        )
        lines += [
            "",
            f"> ⚠️ **{fmt(overlap.train_to_test)} rows BASE trained on are test rows of the "
            "PR**: BASE's model has seen them, so scoring it on the PR's test split flatters "
            f"it, and the two test scores are measured on different rows. {fix}",
        ]
    return lines


def pipeline_section(cmp: Comparison) -> str:
    base = cmp.base_metrics or {}
    lines = ["## Pipeline", ""]
    reran = ", ".join(f"`{s}`" for s in cmp.reran) if cmp.reran else "none"
    lines.append(f"- Stages that re-ran: {reran}")
    if cmp.model_unchanged:
        lines.append("- Model: unchanged (same model file as BASE)")
    for name, unit in (
        ("model_size_bytes", "bytes"),
        ("latency_ms_per_1000_rows", "ms / 1,000 rows"),
    ):
        old, new = base.get(name, ...), cmp.pr_metrics.get(name, ...)
        _, relative = _changes(old, new)
        lines.append(f"- {name}: {fmt(old)} → {fmt(new)} {unit} ({relative})")
    lines.append(_training_line(cmp.quality.get("train_runtime")))
    lines.append(f"- BASE commit: `{cmp.base.sha}`")
    lines.append(f"- PR commit: `{cmp.pr.sha}`")
    return "\n".join(lines)


def _training_line(runtime: dict[str, Any] | None) -> str:
    """Training time and peak memory of the workspace's model, measured on this machine."""
    if not runtime:
        return "- Training time and peak memory: not recorded (train did not run in this workspace)"
    seconds, peak = runtime.get("train_seconds"), runtime.get("train_peak_rss_mb")
    memory = MISSING if not is_number(peak) else f"{peak:,.0f} MB"
    took = MISSING if not is_number(seconds) else f"{seconds:,.2f} s"
    return (
        f"- Training: {took}, peak memory {memory} (this machine, PR only: BASE is not retrained)"
    )


def sorted_table(markdown: str) -> str:
    """A Markdown table's rows in one order (by their cells), whatever order they came in.

    `dvc metrics diff` lists the metrics files in a different order from one call to the
    next; sorted, the same inputs always give the same report, byte for byte."""
    lines = markdown.strip().splitlines()
    if len(lines) < 3 or not all(line.startswith("|") for line in lines):
        return markdown
    cells = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]
    rows = [line for _, line in sorted(zip(cells, lines[2:], strict=True))]
    return "\n".join([*lines[:2], *rows]) + "\n"


def details(title: str, body: str) -> str:
    return f"<details>\n<summary>{title}</summary>\n\n{body.strip() or '(no output)'}\n\n</details>"
