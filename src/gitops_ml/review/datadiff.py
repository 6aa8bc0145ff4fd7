"""What changed in the data between BASE and the PR: files, rows, schema, per-column drift.

Shown only when the data or the split changed (the prepare stage re-ran or data.dvc moved),
because then the two models were not scored on the same rows and the reviewer needs to know
how different those rows are.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from gitops_ml.core import config, params, stats
from gitops_ml.review.base import Side

DATA_DVC = "data.dvc"


@dataclass
class DataDiff:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    modified: list[str] = field(default_factory=list)
    rows: list[tuple[str, int | None, int | None]] = field(default_factory=list)
    columns_added: list[str] = field(default_factory=list)
    columns_removed: list[str] = field(default_factory=list)
    retyped: list[tuple[str, str, str]] = field(default_factory=list)
    drift: list[stats.ColumnDrift] = field(default_factory=list)
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


def _parquet_rows(side: Side, path: Path) -> int | None:
    import pyarrow.parquet as pq

    data = side.dvc_bytes(path)
    return None if data is None else pq.ParquetFile(io.BytesIO(data)).metadata.num_rows


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
    diff.rows.append(
        ("raw data", None if old is None else len(old), None if new is None else len(new))
    )
    for name, path in (("train split", config.TRAIN_FILE), ("test split", config.TEST_FILE)):
        diff.rows.append((name, _parquet_rows(base, path), _parquet_rows(pr, path)))
    if old is None or new is None:
        return diff
    diff.columns_added = [str(c) for c in new.columns if c not in old.columns]
    diff.columns_removed = [str(c) for c in old.columns if c not in new.columns]
    diff.retyped = [
        (str(c), str(old[c].dtype), str(new[c].dtype))
        for c in old.columns
        if c in new.columns and str(old[c].dtype) != str(new[c].dtype)
    ]
    diff.drift = stats.column_drift(old, new, bins=bins)
    return diff
