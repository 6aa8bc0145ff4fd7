"""Check results kept under the hash of exactly what the check reads: reuse instead of refit.

feature-cost, tune-check, test-model and train-cost refit or re-score models; in a PR job
they cost several times the pipeline itself. Each is a function of its inputs: files (by
content), params, the package's code and the locked environment. So, like DVC's run-cache
for stages, a check's outputs are stored under `.dvc/cache/checks/<check>/<key>/` and
restored when the same key comes again: a re-run of the workflow (actions/cache brings the
DVC cache back), a push that touched nothing the check reads, a developer's second call.
These checks are not pipeline stages on purpose: they compare BASE with the PR, and
running them on every `make repro` would slow every author down.
"""

from __future__ import annotations

import functools
import hashlib
import json
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from gitops_ml.core.atomic import atomic_path, write_text

CACHE_DIR = Path(".dvc") / "cache" / "checks"
MANIFEST = "manifest.json"
PACKAGE = Path(__file__).resolve().parents[1]  # gitops_ml
LOCK_FILE = Path("requirements.lock")


def _digest_path(path: Path, h: Any) -> None:
    """Feed a file's bytes, or a folder's files (sorted, with their relative names), to `h`."""
    if path.is_file():
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                h.update(block)
    elif path.is_dir():
        for child in sorted(p for p in path.rglob("*") if p.is_file()):
            h.update(str(child.relative_to(path)).encode() + b"\0")
            _digest_path(child, h)
    else:
        h.update(b"\0missing\0")


def code_packages() -> list[Path]:
    """The code a check runs: the machinery, and the team's package, whose pipeline every
    refit builds (found where Python imports it from, by the name pyproject.toml's hook
    gives)."""
    import importlib.util

    from gitops_ml.core import hook
    from gitops_ml.core.errors import UserError

    folders = [PACKAGE]
    try:
        spec = importlib.util.find_spec(hook.package())
    except (ImportError, ValueError, UserError):  # no hook: the checks say so themselves
        spec = None
    if spec is not None and spec.submodule_search_locations:
        folders += [Path(p).resolve() for p in spec.submodule_search_locations]
    return folders


def source_digest(folders: Iterable[Path]) -> str:
    """Every .py file under `folders`, by name and content."""
    h = hashlib.sha256()
    for folder in folders:
        for source in sorted(folder.rglob("*.py")):
            h.update(f"{folder.name}/{source.relative_to(folder)}".encode() + b"\0")
            h.update(source.read_bytes())
    return h.hexdigest()


@functools.cache
def code_digest() -> str:
    """The code (machinery and team's package) and the locked environment: a change to any
    of them is a new key."""
    h = hashlib.sha256(source_digest(code_packages()).encode())
    _digest_path(LOCK_FILE, h)
    return h.hexdigest()


def key(paths: Iterable[str | Path], values: Mapping[str, Any]) -> str:
    """The hash of what a check reads: its files' contents, its settings, and the code."""
    h = hashlib.sha256(code_digest().encode())
    for path in sorted(str(p) for p in paths):
        h.update(path.encode() + b"\0")
        _digest_path(Path(path), h)
    h.update(json.dumps(values, sort_keys=True, default=str).encode())
    return h.hexdigest()[:40]


def _folder(check: str, digest: str) -> Path:
    return CACHE_DIR / check / digest


def _store(check: str, digest: str, outputs: list[Path], exit_code: int) -> None:
    folder = _folder(check, digest)
    staging = folder.with_name(f".{folder.name}.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for number, output in enumerate(outputs):
        if output.is_file():
            shutil.copyfile(output, staging / f"{number}-{output.name}")
    manifest = {
        "check": check,
        "exit_code": exit_code,
        "outputs": [str(o) for o in outputs],
        "stored": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    shutil.rmtree(folder, ignore_errors=True)
    staging.replace(folder)  # whole entries only: a crash leaves the old one or none


def _restore(check: str, digest: str, outputs: list[Path]) -> dict[str, Any] | None:
    folder = _folder(check, digest)
    try:
        manifest: dict[str, Any] = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if manifest.get("outputs") != [str(o) for o in outputs]:
        return None
    for number, output in enumerate(outputs):
        stored = folder / f"{number}-{output.name}"
        if stored.is_file():
            with atomic_path(output) as tmp:
                shutil.copyfile(stored, tmp)
    return manifest


def run_cached(
    check: str,
    digest: str,
    outputs: list[Path],
    compute: Callable[[], int],
    note_file: Path | None = None,
    keep: Callable[[], bool] = lambda: True,
) -> int:
    """`compute()` (it writes `outputs`, returns the exit status), unless a run with the same
    key stored its outputs: then restore them, say so in `note_file` and return its status.
    A computed result is stored unless `keep()`, asked afterwards, says it is incomplete."""
    found = _restore(check, digest, outputs)
    if found is not None:
        note = (
            f"Reused: `{check}` already ran on exactly these inputs (key `{digest[:12]}`, "
            f"{found['stored']}); nothing was refit."
        )
        if note_file is not None and note_file.is_file():
            text = note_file.read_text(encoding="utf-8").rstrip("\n")
            write_text(note_file, f"{text}\n\n*{note}*\n")
            print(text)  # the log reads as when the check ran
        print(f"{check}: {note}", file=sys.stderr)
        return int(found["exit_code"])
    status = compute()
    if keep():
        _store(check, digest, outputs, status)
    return status
