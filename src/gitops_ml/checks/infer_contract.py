"""`make infer-schema`: write a data contract from the current data, for the user to review.

The file describes the data as it is today (types, ranges, categories, missing values),
so it is a starting point: the user widens or tightens it, then points
`contract.schema_file` at it. An existing file is never overwritten without `--force`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from gitops_ml.core import commands, data, params
from gitops_ml.core.atomic import write_text
from gitops_ml.core.errors import UserError

DEFAULT_FILE = "contract.yaml"
MAX_CATEGORIES = 50  # more distinct values than this looks like an id or free text

HEADER = """\
# Data contract for {path}, inferred by `make infer-schema` from the data as it is now.
# REVIEW IT before use: ranges and categories are exactly what the current data holds,
# so widen them where new data may legitimately go further, and delete rules you do
# not want. Then set `contract.schema_file: {name}` in params.yaml and add `- {name}`
# to the prepare stage's deps in dvc.yaml (so editing this file re-runs prepare; make
# check insists); prepare enforces it and reports every violation at once. Per column:
# dtype (numeric, integer, categorical, boolean), nullable, max_missing_fraction,
# min/max, categories.
"""


def _plain(value: Any) -> Any:
    """NumPy scalars -> plain Python values that YAML writes readably."""
    value = value.item() if hasattr(value, "item") else value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _missing_rule(series: pd.Series) -> dict[str, Any]:
    fraction = float(series.isna().mean())
    if fraction == 0.0:
        return {"nullable": False}
    return {"nullable": True, "max_missing_fraction": math.ceil(fraction * 100) / 100}


def _values(series: pd.Series) -> list[Any] | None:
    unique = series.dropna().unique()
    if len(unique) > MAX_CATEGORIES:
        return None
    return sorted((_plain(v) for v in unique), key=str)


def column_rule(series: pd.Series, categorical: bool) -> dict[str, Any]:
    """The rule that the column as it is now satisfies exactly."""
    if pd.api.types.is_bool_dtype(series):
        return {"dtype": "boolean", **_missing_rule(series)}
    if categorical or not pd.api.types.is_numeric_dtype(series):
        rule: dict[str, Any] = {"dtype": "categorical", **_missing_rule(series)}
        categories = _values(series)
        if categories is not None:
            rule["categories"] = categories
        return rule
    values = pd.to_numeric(series).dropna()
    values = values[np.isfinite(values.to_numpy(dtype=float))]
    is_int = pd.api.types.is_integer_dtype(series) or bool((values % 1 == 0).all())
    rule = {"dtype": "integer" if is_int else "numeric", **_missing_rule(series)}
    if len(values):
        rule["min"], rule["max"] = _plain(values.min()), _plain(values.max())
    return rule


def infer(frame: pd.DataFrame, p: params.Params, spec: data.FeatureSpec) -> dict[str, Any]:
    """A schema-file mapping describing `frame` (see contract.SchemaFile)."""
    target = frame[spec.target]
    if p.is_classification:
        target_rule: dict[str, Any] = {"values": _values(target)}
    else:
        target_rule = {"min": _plain(target.min()), "max": _plain(target.max())}
    columns = {
        str(name): column_rule(frame[name], name in spec.categorical)
        for name in frame.columns
        if name != spec.target
    }
    return {
        "min_rows": p.contract.min_rows,
        "allow_extra_columns": False,
        "target": target_rule,
        "columns": columns,
    }


def render(contract: dict[str, Any], data_path: str, name: str) -> str:
    body = yaml.safe_dump(contract, sort_keys=False, allow_unicode=True, width=100)
    return HEADER.format(path=data_path, name=name) + body


def main(argv: list[str]) -> int:
    parser = commands.parser(
        "infer-schema", "Write a data contract (pandera) from the current data."
    )
    parser.add_argument(
        "--out", default=DEFAULT_FILE, help=f"file to write (default {DEFAULT_FILE})"
    )
    parser.add_argument("--force", action="store_true", help="overwrite an existing file")
    args = parser.parse_args(argv)
    out = Path(args.out)
    if out.exists() and not args.force:
        raise UserError(
            str(out),
            "(file)",
            "already exists; it may hold your reviewed rules",
            "pass --force (make infer-schema FORCE=1) to overwrite it, or choose --out",
        )
    p = params.load()
    frame = data.read_raw(p)
    spec = data.resolve_features(frame, p)
    write_text(out, render(infer(frame, p, spec), p.data.path, out.as_posix()))
    print(f"wrote {out}: {len(frame.columns) - 1} columns; review it, then set")
    print(f"contract.schema_file: {out.as_posix()} in params.yaml and add")
    print(f"`- {out.as_posix()}` to stages.prepare.deps in dvc.yaml (make check insists)")
    return 0
