"""What changed in the data between BASE and the PR: files, rows, schema, drift, split.

Shown only when the data or the split changed (the prepare stage re-ran or data.dvc moved),
because then the two models were not scored on the same rows and the reviewer needs to know
how different those rows are. Drift compares only the rows the PR added or changed with
BASE's data, over the PR model's features: appending 500 shifted rows to 6,000 dilutes a
whole-file comparison to nothing. The split overlap says whether rows BASE trained on are
now test rows (the random split reshuffles when rows are added).

Rows are matched by a hash of their values (`gitops_ml.core.split.stable_hashes`), which
survives a column's dtype changing between the commits (ints that gain a missing value).
"""

from __future__ import annotations

import io
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from gitops_ml.core import config, params, stats
from gitops_ml.review.base import Side

if TYPE_CHECKING:
    from numpy.typing import NDArray

DATA_DVC = "data.dvc"


@dataclass(frozen=True)
class RowChanges:
    """Rows of the raw data matched by their values on the columns both files have."""

    added: int  # rows of the PR's data not in BASE's: new or changed
    removed: int  # rows of BASE's data not in the PR's: deleted or changed
    unchanged: int  # rows of the PR's data also in BASE's
    columns: int  # how many columns the rows were matched on


@dataclass(frozen=True)
class SplitOverlap:
    """Where BASE's train and test rows are in the PR's split (matched by their values)."""

    base_test: int
    still_test: int  # BASE's test rows that are PR test rows too
    test_to_train: int  # BASE's test rows the PR trains on
    train_to_test: int  # BASE's train rows in the PR's test split: BASE has seen them
    pr_test: int
    pr_method: str  # the PR's split.method


@dataclass
class DataDiff:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    modified: list[str] = field(default_factory=list)
    rows: list[tuple[str, int | None, int | None]] = field(default_factory=list)
    columns_added: list[str] = field(default_factory=list)
    columns_removed: list[str] = field(default_factory=list)
    retyped: list[tuple[str, str, str]] = field(default_factory=list)
    # drift of the added or changed rows against BASE's data, over the PR's features
    drift: list[stats.ColumnDrift] = field(default_factory=list)
    row_changes: RowChanges | None = None
    overlap: SplitOverlap | None = None
    notes: list[str] = field(default_factory=list)


def data_changed(base: Side, pr: Side, reran: list[str], pr_params: dict[str, Any]) -> bool:
    """The data or the split changed: a stage reading the data file re-ran (the PR's
    dvc.yaml says which), or data.dvc points at other files."""
    from gitops_ml.core.stages import data_readers

    readers = data_readers(pr_params)
    return any(stage in reran for stage in readers) or base.text(DATA_DVC) != pr.text(DATA_DVC)


def _file_changes(base_rev: str, diff: DataDiff) -> None:
    """Files under data/ that were added, removed or modified, as DVC sees them."""
    start = time.perf_counter()
    try:
        from dvc.repo import Repo

        with Repo(".") as repo:
            changes = repo.diff(a_rev=base_rev, targets=[config.DATA_DIR.as_posix()])
    except Exception as err:  # DVC raises many types for a missing cache or bad revision
        diff.notes.append(f"file changes unknown: {str(err).splitlines()[0] if str(err) else err}")
        return
    finally:
        Side.dvc_seconds += time.perf_counter() - start
    for key, target in (("added", diff.added), ("deleted", diff.removed)):
        target += sorted(e["path"] for e in changes.get(key, []) if not e["path"].endswith("/"))
    diff.modified += sorted(
        e["path"] for e in changes.get("modified", []) if not e["path"].endswith("/")
    )
    for entry in changes.get("renamed", []):
        diff.removed.append(entry["path"]["old"])
        diff.added.append(entry["path"]["new"])


def read_table(payload: bytes, settings: dict[str, Any]) -> pd.DataFrame:
    """Read raw data bytes with one side's `data:` params (format, separator, encoding,
    missing markers, date parts), through the reader prepare uses."""
    from gitops_ml.core.data import read_bytes

    side = params.DataParams.model_validate(settings)
    return read_bytes(payload, side.path, side.file_format, side)


def _raw(side: Side, params: dict[str, Any] | None, diff: DataDiff) -> pd.DataFrame | None:
    settings = (params or {}).get("data") or {}
    if not settings.get("path"):
        return None
    data = side.dvc_bytes(settings["path"])
    if data is None:
        diff.notes.append(f"{settings['path']} at {side.label} is not available")
        return None
    try:
        return read_table(data, settings)
    except Exception as err:  # pandas and pyarrow raise many types for unreadable files
        diff.notes.append(f"{settings['path']} at {side.label} cannot be read ({err})")
        return None


def _prepared(side: Side, path: Path) -> pd.DataFrame | None:
    from gitops_ml.core.data import read_parquet

    data = side.dvc_bytes(path)
    return None if data is None else read_parquet(io.BytesIO(data))


def _length(frame: pd.DataFrame | None) -> int | None:
    return None if frame is None else len(frame)


def _hashes(frame: pd.DataFrame, columns: list[str]) -> NDArray[Any]:
    from gitops_ml.core.split import stable_hashes

    return stable_hashes(frame, columns, seed=0)


def _shared(old: pd.DataFrame, new: pd.DataFrame) -> list[str]:
    return [str(c) for c in new.columns if c in old.columns and c != config.ROW_ID]


def split_overlap(
    base: tuple[NDArray[Any], NDArray[Any]], pr: tuple[NDArray[Any], NDArray[Any]], method: str
) -> SplitOverlap:
    """Where BASE's (train, test) rows went in the PR's (train, test), by their row hashes."""
    (base_train, base_test), (pr_train, pr_test) = base, pr
    return SplitOverlap(
        base_test=len(base_test),
        still_test=int(np.isin(base_test, pr_test).sum()),
        test_to_train=int(np.isin(base_test, pr_train).sum()),
        train_to_test=int(np.isin(base_train, pr_test).sum()),
        pr_test=len(pr_test),
        pr_method=method,
    )


def _features(pr: Side, new: pd.DataFrame, pr_params: dict[str, Any], diff: DataDiff) -> list[str]:
    """The PR model's feature columns: its features.json, else every column but the target
    and data.drop (never a dropped column or the target: they do not reach the model)."""
    data = pr.dvc_bytes(config.FEATURES_FILE)
    spec = json.loads(data) if data else None
    if isinstance(spec, dict) and isinstance(spec.get("numeric"), list):
        return [str(c) for c in spec["numeric"] + spec.get("categorical", [])]
    diff.notes.append(
        f"{config.FEATURES_FILE.as_posix()} of the PR is missing: drift over every column "
        "but the target and data.drop"
    )
    settings = pr_params.get("data") or {}
    skip = {settings.get("target"), *(settings.get("drop") or [])}
    return [str(c) for c in new.columns if c not in skip]


def _added_rows(old: pd.DataFrame, new: pd.DataFrame, diff: DataDiff) -> pd.DataFrame:
    """The PR's rows that BASE's data does not have (new or changed), counted in `diff`."""
    columns = _shared(old, new)
    old_hashes, new_hashes = _hashes(old, columns), _hashes(new, columns)
    fresh = ~np.isin(new_hashes, old_hashes)
    gone = int((~np.isin(old_hashes, new_hashes)).sum())
    diff.row_changes = RowChanges(int(fresh.sum()), gone, int((~fresh).sum()), len(columns))
    added: pd.DataFrame = new[fresh]
    return added


def data_diff(
    base: Side,
    pr: Side,
    base_params: dict[str, Any] | None,
    pr_params: dict[str, Any],
    bins: int = 10,
) -> DataDiff:
    assert base.rev is not None
    diff = DataDiff()
    _file_changes(base.rev, diff)
    old, new = _raw(base, base_params, diff), _raw(pr, pr_params, diff)
    diff.rows.append(("raw data", _length(old), _length(new)))
    hashes: tuple[list[NDArray[Any]], list[NDArray[Any]]] = ([], [])
    for name, path in (("train split", config.TRAIN_FILE), ("test split", config.TEST_FILE)):
        old_part, new_part = _prepared(base, path), _prepared(pr, path)
        diff.rows.append((name, _length(old_part), _length(new_part)))
        if old_part is not None and new_part is not None:
            columns = _shared(old_part, new_part)
            hashes[0].append(_hashes(old_part, columns))
            hashes[1].append(_hashes(new_part, columns))
    if len(hashes[1]) == 2:
        method = str((pr_params.get("split") or {}).get("method", "random"))
        diff.overlap = split_overlap(
            (hashes[0][0], hashes[0][1]), (hashes[1][0], hashes[1][1]), method
        )
    if old is None or new is None:
        return diff
    diff.columns_added = [str(c) for c in new.columns if c not in old.columns]
    diff.columns_removed = [str(c) for c in old.columns if c not in new.columns]
    diff.retyped = [
        (str(c), str(old[c].dtype), str(new[c].dtype))
        for c in old.columns
        if c in new.columns and str(old[c].dtype) != str(new[c].dtype)
    ]
    added = _added_rows(old, new, diff)
    features = [c for c in _features(pr, new, pr_params, diff) if c in old.columns]
    if len(added):
        diff.drift = stats.column_drift(old, added, columns=features, bins=bins)
    return diff
