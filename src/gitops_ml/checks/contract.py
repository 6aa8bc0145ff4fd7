"""The data contract, enforced with pandera before anything trains.

Built-in rules come from `params.yaml` (`contract:` and `data:`). A schema file
(`contract.schema_file`, written by `make infer-schema` and reviewed by the user) adds
per-column rules: type, missing values, range, allowed categories, target values.
Columns whose names match `contract.forbidden_columns` (personal data) are refused.
Every violation is collected (pandera's lazy mode) and reported at once with a few
offending rows and the fix. pandera is imported only when data is checked, so
`make check` can validate the schema file cheaply.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from gitops_ml.core.data import FeatureSpec, not_numbers
from gitops_ml.core.errors import UserError, raise_all
from gitops_ml.core.params import Params, Section, UnitInterval, read_yaml, validate

if TYPE_CHECKING:
    from collections.abc import Callable

    import pandera.pandas as pa
    from pandera.errors import SchemaErrors

Scalar = str | int | float | bool

FIXES = {
    "max_missing_fraction": "clean the column, or raise contract.max_missing_fraction",
    "max_infinite_fraction": "replace inf values, or raise contract.max_infinite_fraction",
    "min_rows": "add rows, or lower contract.min_rows",
    "min_classes": "the target needs at least two classes for a classifier; check data.task",
    "numeric_target": "clean the values shown, or set data.task to binary or multiclass if the target is a class",
    "binary_classes": "a binary task needs exactly two target classes; use task multiclass",
    "positive_class": "set data.positive_class to one of the target's values",
    "not_nullable": "drop or fill the rows with missing values (or allow them in the contract)",
    "numeric_dtype": "if those values mean missing, list them under data.na_values in "
    'params.yaml (e.g. data.na_values: [" ", "N/A"]); otherwise clean them',
    "integer_dtype": "clean the values shown, or declare it `dtype: numeric` in the schema file if fractions are valid",
    "boolean_dtype": "clean the column, or declare it `dtype: categorical` in the schema file",
    "in_range": "fix the values, or widen min/max in the schema file after review",
    "allowed_values": "fix the values, or add them to the schema file's list after review",
    "column_in_dataframe": "restore the column, or regenerate the schema file (`make infer-schema FORCE=1`)",
    "column_in_schema": "add the column to the schema file, drop it, or set allow_extra_columns: true",
}


class ColumnRule(Section):
    """Rules for one column of the schema file."""

    dtype: Literal["numeric", "integer", "categorical", "boolean"]
    nullable: bool = True
    max_missing_fraction: UnitInterval | None = None  # overrides contract.max_missing_fraction
    min: float | None = None
    max: float | None = None
    categories: list[Scalar] | None = None

    @model_validator(mode="after")
    def _check(self) -> ColumnRule:
        numeric = self.dtype in {"numeric", "integer"}
        if not numeric and (self.min is not None or self.max is not None):
            raise ValueError(f"min/max apply to numeric or integer columns, not {self.dtype}")
        if self.categories is not None and self.dtype != "categorical":
            raise ValueError(f"categories apply to categorical columns, not {self.dtype}")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is greater than max {self.max}")
        return self


class TargetRule(Section):
    values: list[Scalar] | None = None  # classification: the classes allowed
    min: float | None = None  # regression: the range allowed
    max: float | None = None


class SchemaFile(Section):
    """The reviewed contract file: everything optional, so it can be trimmed by hand."""

    min_rows: Annotated[int, Field(ge=2)] | None = None  # overrides contract.min_rows
    allow_extra_columns: bool = True
    target: TargetRule = TargetRule()
    columns: dict[str, ColumnRule] = Field(default_factory=dict)


def load_schema_file(params: Params) -> SchemaFile | None:
    """Read and validate `contract.schema_file`; None when no file is configured."""
    name = params.contract.schema_file
    if name is None:
        return None
    if not Path(name).is_file():
        raise UserError(
            "params.yaml",
            "contract.schema_file",
            f"{name!r} does not exist",
            "run `make infer-schema` and review the file, or set schema_file: null",
        )
    return validate(SchemaFile, read_yaml(name) or {}, name)


def _fraction_check(
    name: str, limit: float, predicate: Callable[[pd.Series], pd.Series]
) -> pa.Check:
    import pandera.pandas as pa

    return pa.Check(
        lambda s: float(predicate(s).mean()) <= limit if len(s) else True,
        name=name,
        error=f"{name} {limit}",
        ignore_na=False,  # pandera drops missing values before checks unless told not to
    )


def _is_inf(series: pd.Series) -> pd.Series:
    values = pd.to_numeric(series, errors="coerce")
    infinite: pd.Series = pd.Series(
        np.isinf(values.to_numpy(dtype=float, na_value=np.nan)), index=series.index
    )
    return infinite


def _not_whole(series: pd.Series) -> pd.Series:
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    fraction = pd.Series(np.mod(values, 1) != 0, index=series.index) & series.notna()
    broken: pd.Series = not_numbers(series) | (fraction & ~np.isnan(values))
    return broken


_BOOLEAN_TEXT = ["true", "false", "0", "1", "1.0", "0.0"]


def _not_boolean(series: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(series):
        none_broken: pd.Series = pd.Series(False, index=series.index)
        return none_broken
    text = series.astype(str).str.lower()
    return series.notna() & ~text.isin(_BOOLEAN_TEXT)


# Whole-column rules: how to find the rows (and, for types, the values) that broke them.
_ROW_FINDERS = {
    "max_missing_fraction": pd.Series.isna,
    "max_infinite_fraction": _is_inf,
    "numeric_dtype": not_numbers,
    "integer_dtype": _not_whole,
    "boolean_dtype": _not_boolean,
    "numeric_target": not_numbers,
}
_SHOW_VALUES = {"numeric_dtype", "integer_dtype", "boolean_dtype", "numeric_target"}
_CLASS_RULES = {"min_classes", "binary_classes", "positive_class"}  # show the classes found


def _dtype_check(dtype: str) -> pa.Check:
    import pandera.pandas as pa

    def is_numeric(s: pd.Series) -> bool:
        return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)

    def is_integer(s: pd.Series) -> bool:
        values = s.dropna()
        return is_numeric(s) and bool(np.all(np.mod(values.to_numpy(dtype=float), 1) == 0))

    def is_boolean(s: pd.Series) -> bool:
        return not _not_boolean(s).any()

    test, error = {
        "numeric": (is_numeric, "numeric_dtype: column must be numeric"),
        "integer": (is_integer, "integer_dtype: column must hold whole numbers"),
        "boolean": (is_boolean, "boolean_dtype: column must hold true/false"),
    }[dtype]
    return pa.Check(test, element_wise=False, name=error.split(":")[0], error=error)


def _allowed_values(values: list[Scalar]) -> pa.Check:
    """Compare as text: a CSV re-read may turn categories 1 and "1" into each other."""
    import pandera.pandas as pa

    allowed = sorted({str(v) for v in values})
    shown = allowed if len(allowed) <= 10 else [*allowed[:10], "..."]
    return pa.Check(
        lambda s: s.astype(str).isin(allowed),
        name="allowed_values",
        error=f"allowed_values {shown}",
    )


def _range_check(low: float, high: float) -> pa.Check:
    """min/max for numbers; text in the column is the dtype rule's to report, not a
    comparison error. Missing values are the nullable rule's business (pandera drops them)."""
    import pandera.pandas as pa

    def within(s: pd.Series) -> pd.Series | bool:
        if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            return True
        return (s >= low) & (s <= high)

    return pa.Check(within, name="in_range", error=f"in_range [{low}, {high}]")


def _file_checks(rule: ColumnRule) -> list[pa.Check]:
    checks = [] if rule.dtype == "categorical" else [_dtype_check(rule.dtype)]
    if rule.min is not None or rule.max is not None:
        low = -np.inf if rule.min is None else rule.min
        high = np.inf if rule.max is None else rule.max
        # ignore_na: missing values are the nullable rule's business, not the range's.
        checks.append(_range_check(low, high))
    if rule.categories is not None:
        checks.append(_allowed_values(rule.categories))
    return checks


def _target_checks(params: Params, file: SchemaFile | None) -> list[pa.Check]:
    import pandera.pandas as pa

    checks = []
    if params.is_classification:
        checks.append(
            pa.Check(lambda s: s.nunique() >= 2, name="min_classes", error="min_classes: 2")
        )
    else:
        checks.append(
            pa.Check(
                lambda s: not not_numbers(s).any(),
                name="numeric_target",
                error="numeric_target: a regression target must hold numbers",
            )
        )
    if params.data.task == "binary":
        checks.append(
            pa.Check(lambda s: s.nunique() == 2, name="binary_classes", error="binary_classes: 2")
        )
        positive = params.data.positive_class
        if positive is not None:
            checks.append(
                pa.Check(
                    lambda s: bool((s.astype(str) == str(positive)).any()),
                    name="positive_class",
                    error=f"positive_class {positive!r} never occurs",
                )
            )
    if file is not None and file.target.values is not None:
        checks.append(_allowed_values(file.target.values))
    if file is not None and (file.target.min is not None or file.target.max is not None):
        low = -np.inf if file.target.min is None else file.target.min
        high = np.inf if file.target.max is None else file.target.max
        checks.append(_range_check(low, high))
    return checks


def build_schema(
    params: Params, spec: FeatureSpec, file: SchemaFile | None = None
) -> pa.DataFrameSchema:
    """Built-in rules for the features and target, merged with the schema file's rules."""
    import pandera.pandas as pa

    rules = params.contract
    checks: dict[str, list[pa.Check]] = {}
    nullable: dict[str, bool] = {}
    for name in spec.numeric:
        checks[name] = [
            _dtype_check("numeric"),
            _fraction_check("max_infinite_fraction", rules.max_infinite_fraction, _is_inf),
        ]
    for name in spec.categorical:
        checks[name] = []
    rule: ColumnRule | None
    for name, rule in (file.columns if file else {}).items():
        checks[name] = [c for c in checks.get(name, []) if c.name != "numeric_dtype"]
        checks[name] += _file_checks(rule)
        nullable[name] = rule.nullable
    for name in checks:
        rule = file.columns.get(name) if file else None
        limit = rules.max_missing_fraction
        if rule is not None and rule.max_missing_fraction is not None:
            limit = rule.max_missing_fraction
        checks[name].append(_fraction_check("max_missing_fraction", limit, pd.Series.isna))
    columns = {
        name: pa.Column(nullable=nullable.get(name, True), checks=col_checks)
        for name, col_checks in checks.items()
    }
    columns[spec.target] = pa.Column(nullable=False, checks=_target_checks(params, file))
    min_rows = file.min_rows if file and file.min_rows is not None else rules.min_rows
    return pa.DataFrameSchema(
        columns,
        checks=[
            pa.Check(lambda df: len(df) >= min_rows, name="min_rows", error=f"min_rows {min_rows}")
        ],
        strict=False,  # extra columns: see _extra_columns (features are inferred from them)
    )


def _fix(rule: str, schema_file: str | None) -> str:
    fix = FIXES.get(rule, "")
    return fix.replace("the schema file", schema_file) if schema_file else fix


def _describe(
    frame: pd.DataFrame, file: str, errors: SchemaErrors, schema_file: str | None
) -> list[UserError]:
    """One UserError per (column, rule): the rule, up to five offending rows and values, the fix."""
    problems: list[UserError] = []
    cases = errors.failure_cases
    for (column, check), group in cases.groupby(["column", "check"], dropna=False, sort=False):
        check = str(check)
        rule = check.split(" ")[0].split("(")[0].rstrip(":")
        if rule == "column_in_dataframe":
            for name in group["failure_case"].astype(str).unique():
                problems.append(
                    UserError(
                        file, name, "column is missing from the data", _fix(rule, schema_file)
                    )
                )
            continue
        column = "(table)" if pd.isna(column) else str(column)
        rows = [int(i) for i in group["index"].dropna().unique()[:5]]
        values = list(group["failure_case"].dropna().astype(str).unique()[:5])
        if values == ["False"]:  # a whole-column check's verdict, not a value from the data
            values = []
        finder = _ROW_FINDERS.get(rule)
        if finder is not None and column in frame.columns:  # a whole-column rule: show its rows
            hits = finder(frame[column]).to_numpy(dtype=bool)
            rows = [int(i) for i in frame.index[hits][:5]]
            check = f"{check} (found {float(hits.mean()):.3g})"
            shown_values = frame[column][hits].astype(str).unique()[:5]
            values = list(shown_values) if rule in _SHOW_VALUES else []
        if rule in _CLASS_RULES and column in frame.columns:
            found = sorted(frame[column].dropna().astype(str).unique())
            check = f"{check}; classes found: {found[:10]}" + (" ..." if len(found) > 10 else "")
        shown = f"; offending rows (0-based): {rows}" if rows else ""
        value_text = f"; values: {values}" if values else ""
        problem = f"violates {check}{shown}{value_text}"
        if rule == "numeric_dtype" and column in frame.columns:
            count = int(not_numbers(frame[column]).sum())
            problem = (
                f"must hold numbers, but {count:,} of {len(frame):,} values are not: "
                f"{values}{shown}"
            )
        problems.append(UserError(file, column, problem, _fix(rule, schema_file)))
    return problems


def _extra_columns(
    frame: pd.DataFrame, spec: FeatureSpec, file: str, schema: SchemaFile, schema_file: str
) -> list[UserError]:
    if schema.allow_extra_columns:
        return []
    extra = [str(c) for c in frame.columns if c not in schema.columns and c != spec.target]
    fix = _fix("column_in_schema", schema_file)
    return [UserError(file, name, f"column is not in {schema_file}", fix) for name in extra]


def forbidden_columns(columns: list[str], params: Params, file: str) -> list[UserError]:
    """Columns whose name matches `contract.forbidden_columns` (e.g. personal data).

    The raw file's columns are checked, not only the features: a matching column passes
    only when `data.drop` names it, an explicit, reviewed decision that it never reaches
    the model.
    """
    import re

    dropped = set(params.data.drop)
    problems = []
    for column in columns:
        if column in dropped:
            continue
        pattern = next(
            (p for p in params.contract.forbidden_columns if re.search(p, str(column))), None
        )
        if pattern is not None:
            problems.append(
                UserError(
                    file,
                    str(column),
                    f"column name matches forbidden pattern {pattern!r} "
                    "(params.yaml contract.forbidden_columns)",
                    f"add {str(column)!r} to data.drop in params.yaml (it then never reaches "
                    "the model), or remove the column from the data",
                )
            )
    return problems


def enforce(frame: pd.DataFrame, params: Params, spec: FeatureSpec) -> None:
    """Raise one UserError listing every contract violation in `frame`."""
    from pandera.errors import SchemaErrors

    file, schema_file = params.data.path, params.contract.schema_file
    rules = load_schema_file(params)
    problems = forbidden_columns([str(c) for c in frame.columns], params, file)
    if rules and schema_file:
        problems += _extra_columns(frame, spec, file, rules, schema_file)
    try:
        build_schema(params, spec, rules).validate(frame, lazy=True, inplace=True)  # no copy
    except SchemaErrors as errors:
        problems += _describe(frame, file, errors, schema_file)
    raise_all(problems)
