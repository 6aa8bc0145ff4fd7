"""Read the raw dataset and work out the feature columns (the split is core/split.py).

Only pandas and numpy are imported here, to keep every prepare run's imports short.
"""

from __future__ import annotations

import csv
import difflib
import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TextIO

import numpy as np
import pandas as pd

from gitops_ml.core.config import FEATURES_FILE, ROW_ID, require_outputs
from gitops_ml.core.errors import UserError, raise_all
from gitops_ml.core.params import CsvOptions, DataParams, Params

if TYPE_CHECKING:
    from numpy.typing import NDArray

MISSING_CATEGORY = "__missing__"  # what a missing categorical value becomes before encoding


@dataclass(frozen=True)
class FeatureSpec:
    """The columns the model sees; written by prepare so train and evaluate need not guess."""

    numeric: list[str]
    categorical: list[str]
    target: str
    # What serving compares new rows with (serving_contract.py): each numeric column's
    # finite [min, max] in the train split, and the columns that had no missing value there.
    ranges: dict[str, list[float]] = field(default_factory=dict)
    complete: list[str] = field(default_factory=list)

    @property
    def columns(self) -> list[str]:
        return self.numeric + self.categorical

    def profiled(self, train: pd.DataFrame) -> FeatureSpec:
        """This spec with the train split's ranges and complete columns."""
        ranges = {}
        for name in self.numeric:
            values = train[name].to_numpy(dtype=float, na_value=np.nan)
            finite = values[np.isfinite(values)]
            if finite.size:
                ranges[name] = [float(finite.min()), float(finite.max())]
        complete = [name for name in self.columns if not train[name].isna().any()]
        return replace(self, ranges=ranges, complete=complete)

    def save(self, path: Path = FEATURES_FILE) -> None:
        from gitops_ml.core.atomic import write_text

        write_text(path, json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def load(cls, path: Path = FEATURES_FILE) -> FeatureSpec:
        """The columns prepare chose; a command run before the pipeline gets the fix."""
        require_outputs(Path(path), reader="it names the columns the model takes")
        return cls(**json.loads(Path(path).read_text(encoding="utf-8")))


def row_hashes(frame: pd.DataFrame, columns: list[str]) -> NDArray[Any]:
    """One hash per row of `columns` (not the index): which rows two tables share."""
    return pd.util.hash_pandas_object(frame[columns], index=False).to_numpy()


def _open_text(path: Path, encoding: str) -> TextIO:
    """A CSV file as text, gzip-compressed when its name ends in .gz (as pandas reads it)."""
    if path.name.lower().endswith(".gz"):
        import gzip

        return gzip.open(path, "rt", encoding=encoding, newline="")
    return path.open(encoding=encoding, newline="")


def check_header(path: Path, sep: str, encoding: str) -> list[str]:
    """Read the header row ourselves: pandas silently renames duplicated columns."""
    try:
        with _open_text(path, encoding) as handle:
            header = next(csv.reader(handle, delimiter=sep), None)
            has_rows = next(handle, None) is not None
    except UnicodeDecodeError as err:
        raise UserError(
            str(path),
            "data.csv.encoding",
            f"file is not valid {encoding} (byte {err.start})",
            "set data.csv.encoding in params.yaml (e.g. latin-1) or re-save the file as UTF-8",
        ) from None
    except LookupError:
        raise UserError(
            "params.yaml", "data.csv.encoding", f"unknown encoding {encoding!r}", "use e.g. utf-8"
        ) from None
    except (OSError, EOFError) as err:  # e.g. a .gz name on a file that is not gzip
        raise UserError(
            str(path), "(file)", f"cannot be read: {err}", "check the file and its name"
        ) from None
    if not header or all(not c.strip() for c in header):
        raise UserError(str(path), "(file)", "file is empty", "point data.path at a CSV with data")
    dupes = sorted({c for c in header if header.count(c) > 1})
    if dupes:
        raise UserError(
            str(path), f"columns {dupes}", "duplicated column names", "give each column one name"
        )
    if not has_rows:
        raise UserError(str(path), "(rows)", "file has a header but no rows", "add data rows")
    return header


def _read_csv(path: Path, options: CsvOptions, na_values: list[str]) -> pd.DataFrame:
    header = check_header(path, options.sep, options.encoding)
    seen = next((s for s in (";", "\t", "|", ",") if s in header[0] and s != options.sep), None)
    if len(header) == 1 and seen:
        raise UserError(
            str(path),
            "data.csv.sep",
            f"only one column found with separator {options.sep!r}",
            f"the file looks {seen!r}-separated: set data.csv.sep in params.yaml",
        )
    try:
        return pd.read_csv(
            path, sep=options.sep, encoding=options.encoding, na_values=na_values or None
        )
    except UnicodeDecodeError as err:  # a bad byte after the header
        raise UserError(
            str(path),
            "data.csv.encoding",
            f"file is not valid {options.encoding} ({err.reason} in a value)",
            "set data.csv.encoding in params.yaml (e.g. latin-1) or re-save the file as UTF-8",
        ) from None
    except pd.errors.ParserError as err:
        detail = str(err).split("C error: ")[-1].strip()
        raise UserError(
            str(path), "(rows)", f"malformed CSV: {detail}", "fix that row, or check data.csv.sep"
        ) from None


def read_bytes(
    payload: bytes, name: str, file_format: str, options: CsvOptions | DataParams
) -> pd.DataFrame:
    """`read_table` for a file's bytes read from git or DVC (another revision's data)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / Path(name).name  # the name keeps its .gz
        copy.write_bytes(payload)
        return read_table(copy, file_format, options)


def read_parquet(path: Path | BinaryIO, columns: list[str] | None = None) -> pd.DataFrame:
    """Read a Parquet file with about half the peak memory of `pd.read_parquet`.

    Without pre-buffering pyarrow decodes column chunks as it goes instead of holding the
    whole compressed file too, and `self_destruct` hands each column's buffers to pandas
    one at a time rather than keeping the Arrow table alive beside the DataFrame. The
    result is the same frame, dtypes included (docs/scaling.md).
    """
    import pyarrow.parquet as pq

    table = pq.read_table(path, columns=columns, pre_buffer=False)
    frame: pd.DataFrame = table.to_pandas(self_destruct=True, split_blocks=True)
    del table
    release_arrow_memory()  # decode buffers go back to the OS before the caller allocates
    return frame


def release_arrow_memory() -> None:
    """Return memory Arrow's allocator keeps cached after buffers are freed.

    Frames from `read_parquet` share Arrow's buffers; once such a frame is dropped, its
    pages stay cached by Arrow's allocator, where numpy cannot reuse them, until this runs.
    """
    import pyarrow as pa

    pa.default_memory_pool().release_unused()


def read_table(path: Path, file_format: str, options: CsvOptions | DataParams) -> pd.DataFrame:
    """Read a CSV or Parquet file, turning every common problem into a UserError.

    Given the `data:` params (not only their `csv:` options), the frame is what the model's
    rows look like: data.na_values read as missing, data.dates expanded into their parts.
    Every reader of raw rows (prepare, predict, drift, the data diff) comes through here.
    """
    dp = options if isinstance(options, DataParams) else None
    csv_options = dp.csv if dp else options
    assert isinstance(csv_options, CsvOptions)
    na_values = dp.na_values if dp else []
    frame = _read_file(path, file_format, csv_options, na_values)
    if dp is None:
        return frame
    from gitops_ml.core.dates import expand

    return expand(mark_missing(frame, na_values), dp, str(path))


def mark_missing(frame: pd.DataFrame, na_values: list[str]) -> pd.DataFrame:
    """data.na_values in text columns as missing (the CSV reader already did the exact
    matches; Parquet text is done here), and whitespace-only cells when " " is listed. A
    column left holding only numbers becomes numeric, as a CSV reader would have read it."""
    if not na_values:
        return frame
    blank = any(v.strip() == "" for v in na_values)
    markers = set(na_values)
    for column in frame.columns:
        series = frame[column]
        if not (pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)):
            continue
        text = series.astype("string")
        hits = text.isin(markers).fillna(False)
        if blank:
            hits |= text.str.strip().eq("").fillna(False)
        if not bool(hits.any()):
            continue
        cleaned = series.mask(hits.to_numpy(dtype=bool))
        numbers = pd.to_numeric(cleaned, errors="coerce")
        whole = numbers.notna() | cleaned.isna()
        frame[column] = numbers if bool(whole.all()) else cleaned
    return frame


def _read_file(
    path: Path, file_format: str, options: CsvOptions, na_values: list[str]
) -> pd.DataFrame:
    if file_format != "parquet":
        return _read_csv(path, options, na_values)
    try:
        frame = read_parquet(path)
    except Exception as err:  # pyarrow raises several types for a corrupt file
        raise UserError(
            str(path), "(file)", f"cannot read Parquet: {err}", "re-export it"
        ) from None
    if frame.columns.duplicated().any():
        dupes = sorted(set(frame.columns[frame.columns.duplicated()]))
        raise UserError(str(path), f"columns {dupes}", "duplicated column names", "rename them")
    if frame.empty:
        raise UserError(str(path), "(rows)", "file has no rows", "add data rows")
    return frame


def read_raw(params: Params) -> pd.DataFrame:
    """Read the dataset named in params.yaml, with a clear error for every common mistake."""
    dp = params.data
    path = Path(dp.path)
    if not path.is_file():
        raise UserError(
            "params.yaml",
            "data.path",
            f"{dp.path!r} does not exist",
            "run `make data` (or `dvc pull`), or point data.path at your CSV/Parquet file",
        )
    frame = read_table(path, dp.file_format, dp)
    require_target([str(c) for c in frame.columns], params)
    return frame


def column_names(params: Params) -> list[str]:
    """The data file's column names from its header (CSV) or schema (Parquet) alone."""
    dp = params.data
    path = Path(dp.path)
    if dp.file_format != "parquet":
        return check_header(path, dp.csv.sep, dp.csv.encoding)
    import pyarrow.parquet as pq

    try:
        return list(pq.read_schema(path).names)
    except Exception as err:  # pyarrow raises several types for a corrupt file
        raise UserError(
            str(path), "(file)", f"cannot read Parquet: {err}", "re-export it"
        ) from None


def read_column(params: Params, name: str) -> pd.Series | None:
    """One column of the data file, for checks before prepare; None when the file does not
    read cleanly (prepare then reports why, with the rows)."""
    dp = params.data
    try:
        if dp.file_format == "parquet":
            return mark_missing(read_parquet(Path(dp.path), columns=[name]), dp.na_values)[name]
        options = dp.csv
        frame = pd.read_csv(
            dp.path,
            sep=options.sep,
            encoding=options.encoding,
            usecols=[name],
            na_values=dp.na_values or None,
        )
        column: pd.Series = mark_missing(frame, dp.na_values)[name]
        return column
    except Exception:  # pandas and pyarrow raise many types; prepare names the problem
        return None


def read_head(params: Params, rows: int) -> pd.DataFrame:
    """The first `rows` rows of data.path, read as `read_raw` reads them (missing markers,
    date parts): a cheap look at the columns for `make check`."""
    dp = params.data
    path = Path(dp.path)
    if dp.file_format == "parquet":
        import pyarrow.parquet as pq

        batch = next(pq.ParquetFile(path).iter_batches(batch_size=rows))
        frame: pd.DataFrame = batch.to_pandas()
    else:
        options = dp.csv
        frame = pd.read_csv(
            path,
            sep=options.sep,
            encoding=options.encoding,
            nrows=rows,
            na_values=dp.na_values or None,
        )
    from gitops_ml.core.dates import expand

    return expand(mark_missing(frame, dp.na_values), dp, dp.path)


def require_target(columns: list[str], params: Params) -> None:
    """The target must be a column; the closest name is suggested."""
    dp = params.data
    if dp.target in columns:
        return
    close = [c for c in columns if c.lower() == dp.target.lower()]
    close = close or difflib.get_close_matches(dp.target, columns, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    more = f" and {len(columns) - 40} more" if len(columns) > 40 else ""
    raise UserError(
        dp.path,
        f"data.target={dp.target!r}",
        f"target column not found{hint}",
        f"set data.target in params.yaml to one of: {', '.join(columns[:40])}{more}",
    )


def listed_kind_problems(frame: pd.DataFrame, params: Params) -> list[UserError]:
    """A categorical column must hold text or categories: codes stored as numbers would meet
    a text fill value for missing entries deep inside scikit-learn."""
    numeric = [
        c
        for c in params.data.features.categorical
        if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
    ]
    if not numeric:
        return []
    return [
        UserError(
            "params.yaml",
            "data.features.categorical",
            f"{numeric} hold numbers in {params.data.path}",
            "list them under data.features.numeric, or store their values as text",
        )
    ]


def expanded_names(columns: list[Any], dp: DataParams) -> list[Any]:
    """A raw file's column names as the model's rows have them: each data.dates column
    replaced by its parts (what `read_table` does to the frame)."""
    out: list[Any] = []
    for column in columns:
        if column in dp.dates:
            out += [f"{column}__{part}" for part in dp.dates[column]]
        else:
            out.append(column)
    return out


def feature_names(columns: list[Any], params: Params) -> list[Any]:
    """The candidate feature columns by name (`columns` as `expanded_names` gives them):
    with data.features.infer, every column but the target, data.drop and the split key;
    without, the listed ones and the date parts. The columns module then sorts them into
    roles."""
    dp = params.data
    parts = list(dp.date_parts)
    key = params.row_key
    listed = dp.features.numeric + dp.features.categorical
    if dp.features.infer:
        names = [
            c for c in columns if c != dp.target and c not in dp.drop and (c != key or c in listed)
        ]
    else:
        names = listed + parts
    if ROW_ID in [*names, dp.target]:
        raise UserError(
            dp.path,
            f"column {ROW_ID!r}",
            f"the name is reserved: prepare numbers the rows in a column {ROW_ID!r}",
            "rename the column, or list it under data.drop in params.yaml (a row id is no feature)",
        )
    return names


def require_listed(columns: list[Any], params: Params) -> None:
    """Every column params.yaml names under data.features, data.drop and data.dates is in
    the data (`columns`: the raw header, or a frame whose dates are expanded)."""
    dp = params.data
    present = set(columns) | {src for name, (src, _) in dp.date_parts.items() if name in columns}
    named = dp.features.numeric + dp.features.categorical + dp.drop + list(dp.dates)
    missing = [c for c in named if c not in present]
    if not missing:
        return
    text = [str(c) for c in columns]
    close = {m: difflib.get_close_matches(str(m), text, n=1) for m in missing}
    hints = [
        f"{c[0]!r}" + (f" for {m!r}" if len(missing) > 1 else "") for m, c in close.items() if c
    ]
    keys = [
        key
        for key, names in (
            ("data.features", dp.features.numeric + dp.features.categorical),
            ("data.drop", dp.drop),
            ("data.dates", list(dp.dates)),
        )
        if set(names) & set(missing)
    ]
    raise UserError(
        "params.yaml",
        ", ".join(keys),
        f"columns not in {dp.path}: {missing}"
        + (f" (did you mean {', '.join(hints)}?)" if hints else ""),
        "fix the names or remove them from params.yaml",
    )


def resolve_features(frame: pd.DataFrame, params: Params) -> FeatureSpec:
    """The model's columns: listed ones keep their kind, the rest are inferred from their
    values (gitops_ml.core.columns); every column inference refuses is reported at once."""
    from gitops_ml.core.columns import resolve

    resolved = resolve(frame, params)
    raise_all(resolved.problems)
    return resolved.spec


DIRTY_NUMBERS = 0.9  # a text column whose values are at least this share numbers


def not_numbers(series: pd.Series) -> pd.Series:
    """Values present but not numbers ("12,000", "n/a", True): what makes a column text.
    Booleans count as not numbers, as everywhere features are sorted by kind."""
    if pd.api.types.is_bool_dtype(series):
        return series.notna()
    return series.notna() & pd.to_numeric(series, errors="coerce").isna()


def dirty_numbers(series: pd.Series, column: str, path: str) -> UserError | None:
    """A numeric column with a few values that are not numbers ("12,000", "n/a", " ") reads
    as text, and inference would make it categorical: the model then knows each number seen
    in training as a category and refuses every new one. The error names those values."""
    if not (pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)):
        return None  # pandas categoricals (from Parquet) are text on purpose
    present = series.dropna()
    sample = present.head(1000)
    if sample.empty or 1 - not_numbers(sample).mean() < DIRTY_NUMBERS:
        return None
    text = not_numbers(present)
    share = 1 - float(text.mean())
    if not text.any() or share < DIRTY_NUMBERS:
        return None
    bad = present[text]
    # frames here come straight from a data file (unique RangeIndex): get_loc gives an int,
    # never the slice or mask pandas-stubs also allows for duplicated labels
    rows = [int(series.index.get_loc(i)) for i in bad.index[:5]]  # type: ignore[arg-type]
    return UserError(
        path,
        column,
        f"{share:.1%} of its values are numbers, but {int(text.sum()):,} are not: "
        f"{list(bad.astype(str).unique()[:5])} in rows (0-based) {rows}",
        f"if those values mean missing, list them under data.na_values in params.yaml "
        f"(e.g. data.na_values: {_yaml_list(bad)}); otherwise clean them. Listing the column "
        "as categorical would make every number a category the model cannot generalise from",
    )


def _yaml_list(values: pd.Series) -> str:
    """Up to five distinct values as a YAML flow list, quoted: `[" ", "N/A"]`."""
    return "[" + ", ".join(json.dumps(str(v)) for v in values.unique()[:5]) + "]"
