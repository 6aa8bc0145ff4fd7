"""The quality gate: one set of rules for `make gate`, the PR report and `make register`.

Rules come from `params.yaml` (`gate:`). Each knows the metric's direction, so a drop
in ROC AUC and a rise in RMSE are both regressions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from gitops_ml.core.params import GateParams
from gitops_ml.evaluation.metrics import HIGHER_IS_BETTER

LATENCY = "latency_ms_per_1000_rows"
SIZE = "model_size_bytes"
# `make feature-cost` rows: the full model's latency and what dropping the feature saves
LATENCY_FULL = "latency_full_ms_per_1000_rows"
LATENCY_SAVED = "latency_saved_ms_per_1000_rows"
# metrics/baselines.json: {metric: {"model" | "linear" | ...: value}}
Baselines = Mapping[str, Mapping[str, Any]]
# metrics/slices.json: {column: {slice label: {"rows": n, metric: value, ...}}}
Slices = Mapping[str, Mapping[str, Mapping[str, Any]]]


@dataclass
class GateResult:
    passed: bool = True
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def fail(self, reason: str) -> None:
        self.passed = False
        self.failures.append(reason)

    @property
    def verdict(self) -> str:
        """One line: the verdict and why."""
        if self.passed:
            why = "; ".join(self.notes) if self.notes else "all rules hold"
            return f"PASSED: {why}"
        return f"FAILED: {'; '.join(self.failures)}"


def is_finite_number(value: object) -> TypeGuard[float]:
    """A real number a rule can compare: not None, not a bool, not NaN or infinite."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def better_by(primary: str, value: float, other: float) -> float:
    """How much better `value` is than `other`, in the metric's direction."""
    return value - other if HIGHER_IS_BETTER.get(primary, True) else other - value


def _growth_rule(
    result: GateResult,
    name: str,
    base: Mapping[str, float],
    current: Mapping[str, float],
    limit: float | None,
) -> None:
    if limit is None:
        return
    old, new = base.get(name), current.get(name)
    if not (is_finite_number(old) and is_finite_number(new)) or old <= 0:
        result.notes.append(f"{name} not compared (missing on one side)")
        return
    growth = new / old - 1.0
    if growth > limit:
        result.fail(f"{name} grew {growth:+.1%} (limit +{limit:.0%}): {old:.4g} -> {new:.4g}")


def check(
    primary: str,
    current: dict[str, float],
    base: dict[str, float] | None,
    rules: GateParams,
    reading: str | None = None,
) -> GateResult:
    """Apply the gate to `current` metrics against `base` (None: no base model yet).

    `reading` is the significance test's word on the primary metric's change ("within
    noise", "PR worse", ...; None when not computed): `gate.drop_rule` says whether a drop
    beyond max_drop must also be significant, and the result says which rule decided.
    """
    result = GateResult()
    higher = HIGHER_IS_BETTER.get(primary, True)
    value = current.get(primary)
    if not is_finite_number(value):
        result.fail(f"{primary} is {value!r}, not a finite number")
        return result
    if rules.floor is not None and better_by(primary, value, rules.floor) < 0:
        word = "below the floor" if higher else "above the ceiling"
        result.fail(f"{primary} {value:.4f} is {word} {rules.floor} (params.yaml gate.floor)")
    if not base:
        result.notes.append("no base metrics: first model, nothing to compare against")
        return result
    old = base.get(primary)
    if not is_finite_number(old):
        result.notes.append(f"base has no usable {primary}: comparison skipped")
    else:
        _drop_rule(result, primary, old, value, rules, reading)
    _growth_rule(result, SIZE, base, current, rules.max_size_growth)
    _growth_rule(result, LATENCY, base, current, rules.max_latency_growth)
    return result


def _drop_rule(
    result: GateResult,
    primary: str,
    old: float,
    value: float,
    rules: GateParams,
    reading: str | None,
) -> None:
    """max_drop, read as `gate.drop_rule` says; the verdict names the rule that decided."""
    drop = -better_by(primary, value, old)
    if drop <= rules.max_drop:
        return
    change = f"{primary} got worse by {drop:.4f} (limit gate.max_drop {rules.max_drop}): "
    change += f"{old:.4f} -> {value:.4f}"
    if rules.drop_rule == "significant":
        if reading == "PR worse":
            result.fail(f"{change}, and the significance test calls it PR worse (drop_rule)")
        elif reading is None:
            result.fail(
                f"{change}; significance not computed, so gate.drop_rule significant falls "
                "back to the absolute rule"
            )
        else:
            result.notes.append(
                f"{change}, but the significance test reads it {reading!r}: passed by "
                "gate.drop_rule significant"
            )
        return
    if reading and reading != "PR worse":
        change += (
            f"; the significance test reads it {reading!r}, but gate.drop_rule absolute "
            "fails any drop beyond max_drop (`significant`: only drops told from noise)"
        )
    result.fail(change)


def _lift_rule(
    result: GateResult, primary: str, baselines: Baselines | None, margin: float
) -> None:
    row = (baselines or {}).get(primary) or {}
    model, linear = row.get("model"), row.get("linear")
    if not (is_finite_number(model) and is_finite_number(linear)):
        result.fail(
            f"min_lift_over_linear is set but metrics/baselines.json has no linear {primary}: "
            "run `make repro`"
        )
        return
    lift = better_by(primary, model, linear)
    if lift < margin:
        result.fail(
            f"lift over the linear baseline is {lift:+.4f} in {primary} ({model:.4f} vs "
            f"{linear:.4f}), required at least {margin:+.4f} (params.yaml "
            "gate.min_lift_over_linear)"
        )


def gated_slices(
    primary: str, slices: Slices | None, min_rows: int
) -> tuple[dict[str, dict[str, float]], int]:
    """{column: {slice: value}} of slices with enough rows and a finite metric; count left out."""
    kept: dict[str, dict[str, float]] = {}
    left_out = 0
    for column, per in (slices or {}).items():
        for label, row in per.items():
            value = row.get(primary)
            if row.get("rows", 0) >= min_rows and is_finite_number(value):
                kept.setdefault(column, {})[label] = value
            else:
                left_out += 1
    return kept, left_out


def _slice_rules(
    result: GateResult, primary: str, slices: Slices | None, rules: GateParams
) -> None:
    if rules.min_slice_metric is None and rules.max_slice_gap is None:
        return
    if not slices:
        result.fail(
            "a slice rule is set but metrics/slices.json has no slices: declare "
            "evaluate.slices in params.yaml and run `make repro`"
        )
        return
    kept, left_out = gated_slices(primary, slices, rules.min_slice_rows)
    if left_out:
        result.notes.append(
            f"{left_out} slice(s) with fewer than {rules.min_slice_rows} rows or an undefined "
            f"{primary} not gated"
        )
    higher = HIGHER_IS_BETTER.get(primary, True)
    for column, values in kept.items():
        worst = (
            min(values, key=values.__getitem__) if higher else max(values, key=values.__getitem__)
        )
        best = (
            max(values, key=values.__getitem__) if higher else min(values, key=values.__getitem__)
        )
        bar = rules.min_slice_metric
        if bar is not None and better_by(primary, values[worst], bar) < 0:
            word = "below" if higher else "above"
            result.fail(
                f"slice {column} {worst}: {primary} {values[worst]:.4f} is {word} "
                f"min_slice_metric {bar}"
            )
        gap = abs(values[best] - values[worst])
        if rules.max_slice_gap is not None and gap > rules.max_slice_gap:
            result.fail(
                f"slices of {column} differ by {gap:.4f} in {primary} (limit "
                f"{rules.max_slice_gap}): {best} {values[best]:.4f}, {worst} {values[worst]:.4f}"
            )


def opportunity_gaps(
    slices: Slices | None, sensitive: Sequence[str], min_rows: int
) -> dict[str, tuple[float, str, str] | None]:
    """Per sensitive column: (largest true-positive-rate difference, best group, worst group)
    over groups with at least `min_rows` rows and a defined rate; None when under two."""
    gaps: dict[str, tuple[float, str, str] | None] = {}
    for column in sensitive:
        rates = {
            label: row["tpr"]
            for label, row in (slices or {}).get(column, {}).items()
            if row.get("rows", 0) >= min_rows and is_finite_number(row.get("tpr"))
        }
        if len(rates) < 2:
            gaps[column] = None
            continue
        best, worst = max(rates, key=rates.__getitem__), min(rates, key=rates.__getitem__)
        gaps[column] = (rates[best] - rates[worst], best, worst)
    return gaps


def _opportunity_rule(
    result: GateResult, slices: Slices | None, sensitive: Sequence[str], rules: GateParams
) -> None:
    limit = rules.max_opportunity_gap
    if limit is None:
        return
    for column, gap in opportunity_gaps(slices, sensitive, rules.min_slice_rows).items():
        if column not in (slices or {}):
            result.fail(
                f"max_opportunity_gap is set but metrics/slices.json has no slices of the "
                f"sensitive column {column!r}: run `make repro`"
            )
        elif gap is None:
            result.notes.append(
                f"sensitive column {column}: fewer than two groups with "
                f"{rules.min_slice_rows}+ rows and positives; equal opportunity not gated"
            )
        elif gap[0] > limit:
            result.fail(
                f"true-positive rate differs by {gap[0]:.4f} between groups of the sensitive "
                f"column {column} (limit {limit}): {gap[1]} vs {gap[2]}"
            )


def check_quality(
    result: GateResult,
    primary: str,
    baselines: Baselines | None,
    slices: Slices | None,
    rules: GateParams,
    sensitive: Sequence[str] = (),
) -> None:
    """Absolute rules on the PR alone: lift over the linear baseline, worst slice, slice gap,
    and equal opportunity across the groups of each `sensitive` slice column."""
    if rules.min_lift_over_linear is not None:
        _lift_rule(result, primary, baselines, rules.min_lift_over_linear)
    _slice_rules(result, primary, slices, rules)
    _opportunity_rule(result, slices, sensitive, rules)


def new_feature_rule(
    result: GateResult, added: Sequence[str], weak: Sequence[str], rules: GateParams
) -> None:
    """Features the PR adds whose permutation importance is within noise fail (ML Test
    Score D2): each one costs serving, monitoring and data work and buys nothing measurable."""
    if not rules.new_features_must_help or not added:
        return
    useless = [f for f in added if f in weak and f not in rules.accepted_weak_features]
    if useless:
        result.fail(
            f"new feature(s) {useless} add nothing measurable: permutation importance within "
            "noise (mean - 2 x std <= 0); drop them (data.drop) or accept them by name in "
            "gate.accepted_weak_features"
        )
    elif [f for f in added if f in weak]:
        result.notes.append(
            f"new feature(s) {[f for f in added if f in weak]} are within noise but accepted "
            "(gate.accepted_weak_features)"
        )


def feature_cost_rule(
    result: GateResult,
    primary: str,
    full_size: int,
    rows: Sequence[Mapping[str, Any]],
    weak: Sequence[str],
    rules: GateParams,
) -> None:
    """A feature within noise whose drop would save more than `gate.max_feature_cost` of the
    model file (or `gate.max_feature_latency_cost` of its measurable latency), at a
    primary-metric loss the gate allows (at most `max_drop`), fails (ML Test Score D3): it
    costs every prediction and buys nothing.

    `rows` are `make feature-cost` rows; features not in `weak` (above noise) are reported,
    not gated. Latency counts only when measurable, and only when its own limit is set: a
    timing of a few ms on a shared machine moves by more than any useful limit."""
    size_limit, latency_limit = rules.max_feature_cost, rules.max_feature_latency_cost
    if size_limit is None and latency_limit is None:
        return
    for row in rows:
        feature, change = row["feature"], row.get("metric_change")
        if feature not in weak or not is_finite_number(change) or -change > rules.max_drop:
            continue
        costs = []
        saved = row["size_saved_bytes"]
        if size_limit is not None and full_size > 0 and saved / full_size > size_limit:
            costs.append(
                f"{saved / full_size:.1%} of the model's size ({saved:,} of {full_size:,} "
                f"bytes; gate.max_feature_cost {size_limit:.0%})"
            )
        full_ms, saved_ms = row.get(LATENCY_FULL), row.get(LATENCY_SAVED)
        if (
            latency_limit is not None
            and row.get("latency_measurable")
            and is_finite_number(full_ms)
            and is_finite_number(saved_ms)
            and full_ms > 0
            and saved_ms / full_ms > latency_limit
        ):
            costs.append(
                f"{saved_ms / full_ms:.1%} of its prediction latency ({saved_ms:.3f} of "
                f"{full_ms:.3f} ms per 1,000 rows; gate.max_feature_latency_cost "
                f"{latency_limit:.0%})"
            )
        if not costs:
            continue
        what = (
            f"feature {feature!r} is within noise, and dropping it saves {' and '.join(costs)} "
            f"while {primary} changes by {change:+.4f}"
        )
        if feature in rules.accepted_weak_features:
            result.notes.append(f"{what}: accepted by name (gate.accepted_weak_features)")
        else:
            result.fail(
                f"{what} (gate.max_drop {rules.max_drop}), over the limit in params.yaml: drop "
                "it (data.drop), or keep it by naming it in gate.accepted_weak_features"
            )
