"""Split the prepared rows into train and test, reproducibly, one of four ways.

`split.method` in params.yaml (docs/adapting.md):

- random: a seeded per-stratum permutation (the default). Appending rows reshuffles it.
- stable: a row is a test row iff a seeded hash of its `split.key` value (or of its feature
  and target values) falls below `test_size`. A row's side depends on that row alone, so
  appended rows never move existing ones, and duplicated rows land on the same side.
- group: the same hash of the `split.key` value: all rows of one customer on one side.
- time: the latest `test_size` share by `split.key` is the test split; ties go together.

Only pandas and numpy are imported: scikit-learn's splitters would add a second of imports
to every prepare run.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from gitops_ml.core.config import ROW_ID
from gitops_ml.core.errors import UserError
from gitops_ml.core.params import Params

if TYPE_CHECKING:
    from numpy.typing import NDArray

PARAMS = "params.yaml"
MISSING = "\x00missing"  # what a missing value hashes as, whatever the column's dtype

# splitmix64's finaliser: spreads the seed and every column's hash over all 64 bits
_MUL1 = np.uint64(0xBF58476D1CE4E5B9)
_MUL2 = np.uint64(0x94D049BB133111EB)


def _mix(values: NDArray[np.uint64]) -> NDArray[np.uint64]:
    with np.errstate(over="ignore"):
        values = (values ^ (values >> np.uint64(30))) * _MUL1
        values = (values ^ (values >> np.uint64(27))) * _MUL2
    mixed: NDArray[np.uint64] = values ^ (values >> np.uint64(31))
    return mixed


def _canonical(column: pd.Series) -> pd.Series:
    """The column in a form whose hash survives a change of dtype: an int column that gains
    a missing value (and becomes float) or a text column read as a category hashes alike."""
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        values = column.to_numpy(dtype=float, na_value=np.nan)
        canonical = pd.Series(np.where(np.isnan(values), np.nan, values + 0.0))  # -0.0 is 0.0
    else:
        text = column.astype(str).to_numpy(dtype=object)
        canonical = pd.Series(np.where(column.isna().to_numpy(), MISSING, text), dtype=object)
    return canonical


def stable_hashes(frame: pd.DataFrame, columns: list[Any], seed: int) -> NDArray[np.uint64]:
    """A seeded 64-bit hash per row of `columns`, a function of that row's values alone."""
    start = np.full(len(frame), seed, dtype=np.uint64)
    hashes = _mix(start)
    for name in columns:
        column = pd.util.hash_pandas_object(_canonical(frame[name]), index=False).to_numpy()
        hashes = _mix(hashes ^ column.astype(np.uint64))
    return hashes


def in_test_by_hash(hashes: NDArray[np.uint64], test_size: float) -> NDArray[np.bool_]:
    """Test rows: those whose hash, read as a fraction of 2**64, is below test_size."""
    fraction = (hashes >> np.uint64(11)).astype(float) / float(2**53)
    return np.asarray(fraction < test_size)


def _strata(target: pd.Series, params: Params) -> NDArray[Any]:
    if not params.split.stratify:
        return np.zeros(len(target), dtype=np.int64)
    if params.is_classification:
        return pd.factorize(target, sort=True)[0]
    # Regression: stratify on quantile bins of the target so both splits span its range.
    bins = max(1, min(10, len(target) // 20))
    return pd.qcut(target.rank(method="first"), q=bins, labels=False).to_numpy()


def _random(frame: pd.DataFrame, params: Params) -> NDArray[np.bool_]:
    """A seeded permutation per stratum: exact class shares, but every row may move when
    rows are added (another row count draws another permutation)."""
    rng = np.random.default_rng(params.seed)
    strata = _strata(frame[params.data.target], params)
    test_mask = np.zeros(len(frame), dtype=bool)
    for stratum in np.unique(strata):
        rows = np.flatnonzero(strata == stratum)
        n_test = round(len(rows) * params.split.test_size)
        test_mask[rng.permutation(rows)[:n_test]] = True
    return test_mask


def _time_values(column: pd.Series, key: str, path: str) -> NDArray[Any]:
    """The key as numbers that sort like the times: numbers as they are, dates parsed."""
    missing = column.isna()
    if missing.any():
        rows = np.flatnonzero(missing.to_numpy())[:5].tolist()
        raise UserError(
            path,
            f"split.key={key!r}",
            f"{int(missing.sum())} rows have no time (rows, 0-based: {rows})",
            "fill the missing times, or drop those rows: a time split must place every row",
        )
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        return column.to_numpy(dtype=float)
    if pd.api.types.is_datetime64_any_dtype(column):
        return _nanoseconds(column)
    text = column.astype(str)
    parsed = pd.to_datetime(text, errors="coerce", utc=True, format="ISO8601")
    if parsed.isna().any():
        parsed = pd.to_datetime(text, errors="coerce", utc=True, format="mixed")
    bad = text[parsed.isna()]
    if not bad.empty:
        raise UserError(
            path,
            f"split.key={key!r}",
            f"{len(bad)} values are neither numbers nor dates, e.g. {list(bad.unique()[:5])}",
            "store the times as ISO dates (2024-05-31 or 2024-05-31T12:00:00) or numbers",
        )
    return _nanoseconds(parsed)


def _nanoseconds(times: pd.Series) -> NDArray[np.int64]:
    """Datetimes, with or without a time zone, as UTC nanoseconds: numbers that sort alike."""
    if isinstance(times.dtype, pd.DatetimeTZDtype):
        times = times.dt.tz_convert(None)
    nanoseconds: NDArray[np.int64] = times.to_numpy(dtype="datetime64[ns]").astype(np.int64)
    return nanoseconds


def _latest(values: NDArray[Any], test_size: float) -> NDArray[np.bool_]:
    """The latest `test_size` share of rows; rows at the boundary time all go to test."""
    n_test = round(len(values) * test_size)
    if n_test == 0:
        return np.zeros(len(values), dtype=bool)
    cutoff = np.sort(values)[len(values) - n_test]
    test: NDArray[np.bool_] = values >= cutoff
    return test


def require_key(columns: list[Any], params: Params) -> str:
    """split.key names a column of the data; the closest name is suggested."""
    key = params.split.key
    assert key is not None  # params.py requires it for every method that calls this
    if key in columns:
        return key
    text = [str(c) for c in columns]
    close = [c for c in text if c.lower() == key.lower()]
    close = close or difflib.get_close_matches(key, text, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise UserError(
        PARAMS,
        f"split.key={key!r}",
        f"column not in {params.data.path}{hint}",
        "set split.key to a column of the data (an id, a customer, a date)",
    )


def _test_mask(frame: pd.DataFrame, keep: list[Any], params: Params) -> NDArray[np.bool_]:
    sp = params.split
    if sp.method == "random":
        return _random(frame, params)
    if sp.method == "stable" and sp.key is None:
        return in_test_by_hash(stable_hashes(frame, keep, params.seed), sp.test_size)
    key = require_key(list(frame.columns), params)
    if sp.method == "time":
        return _latest(_time_values(frame[key], key, params.data.path), sp.test_size)
    return in_test_by_hash(stable_hashes(frame, [key], params.seed), sp.test_size)


def _empty_side_fix(frame: pd.DataFrame, params: Params) -> tuple[str, str]:
    """Which key to blame when one side is empty, and what to do about it."""
    sp = params.split
    if sp.method == "random" or (sp.method == "stable" and sp.key is None):
        return "split.test_size", "use more data or a test_size between 0.1 and 0.5"
    values = frame[sp.key].nunique(dropna=False)
    if sp.method == "time":
        return "split.key", (
            f"{sp.key!r} has {values} distinct times: use a finer time column, more data, "
            "or another test_size"
        )
    return "split.key", (
        f"{sp.key!r} has {values} distinct values and each goes wholly to one side: use a key "
        "with more values, more data, or another test_size"
    )


def needed(keep: list[Any], params: Params) -> list[Any]:
    """`keep` and the split key: the columns `split` must be given."""
    key = params.split.key
    return keep if key is None or key in keep else [*keep, key]


def split(
    frame: pd.DataFrame, params: Params, keep: list[Any] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Deterministic train/test split of `keep` (default: every column) by `split.method`;
    both keep the original row number. The split key is read from `frame` but not kept
    unless it is in `keep`."""
    frame = frame.reset_index(drop=True)
    keep = list(frame.columns) if keep is None else keep
    test_mask = _test_mask(frame, keep, params)
    blame = _empty_side_fix(frame, params) if test_mask.all() or not test_mask.any() else None
    if list(frame.columns) != keep:
        frame = frame[keep]
    frame.insert(0, ROW_ID, np.arange(len(frame), dtype=np.int64))
    train, test = frame[~test_mask], frame[test_mask]
    if blame is not None:
        field, fix = blame
        raise UserError(
            PARAMS, field, f"split leaves {len(train)} train and {len(test)} test rows", fix
        )
    return train.reset_index(drop=True), test.reset_index(drop=True)
