"""The data contract, enforced with pandera before anything trains.

Built-in rules come from `params.yaml` (`contract:` and `data:`); every violation is
collected (pandera's lazy mode) and reported at once with a few offending rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from gitops_ml.data import FeatureSpec
from gitops_ml.errors import UserError, raise_all
from gitops_ml.params import Params

FIXES = {
    "max_missing_fraction": "clean the column, or raise contract.max_missing_fraction",
    "max_infinite_fraction": "replace inf values, or raise contract.max_infinite_fraction",
    "min_rows": "add rows, or lower contract.min_rows",
    "min_classes": "the target needs at least two classes for a classifier; check data.task",
    "binary_classes": "a binary task needs exactly two target classes; use task multiclass",
    "positive_class": "set data.positive_class to one of the target's values",
    "not_nullable": "drop or fill the rows whose target is missing",
    "numeric_dtype": "declare the column under data.features.categorical, or clean it",
}


def _fraction_check(name: str, limit: float, predicate) -> pa.Check:  # type: ignore[no-untyped-def]
    return pa.Check(
        lambda s: float(predicate(s).mean()) <= limit if len(s) else True,
        name=name,
        error=f"{name} {limit}",
    )


def _is_inf(series: pd.Series) -> pd.Series:
    values = pd.to_numeric(series, errors="coerce")
    return pd.Series(np.isinf(values.to_numpy(dtype=float, na_value=np.nan)), index=series.index)


def build_schema(params: Params, spec: FeatureSpec) -> pa.DataFrameSchema:
    rules = params.contract
    columns: dict[str, pa.Column] = {}
    for name in spec.numeric:
        columns[name] = pa.Column(
            nullable=True,
            checks=[
                pa.Check(
                    lambda s: pd.api.types.is_numeric_dtype(s),
                    element_wise=False,
                    name="numeric_dtype",
                    error="column must be numeric",
                ),
                _fraction_check("max_missing_fraction", rules.max_missing_fraction, pd.Series.isna),
                _fraction_check("max_infinite_fraction", rules.max_infinite_fraction, _is_inf),
            ],
        )
    for name in spec.categorical:
        columns[name] = pa.Column(
            nullable=True,
            checks=[
                _fraction_check("max_missing_fraction", rules.max_missing_fraction, pd.Series.isna)
            ],
        )
    target_checks = []
    if params.is_classification:
        target_checks.append(
            pa.Check(lambda s: s.nunique() >= 2, name="min_classes", error="fewer than 2 classes")
        )
    if params.data.task == "binary":
        target_checks.append(
            pa.Check(lambda s: s.nunique() == 2, name="binary_classes", error="not 2 classes")
        )
        positive = params.data.positive_class
        if positive is not None:
            target_checks.append(
                pa.Check(
                    lambda s: bool((s.astype(str) == str(positive)).any()),
                    name="positive_class",
                    error=f"positive_class {positive!r} never occurs",
                )
            )
    columns[spec.target] = pa.Column(nullable=False, checks=target_checks)
    return pa.DataFrameSchema(
        columns,
        checks=[
            pa.Check(
                lambda df: len(df) >= rules.min_rows,
                name="min_rows",
                error=f"fewer than {rules.min_rows} rows",
            )
        ],
        strict=False,
    )


def _describe(frame: pd.DataFrame, file: str, errors: SchemaErrors) -> list[UserError]:
    problems: list[UserError] = []
    cases = errors.failure_cases
    for (column, check), group in cases.groupby(["column", "check"], dropna=False, sort=False):
        column = "(table)" if pd.isna(column) else str(column)
        check = str(check)
        rule = check.split(" ")[0].split("(")[0]
        if check.startswith("not_nullable"):
            rule = "not_nullable"
        rows = [int(i) for i in group["index"].dropna().unique()[:5]]
        shown = f"; offending rows (0-based): {rows}" if rows else ""
        values = group["failure_case"].dropna().astype(str).unique()[:5]
        value_text = f"; values: {list(values)}" if len(values) and rows else ""
        problems.append(
            UserError(file, column, f"violates {check}{shown}{value_text}", FIXES.get(rule, ""))
        )
    return problems


def enforce(frame: pd.DataFrame, params: Params, spec: FeatureSpec) -> None:
    """Raise one UserError listing every contract violation in `frame`."""
    schema = build_schema(params, spec)
    try:
        schema.validate(frame, lazy=True)
    except SchemaErrors as errors:
        raise_all(_describe(frame, params.data.path, errors))
