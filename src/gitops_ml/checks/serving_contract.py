"""The data contract on rows being served: what training refused, serving refuses too.

`serve.check_input` answers "can these rows be scored at all" (columns present, numbers
where numbers are expected). This module answers "are they rows the model was trained for",
row by row, with the rules prepare enforced on the training data and what prepare recorded
about it (`FeatureSpec.ranges`, `FeatureSpec.complete`):

- an infinite number (training refuses them while `contract.max_infinite_fraction` is 0);
- a number outside the training range by more than `serving.range_margin` times its width;
- a missing value in a column that had none in training, or a column whose share of missing
  values in the batch is above `contract.max_missing_fraction`;
- the schema file's per-column rules (`contract.schema_file`: min/max, categories, nullable);
- a category the model never saw.

`serving.on_violation` decides what happens: `refuse` (the default) fails with every rule
broken, its rows and the fix; `flag` scores every row and says in a `contract_violations`
column what each row broke, so a batch job can keep the good rows and route the rest.
Unseen categories follow `serving.unseen_category` when it is set: `refuse`, `flag`, or
`unknown`, which scores the row as the model's encoder treats a category it never saw (no
one-hot column set; a missing value for HistGradientBoosting's native categories), so
one new shop name does not stop a nightly batch of a million rows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from gitops_ml.checks.contract import load_schema_file
from gitops_ml.core.data import MISSING_CATEGORY, FeatureSpec
from gitops_ml.core.errors import UserError, raise_all
from gitops_ml.core.params import Params

if TYPE_CHECKING:
    from numpy.typing import NDArray

COLUMN = "contract_violations"
SHOWN = 5  # rows and values named per broken rule


class Violations:
    """Which rows broke which rule of which column, with the fix for each rule."""

    def __init__(self, rows: int) -> None:
        self.rows = rows
        self.hits: dict[tuple[str, str], NDArray[Any]] = {}
        self.fixes: dict[tuple[str, str], str] = {}

    def add(self, column: str, rule: str, mask: NDArray[Any], fix: str) -> None:
        if mask.any():
            key = (column, rule)
            self.hits[key] = self.hits.get(key, np.zeros(self.rows, dtype=bool)) | mask
            self.fixes[key] = fix

    @property
    def any(self) -> bool:
        return bool(self.hits)

    def count(self) -> int:
        """Rows that broke at least one rule."""
        if not self.hits:
            return 0
        # numpy 2.5+ (Python 3.12+) writes its stubs in 3.12 syntax, which mypy checking for
        # 3.10 misreads and so loses this overload; numpy 2.2 and 2.4 need no ignore here
        return int(np.logical_or.reduce(list(self.hits.values())).sum())  # type: ignore[call-overload, unused-ignore]

    def errors(self, frame: pd.DataFrame, file: str) -> list[UserError]:
        out = []
        for (column, rule), mask in self.hits.items():
            rows = [int(i) for i in np.flatnonzero(mask)[:SHOWN]]
            values = list(dict.fromkeys(str(v) for v in frame[column].to_numpy()[mask]))[:SHOWN]
            problem = (
                f"{rule}: {int(mask.sum())} of {self.rows} rows; rows (0-based): {rows}; "
                f"values: {values}"
            )
            out.append(UserError(file, column, problem, self.fixes[(column, rule)]))
        return out

    def extend(self, other: Violations) -> None:
        for (column, rule), mask in other.hits.items():
            self.add(column, rule, mask, other.fixes[(column, rule)])

    def per_column(self) -> dict[str, int]:
        """Rows that broke a rule, per column."""
        counts: dict[str, int] = {}
        for (column, _), mask in self.hits.items():
            counts[column] = counts.get(column, 0) + int(mask.sum())
        return counts

    def per_row(self) -> list[str]:
        """For each row, '; '-joined `column: rule` it broke ('' when none)."""
        found: dict[int, list[str]] = defaultdict(list)
        for (column, rule), mask in self.hits.items():
            for row in np.flatnonzero(mask):
                found[int(row)].append(f"{column}: {rule}")
        return ["; ".join(found.get(row, [])) for row in range(self.rows)]


def never_seen(values: pd.Series, known: set[str]) -> NDArray[Any]:
    """Rows whose category is not among `known` (compared as text; missing is not unseen)."""
    unseen: NDArray[Any] = values.notna().to_numpy() & ~values.astype(str).isin(known).to_numpy()
    return unseen


def _numbers(series: pd.Series) -> NDArray[Any]:
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _training_rules(frame: pd.DataFrame, spec: FeatureSpec, p: Params, found: Violations) -> None:
    margin = p.serving.range_margin
    for column in spec.numeric:
        values = _numbers(frame[column])
        if p.contract.max_infinite_fraction == 0:
            found.add(
                column,
                "infinite value (training refuses infinities)",
                np.isinf(values),
                "replace inf with a number or leave the value empty",
            )
        bounds = spec.ranges.get(column)
        if margin is not None and bounds:
            low, high = bounds
            slack = margin * (high - low)
            with np.errstate(invalid="ignore"):
                outside = np.isfinite(values) & ((values < low - slack) | (values > high + slack))
            found.add(
                column,
                f"outside the training range [{low:.6g}, {high:.6g}] by more than "
                f"serving.range_margin {margin} of its width",
                outside,
                "check the value's unit and source; retrain with such rows if they are real, "
                "or raise serving.range_margin (null turns the rule off)",
            )
    limit = p.contract.max_missing_fraction
    for column in spec.columns:
        missing = frame[column].isna().to_numpy()
        if column in spec.complete:
            found.add(
                column,
                "missing, and the column had no missing value in training",
                missing,
                "fill the value upstream; or retrain on data where it can be missing",
            )
        elif len(frame) and missing.mean() > limit:
            found.add(
                column,
                f"missing in more than contract.max_missing_fraction {limit} of the batch",
                missing,
                "fix the upstream feed, or raise contract.max_missing_fraction",
            )


def _schema_file_rules(
    frame: pd.DataFrame, spec: FeatureSpec, p: Params, found: Violations
) -> None:
    schema = load_schema_file(p)
    name = p.contract.schema_file
    if schema is None or name is None:
        return
    fix = f"fix the value upstream, or widen the rule in {name} after review"
    for column, rule in schema.columns.items():
        if column not in frame.columns or column == spec.target:
            continue
        series = frame[column]
        if not rule.nullable:
            found.add(column, f"missing (not nullable in {name})", series.isna().to_numpy(), fix)
        if rule.min is not None or rule.max is not None:
            values = _numbers(series)
            low = -np.inf if rule.min is None else rule.min
            high = np.inf if rule.max is None else rule.max
            with np.errstate(invalid="ignore"):
                outside = (values < low) | (values > high)
            found.add(column, f"outside [{low}, {high}] ({name})", outside, fix)
        if rule.categories is not None:
            allowed = {str(v) for v in rule.categories}
            unlisted = series.notna().to_numpy() & ~series.astype(str).isin(allowed).to_numpy()
            found.add(column, f"a category not listed in {name}", unlisted, fix)


def unseen_categories(frame: pd.DataFrame, categories: dict[str, set[str]]) -> Violations:
    """Rows whose category in a column is one the model never learned (`categories`)."""
    found = Violations(len(frame))
    for column, known in categories.items():
        unseen = never_seen(frame[column], known)
        shown = sorted(known - {MISSING_CATEGORY})[:10]
        found.add(
            column,
            "a category never seen in training",
            unseen,
            f"use one of {shown}, or retrain with data that has it; serving.unseen_category: "
            "flag or unknown scores such rows",
        )
    return found


def violations(
    frame: pd.DataFrame, spec: FeatureSpec, p: Params, categories: dict[str, set[str]]
) -> Violations:
    """Every rule every row of `frame` breaks; `categories` are those the model learned."""
    found = Violations(len(frame))
    _training_rules(frame, spec, p, found)
    _schema_file_rules(frame, spec, p, found)
    found.extend(unseen_categories(frame, categories))
    return found


@dataclass(frozen=True)
class Outcome:
    """What `enforce` let through: each row's flags (None: no column to add) and the rows
    with unseen categories, whatever the policy did with them."""

    flags: list[str] | None
    unseen: Violations

    def summary(self) -> str:
        """`2 with unseen categories (city: 2)`, or '' when there were none."""
        if not self.unseen.any:
            return ""
        columns = ", ".join(f"{c}: {n}" for c, n in self.unseen.per_column().items())
        return f"{self.unseen.count()} with unseen categories ({columns})"


def enforce(
    frame: pd.DataFrame, spec: FeatureSpec, p: Params, categories: dict[str, set[str]], file: str
) -> Outcome:
    """Apply `serving.on_violation` to the contract's rules and `serving.unseen_category` to
    unseen categories: raise what is refused (all of it at once), flag what is flagged."""
    contract = Violations(len(frame))
    _training_rules(frame, spec, p, contract)
    _schema_file_rules(frame, spec, p, contract)
    unseen = unseen_categories(frame, categories)
    policy = p.serving.unseen_policy
    refused, flagged = Violations(len(frame)), Violations(len(frame))
    (refused if p.serving.on_violation == "refuse" else flagged).extend(contract)
    if policy != "unknown":
        (refused if policy == "refuse" else flagged).extend(unseen)
    raise_all(refused.errors(frame, file))
    return Outcome(flagged.per_row() if flagged.any else None, unseen)
