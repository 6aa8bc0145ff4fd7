"""The quality gate: one set of rules for `make gate`, the PR report and `make register`.

Rules come from `params.yaml` (`gate:`). Each knows the metric's direction, so a drop
in ROC AUC and a rise in RMSE are both regressions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from gitops_ml.metrics import HIGHER_IS_BETTER
from gitops_ml.params import GateParams

LATENCY = "latency_ms_per_1000_rows"
SIZE = "model_size_bytes"


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


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _growth_rule(
    result: GateResult, name: str, base: dict, current: dict, limit: float | None
) -> None:
    if limit is None:
        return
    old, new = base.get(name), current.get(name)
    if not (_is_number(old) and _is_number(new)) or old <= 0:
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
) -> GateResult:
    """Apply the gate to `current` metrics against `base` (None: no base model yet)."""
    result = GateResult()
    higher = HIGHER_IS_BETTER.get(primary, True)
    value = current.get(primary)
    if not _is_number(value):
        result.fail(f"{primary} is {value!r}, not a finite number")
        return result
    if rules.floor is not None:
        ok = value >= rules.floor if higher else value <= rules.floor
        if not ok:
            word = "below the floor" if higher else "above the ceiling"
            result.fail(f"{primary} {value:.4f} is {word} {rules.floor}")
    if not base:
        result.notes.append("no base metrics: first model, nothing to compare against")
        return result
    old = base.get(primary)
    if not _is_number(old):
        result.notes.append(f"base has no usable {primary}: comparison skipped")
    else:
        drop = (old - value) if higher else (value - old)
        if drop > rules.max_drop:
            result.fail(
                f"{primary} got worse by {drop:.4f} (limit {rules.max_drop}): {old:.4f} -> {value:.4f}"
            )
    _growth_rule(result, SIZE, base, current, rules.max_size_growth)
    _growth_rule(result, LATENCY, base, current, rules.max_latency_growth)
    return result
