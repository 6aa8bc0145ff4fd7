"""Every column of the raw table gets a role, with the reason, before anything trains.

Inference from dtypes alone turns an id, a free-text note or a date into a one-hot
feature with thousands of categories, silently. Here each column is given one role:

- `numeric`, `categorical`: features (listed in params.yaml, or inferred);
- `derived`: a part of a date column that `data.dates` expands (a numeric feature);
- `date`, `id`, `text`: refused by inference, with the params fix, unless listed;
- `constant`: one value only, nothing to learn from: not used;
- `target`, `dropped`: data.target, data.drop (or not listed when data.features.infer
  is false).

`make init` prints the table, `make check` the counts, and prepare stops on a refusal.
Values are looked at through a sample where that is enough (date and text shape), and
through one `nunique` per text column: prepare runs this on every `dvc repro`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Literal

import pandas as pd

from gitops_ml.core.data import (
    FeatureSpec,
    dirty_numbers,
    feature_names,
    listed_kind_problems,
    require_listed,
)
from gitops_ml.core.dates import date_style
from gitops_ml.core.errors import UserError
from gitops_ml.core.params import Params

Role = Literal[
    "numeric", "categorical", "derived", "date", "id", "text", "constant", "target", "dropped"
]
ROLES: tuple[Role, ...] = (
    "numeric",
    "categorical",
    "derived",
    "date",
    "id",
    "text",
    "constant",
    "target",
    "dropped",
)
SAMPLE = 1000  # text values looked at to tell dates and free text from categories
MIN_ID_ROWS = 30  # fewer rows than this: unique values prove nothing
FREE_TEXT_CHARS = 25  # mean length from which spaced, mostly distinct values read as prose


@dataclass(frozen=True)
class Column:
    """One column's role and why, as `make init` prints it."""

    name: str
    role: Role
    reason: str
    used: bool  # reaches the model
    refused: bool = False  # inference stopped on it: prepare fails until params decide

    def line(self, width: int) -> str:
        return f"  {self.name:<{width}}  {self.role:<11}  {self.reason}"


@dataclass
class Resolved:
    """The features that resolved, every column's role, and what inference refused."""

    spec: FeatureSpec
    columns: list[Column] = field(default_factory=list)
    problems: list[UserError] = field(default_factory=list)

    @property
    def hoped(self) -> FeatureSpec:
        """The features as they would be once every refusal is fixed by keeping the column
        (numbers as numeric, the rest as categorical): what model tests and slices may name."""
        refused = [c for c in self.columns if c.refused]
        numeric = [c.name for c in refused if c.role == "numeric"]
        categorical = [c.name for c in refused if c.role != "numeric"]
        spec = self.spec
        return FeatureSpec(spec.numeric + numeric, spec.categorical + categorical, spec.target)

    def counts(self) -> dict[str, int]:
        found = [c.role for c in self.columns]
        return {role: found.count(role) for role in ROLES if role in found}

    def table(self) -> list[str]:
        width = max([len(str(c.name)) for c in self.columns] + [6])
        head = f"  {'column':<{width}}  {'role':<11}  reason"
        return [head, *(c.line(width) for c in self.columns)]

    def summary(self) -> str:
        """`12 numeric, 2 categorical, 1 target; not used: customer_id (id)`."""
        counts = ", ".join(f"{n} {role}" for role, n in self.counts().items())
        unused = [f"{c.name} ({c.role})" for c in self.columns if not c.used and c.role != "target"]
        return counts + (f"; not used: {', '.join(unused)}" if unused else "")


def _refusal(name: str, role: Role, reason: str, file: str) -> UserError:
    if role == "date":
        fix = (
            f"list it under data.dates in params.yaml to use its parts as numbers (e.g. "
            f"data.dates: {{{name}: [year, month, dayofweek]}}), or add it to data.drop"
        )
    else:
        fix = (
            f"add it to data.drop in params.yaml (data.drop: [{name}]), or list it under "
            "data.features.categorical to keep it"
        )
    return UserError(
        file,
        name,
        f"role {role}: {reason}; inference does not make it a feature",
        fix,
    )


def _constant(name: str, present: pd.Series) -> tuple[Column, None]:
    shown = str(present.iloc[0])[:30]
    return Column(name, "constant", f"one value only ({shown!r})", False), None


def _numbers(
    series: pd.Series, present: pd.Series, name: str, file: str
) -> tuple[Column, UserError | None]:
    """Numbers: constant, a sequential integer id, or a numeric feature. Min and max first:
    counting distinct values of every float column would cost most of the inference."""
    low, high = present.min(), present.max()
    if low == high:
        return _constant(name, present)
    rows = len(present)
    if (
        pd.api.types.is_integer_dtype(series)
        and rows >= MIN_ID_ROWS
        and int(high) - int(low) + 1 == rows
        and present.nunique() == rows
    ):
        reason = (
            f"unique per row ({rows:,} of {len(series):,} values), "
            f"sequential integers {int(low)}..{int(high)}"
        )
        return Column(name, "id", reason, False), _refusal(name, "id", reason, file)
    return Column(name, "numeric", f"numbers ({series.dtype})", True), None


def infer_one(series: pd.Series, name: str, file: str) -> tuple[Column, UserError | None]:
    """The role of a column nobody listed, from its values."""
    if pd.api.types.is_datetime64_any_dtype(series):
        reason = f"holds dates ({series.dtype})"
        return Column(name, "date", reason, False), _refusal(name, "date", reason, file)
    if isinstance(series.dtype, pd.CategoricalDtype):
        return Column(name, "categorical", "categories (category dtype)", True), None
    present = series.dropna()
    if present.empty:
        return Column(name, "constant", "no values (all missing)", False), None
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return _numbers(series, present, name, file)
    distinct = int(present.nunique())
    if distinct == 1:
        return _constant(name, present)
    if pd.api.types.is_bool_dtype(series):
        return Column(name, "categorical", "true/false values", True), None
    unique = distinct == len(present) and len(present) >= MIN_ID_ROWS
    dirty = dirty_numbers(series, name, file)
    if dirty is not None:
        reason = "numbers, with some text values among them"
        return Column(name, "numeric", reason, False), dirty
    sample = present.head(SAMPLE).astype(str)
    style = date_style(sample)
    if style is not None:
        reason = f"parses as dates ({style})"
        return Column(name, "date", reason, False), _refusal(name, "date", reason, file)
    chars = float(sample.str.len().mean())
    spaced = float(sample.str.contains(" ", regex=False).mean())
    if chars >= FREE_TEXT_CHARS and spaced >= 0.5 and distinct > len(present) / 2:
        reason = f"free text: {distinct:,} distinct values, mean {chars:.0f} chars"
        return Column(name, "text", reason, False), _refusal(name, "text", reason, file)
    if unique:
        reason = f"unique per row ({distinct:,} of {len(series):,} values)"
        return Column(name, "id", reason, False), _refusal(name, "id", reason, file)
    return Column(name, "categorical", f"text: {distinct:,} distinct values", True), None


def _fixed_role(name: str, params: Params) -> Column | None:
    """A column whose role params.yaml decides, without looking at its values."""
    dp = params.data
    if name == dp.target:
        return Column(name, "target", "data.target", False)
    if name in dp.drop:
        return Column(name, "dropped", "listed under data.drop", False)
    if name in dp.features.numeric:
        return Column(name, "numeric", "listed under data.features.numeric", True)
    if name in dp.features.categorical:
        return Column(name, "categorical", "listed under data.features.categorical", True)
    if name == params.row_key:
        return Column(name, "dropped", f"key of the {params.split.method} split (split.key)", False)
    if name in dp.date_parts:
        source, part = dp.date_parts[name]
        return Column(name, "derived", f"{part} of {source} (data.dates)", True)
    if not dp.features.infer:
        return Column(name, "dropped", "not listed (data.features.infer: false)", False)
    return None


def _forbidden(name: str, params: Params) -> bool:
    return any(re.search(pattern, name) for pattern in params.contract.forbidden_columns)


def resolve(frame: pd.DataFrame, params: Params) -> Resolved:
    """Every column's role and the features that resolved; problems are collected, not
    raised, so `make init` can still check the contract and model tests of the rest.

    `frame` is read through `data.read_table` (dates already expanded); the date columns
    themselves are listed first-seen, in the place of their parts.
    """
    dp = params.data
    file = dp.path
    require_listed(list(frame.columns), params)
    feature_names(list(frame.columns), params)  # the reserved row-id name
    problems = listed_kind_problems(frame, params)
    columns: list[Column] = []
    for raw in frame.columns:
        name = str(raw)
        source = dp.date_parts.get(name, ("", ""))[0]
        if source and not any(c.name == source for c in columns):
            parts = ", ".join(dp.dates[source])
            columns.append(Column(source, "date", f"expanded by data.dates into {parts}", False))
        column = _fixed_role(name, params)
        if column is None:
            column, problem = infer_one(frame[raw], name, file)
            if problem is not None and _forbidden(name, params):
                problem = None  # the contract refuses it (personal data), a graver message
            if problem is not None:
                problems.append(problem)
                column = replace(column, refused=True)
        columns.append(column)
    used = {c.name for c in columns if c.used}
    if dp.features.infer:
        numeric = [c.name for c in columns if c.used and c.role in ("numeric", "derived")]
        categorical = [c.name for c in columns if c.used and c.role == "categorical"]
    else:  # the order params.yaml lists them in, as before data.features.infer existed
        numeric = [*dp.features.numeric, *(c for c in dp.date_parts if c in used)]
        categorical = list(dp.features.categorical)
    spec = FeatureSpec(numeric, categorical, dp.target)
    return Resolved(spec, columns, problems)
