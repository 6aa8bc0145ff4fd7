"""Date columns -> numeric parts, the one way training and serving both see them.

A raw date is no feature a model can use: one-hot encoded, each day is a category the
model never sees again. `data.dates` names the parts to build instead (`signup_date__year`,
`signup_date__age_days`...). `expand` is called by `data.read_table`, which every reader of
raw rows goes through (prepare, `make predict`, the skew test, drift, the data diff), so a
served row is expanded exactly as its training rows were. Ages count back from the fixed
`data.date_reference`, never from "today": the same file always gives the same features.
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gitops_ml.core.errors import UserError

if TYPE_CHECKING:
    from gitops_ml.core.params import DataParams

EPOCH = pd.Timestamp("1970-01-01")
DAY = pd.Timedelta(days=1)
# Text that reads as a date: ISO 8601 (2024-03-05, with an optional time and zone), or
# day/month/year written with / or . (05/03/2024, 2024/03/05).
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")
_OTHER = re.compile(r"^(\d{1,2}[/.]\d{1,2}[/.]\d{4}|\d{4}[/.]\d{1,2}[/.]\d{1,2})$")


def date_style(values: pd.Series) -> str | None:
    """'ISO' or 'day/month/year' when every value of a sample of text reads as a date."""
    text = values.dropna().astype(str).str.strip()
    if text.empty:
        return None
    if bool(text.str.match(_ISO).all()):
        return "ISO"
    if bool(text.str.match(_OTHER).all()):
        return "day/month/year"
    return None


def parse(series: pd.Series, column: str, file: str) -> pd.Series:
    """The column as naive timestamps (UTC when zoned); a present value that is no date
    is named, never silently made missing."""
    if pd.api.types.is_datetime64_any_dtype(series):
        stamps = series
    else:
        text = series.astype("string").str.strip()
        stamps = pd.to_datetime(text, errors="coerce", format="ISO8601", utc=True)
        if bool((stamps.isna() & text.notna()).any()):  # not ISO: let pandas infer one format
            stamps = pd.to_datetime(text, errors="coerce", utc=True)
        bad = stamps.isna() & text.notna()
        if bool(bad.any()):
            rows = [int(i) for i in np.flatnonzero(bad.to_numpy())[:5]]
            shown = list(text[bad].astype(str).unique()[:5])
            raise UserError(
                file,
                column,
                f"listed under data.dates, but {int(bad.sum()):,} value(s) are not dates: "
                f"{shown} in rows (0-based) {rows}",
                "list those markers under data.na_values in params.yaml if they mean missing, "
                "or write the dates as ISO (2024-03-05)",
            )
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    return stamps


_ACCESSORS = {"dayofweek": "day_of_week", "dayofyear": "day_of_year"}  # pandas' own names


def _part(stamps: pd.Series, part: str, reference: date | None) -> pd.Series:
    value: pd.Series
    if part == "epoch_days":
        value = (stamps - EPOCH) / DAY
    elif part == "age_days":
        assert reference is not None  # DataParams refuses age_days without a reference
        value = (pd.Timestamp(reference) - stamps) / DAY
    else:
        value = getattr(stamps.dt, _ACCESSORS.get(part, part))  # dayofweek: Monday is 0
    return value


def expand(frame: pd.DataFrame, dp: DataParams, file: str) -> pd.DataFrame:
    """`frame` with each data.dates column replaced, in place, by its parts (float64)."""
    if not dp.dates:
        return frame
    missing = [c for c in dp.dates if c not in frame.columns]
    if missing:
        raise UserError(
            file,
            f"columns {missing}",
            "listed under data.dates in params.yaml but not in the data",
            "fix the names under data.dates, or restore the columns",
        )
    clash = [name for name in dp.date_parts if name in frame.columns]
    if clash:
        raise UserError(
            file,
            f"columns {clash}",
            "data.dates would create these columns, but the data already has them",
            "rename those columns, or list fewer parts under data.dates",
        )
    pieces: dict[str, pd.Series] = {}
    for column, parts in dp.dates.items():
        stamps = parse(frame[column], column, file)
        for part in parts:
            values = _part(stamps, part, dp.reference_day)
            pieces[f"{column}__{part}"] = values.astype("float64").set_axis(frame.index)
    out: dict[str, pd.Series] = {}
    for name in frame.columns:
        if name in dp.dates:
            out.update({k: v for k, v in pieces.items() if dp.date_parts[k][0] == name})
        else:
            out[name] = frame[name]
    expanded: pd.DataFrame = pd.DataFrame(out, index=frame.index)
    return expanded
