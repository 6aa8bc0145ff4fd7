"""Atomic writes: all or nothing, with the permissions a plain write would give."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from gitops_ml.core.atomic import atomic_path, write_text


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_file_follows_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        write_text(tmp_path / "private.csv", "a\n")
    finally:
        os.umask(old)
    assert _mode(tmp_path / "private.csv") == 0o600
    write_text(tmp_path / "shared.csv", "a\n")
    assert _mode(tmp_path / "shared.csv") == 0o666 & ~old


def test_a_replaced_file_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "scores.csv"
    path.write_text("old\n")
    path.chmod(0o640)
    write_text(path, "new\n")
    assert (path.read_text(), _mode(path)) == ("new\n", 0o640)


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "model.skops"
    path.write_text("last good\n")
    with pytest.raises(RuntimeError), atomic_path(path) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed mid-write")
    assert path.read_text() == "last good\n"
    assert [p.name for p in tmp_path.iterdir()] == ["model.skops"]
