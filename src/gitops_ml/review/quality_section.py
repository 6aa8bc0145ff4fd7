"""Report sections for quality beyond one number: baselines, slices, feature importance.

Pure functions of the PR's metrics/baselines.json, slices.json and importance.json (read by
`compare`); each section says plainly when its file is missing.
"""

from __future__ import annotations

from typing import Any

from gitops_ml.core import config
from gitops_ml.core.params import GateParams
from gitops_ml.evaluation import gate
from gitops_ml.review.base import finite
from gitops_ml.review.sections import MISSING, cell, fmt

MAX_IMPORTANCE_ROWS = 10
MISSING_FILE = "Not available: {} is missing in the workspace (run `make repro`)."


def baselines_section(primary: str, baselines: dict[str, Any] | None, rules: GateParams) -> str:
    lines = [f"## Baselines ({primary} on the same test split)", ""]
    row = (baselines or {}).get(primary)
    if not isinstance(row, dict):
        return "\n".join([*lines, MISSING_FILE.format(config.BASELINES_FILE)])
    model = row.get("model")
    lines += [f"| model | {primary} | model better by |", "|---|---:|---:|"]
    names = {"model": "**this model**", "linear": "linear", "dummy": "dummy"}
    for key, label in names.items():
        value = row.get(key)
        lift = MISSING
        if key != "model" and finite(model) and finite(value):
            lift = f"{gate.better_by(primary, model, value):+.4f}"
        lines.append(f"| {label} | {fmt(value)} | {lift} |")
    lines += [
        "",
        "Linear: logistic regression (Ridge for regression) with the same imputation, scaling "
        "and encoding; dummy: the majority class (the mean for regression). Both are fitted on "
        "the same train split.",
    ]
    if rules.min_lift_over_linear is None:
        lines.append("Gate rule `min_lift_over_linear` is off.")
    else:
        lines.append(f"Gate: the model must beat linear by {rules.min_lift_over_linear:+.4f}.")
    return "\n".join(lines)


def slices_section(primary: str, slices: dict[str, Any] | None, rules: GateParams) -> str:
    lines = [f"## Slices ({primary} per slice of the test split)", ""]
    if slices is None:
        return "\n".join([*lines, MISSING_FILE.format(config.SLICES_FILE)])
    if not slices:
        return "\n".join([*lines, "No slices declared (`evaluate.slices` in params.yaml)."])
    kept, _ = gate.gated_slices(primary, slices, rules.min_slice_rows)
    lines += [f"| column | slice | rows | {primary} | gated |", "|---|---|---:|---:|---|"]
    for column, per in slices.items():
        for label, row in per.items():
            rows = row.get("rows", 0)
            if label in kept.get(column, {}):
                gated = "yes"
            elif rows < rules.min_slice_rows:
                gated = f"no: fewer than {rules.min_slice_rows} rows"
            else:
                gated = f"no: {primary} undefined"
            lines.append(
                f"| `{cell(column)}` | {cell(label)} | {rows} | {fmt(row.get(primary))} | {gated} |"
            )
    rules_on = [
        f"worst slice at least {rules.min_slice_metric}"
        if rules.min_slice_metric is not None
        else "",
        f"gap within a column at most {rules.max_slice_gap}"
        if rules.max_slice_gap is not None
        else "",
    ]
    active = "; ".join(r for r in rules_on if r)
    lines += [
        "",
        f"Slices with fewer than {rules.min_slice_rows} rows (`gate.min_slice_rows`) are "
        "reported but not gated. "
        + (f"Gate: {active}." if active else "Slice gate rules are off."),
    ]
    return "\n".join(lines)


def inclusion_section(
    slices: dict[str, Any] | None, sensitive: tuple[str, ...], task: str, rules: GateParams
) -> str:
    """Per group of each sensitive attribute: selection, true- and false-positive rates."""
    lines = ["## Inclusion (groups of sensitive attributes)", ""]
    if not sensitive:
        return "\n".join(
            [
                *lines,
                "No sensitive attribute declared: mark a slice `sensitive: true` under "
                "`evaluate.slices` in params.yaml (docs/report.md).",
            ]
        )
    if slices is None:
        return "\n".join([*lines, MISSING_FILE.format(config.SLICES_FILE)])
    if task != "binary":
        names = ", ".join(f"`{c}`" for c in sensitive)
        return "\n".join(
            [*lines, f"{names}: see the slice table; rates per group are for binary tasks."]
        )
    lines += [
        "| attribute | group | rows | selected | true-positive rate | false-positive rate |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for column in sensitive:
        for label, row in (slices.get(column) or {}).items():
            lines.append(
                f"| `{cell(column)}` | {cell(label)} | {row.get('rows', 0)} | "
                f"{fmt(row.get('selection_rate'))} | {fmt(row.get('tpr'))} | "
                f"{fmt(row.get('fpr'))} |"
            )
    lines.append("")
    for column, gap in gate.opportunity_gaps(slices, sensitive, rules.min_slice_rows).items():
        if gap is None:
            lines.append(f"`{column}`: fewer than two groups large enough to compare.")
        else:
            lines.append(
                f"`{column}`: true-positive rates differ by {gap[0]:.4f} ({gap[1]} vs {gap[2]})."
            )
    limit = rules.max_opportunity_gap
    lines.append(
        "Gate rule `max_opportunity_gap` is off."
        if limit is None
        else f"Gate: true-positive rates within a sensitive attribute differ by at most {limit}."
    )
    return "\n".join(lines)


def importance_section(primary: str, rows: list[dict[str, Any]] | None) -> str:
    from gitops_ml.evaluation.quality import within_noise

    lines = ["## Feature importance (permutation, test split)", ""]
    if not isinstance(rows, list):
        return "\n".join([*lines, MISSING_FILE.format(config.IMPORTANCE_FILE)])
    lines += [
        f"| feature | drop in {primary} when shuffled | std |",
        "|---|---:|---:|",
    ]
    for row in rows[:MAX_IMPORTANCE_ROWS]:
        lines.append(
            f"| `{cell(row.get('feature'))}` | {fmt(row.get('importance'))} | "
            f"{fmt(row.get('std'))} |"
        )
    if len(rows) > MAX_IMPORTANCE_ROWS:
        lines.append(f"\n… and {len(rows) - MAX_IMPORTANCE_ROWS} more in {config.IMPORTANCE_FILE}.")
    noise = within_noise(rows)
    lines.append("")
    if noise:
        names = ", ".join(f"`{n}`" for n in noise)
        lines.append(
            f"Within noise (mean − 2 × std ≤ 0), removal would likely not hurt: {names}. "
            "Each is judged alone: correlated features stand in for each other, so remove "
            "one at a time and retrain."
        )
    else:
        lines.append("Every feature's importance is above the noise of shuffling.")
    return "\n".join(lines)
