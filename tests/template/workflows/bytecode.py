"""A uv cache whose packages are already byte-compiled, for the jobs act runs.

Every job of a scenario makes a fresh `.venv` (`make setup`, as on GitHub), and Python then
compiles each module it imports for the first time: 6-8 s of a 30-50 s job, paid again by
every job of every scenario. uv fills a venv by hard-linking the files of its cache, and it
links a package's `__pycache__/` folders too, so a cache whose packages hold their
bytecode gives every new venv compiled modules for free. That is what a runner image with a
warm package cache gives; nothing a workflow does changes.

The machine's own uv cache is never written: `compiled_uv_cache` makes a hard-linked copy
(files shared, folders new), gives it bytecode only for the packages `requirements.lock`
installs, and returns it for UV_CACHE_DIR. The tests' own `.venv` was filled from the same
cache, so its sources are the very files (same inodes) and the bytecode `make setup`
compiled for them is valid for the copy too: that is linked in, and only what is still
missing is compiled (compiling it all again took 65 s of CPU, a minute of two cores' share
of the test run). When the copy cannot be made (the cache is on another file system, uv is
missing), it returns None and jobs compile as they go, only slower.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.conftest import REPO_ROOT

_DONE = ".compiled"  # written last: a cache without it is rebuilt


def _uv() -> str:
    return shutil.which("uv") or str(Path.home() / ".local" / "bin" / "uv")


def machine_uv_cache() -> Path | None:
    try:
        out = subprocess.run([_uv(), "cache", "dir"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    folder = Path(out.stdout.strip())
    return folder if (folder / "archive-v0").is_dir() else None


def compiled_uv_cache(root: Path) -> Path | None:
    """A compiled copy of the machine's uv cache under `root`, made once for every pytest
    worker that shares `root` (a file lock serialises them); None when it cannot be made."""
    target = root / "uv-cache"
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "uv-cache.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (target / _DONE).is_file():
            return target
        source = machine_uv_cache()
        if source is None:
            return None
        shutil.rmtree(target, ignore_errors=True)
        try:
            shutil.copytree(source, target, copy_function=os.link, symlinks=True)
        except OSError:  # another file system: no hard links
            shutil.rmtree(target, ignore_errors=True)
            return None
        sources = _sources_of_the_lock(target)
        _link_bytecode(Path(sys.prefix), sources)
        _compile(target, {archive for archive, _ in sources.values()})
        (target / _DONE).touch()
        return target


Inode = tuple[int, int]


def _inode(path: str | Path) -> Inode:
    st = os.stat(path)
    return st.st_dev, st.st_ino


def _sources_of_the_lock(cache: Path) -> dict[Inode, tuple[Path, Path]]:
    """The .py files of the cache that a venv from requirements.lock links to: by inode,
    their package folder (archive) and path."""
    by_inode: dict[Inode, tuple[Path, Path]] = {}
    archive = cache / "archive-v0"
    for entry in archive.iterdir():
        for folder, _, files in os.walk(entry):
            for name in files:
                if name.endswith(".py"):
                    path = Path(folder, name)
                    by_inode[_inode(path)] = (entry, path)
    with tempfile.TemporaryDirectory(dir=cache.parent) as scratch:
        venv = Path(scratch) / "venv"
        env = {**os.environ, "UV_CACHE_DIR": str(cache), "UV_LINK_MODE": "hardlink"}
        uv = _uv()
        for argv in (
            [uv, "venv", "--quiet", "--python", sys.executable, str(venv)],
            [
                uv,
                "pip",
                "sync",
                "--quiet",
                "--offline",
                "--python",
                str(venv / "bin" / "python"),
                str(REPO_ROOT / "requirements.lock"),
            ],
        ):
            if subprocess.run(argv, env=env, capture_output=True).returncode != 0:
                return {}
        used = {}
        for folder, _, files in os.walk(venv):
            for name in files:
                if name.endswith(".py"):
                    key = _inode(os.path.join(folder, name))
                    if key in by_inode:
                        used[key] = by_inode[key]
        return used


def _link_bytecode(venv: Path, sources: dict[Inode, tuple[Path, Path]]) -> None:
    """Link the bytecode `venv` holds for any of `sources` beside that source in the cache.

    A .pyc records its source's modification time and size, and a hard link shares both,
    so the venv's bytecode is current for the cache's file. Python never writes into an
    existing .pyc (it replaces the file), so the shared one cannot be changed under a job.
    """
    suffix = f".{sys.implementation.cache_tag}.pyc"
    for folder, _, files in os.walk(venv):
        if Path(folder).name != "__pycache__":
            continue
        for name in files:
            if not name.endswith(suffix):
                continue  # optimised (.opt-1) or another Python's bytecode
            source = Path(folder).parent / f"{name[: -len(suffix)]}.py"
            try:
                found = sources.get(_inode(source))
            except OSError:
                continue
            if found is None:
                continue
            cached = found[1].parent / "__pycache__" / name
            cached.parent.mkdir(exist_ok=True)
            with contextlib.suppress(FileExistsError):
                os.link(Path(folder, name), cached)


def _compile(cache: Path, archives: set[Path]) -> None:
    """Byte-compile what `archives` still lack, in place, as the jobs' Python would on import
    (compileall leaves current bytecode alone). Scripts under `<dist>.data/scripts/` are
    left alone: uv refuses a folder there."""
    if not archives:
        return
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "compileall",
            "-q",
            "-j",
            "0",
            "-x",
            r"\.data[/\\]",
            *map(str, sorted(archives)),
        ],
        env=env,
        cwd=cache,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,  # a test file written for another Python version does not compile
    )
