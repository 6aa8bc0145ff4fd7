"""requirements.lock agrees with pyproject.toml and with the environment it built.

The lock holds versions and hashes only (no index or download URL), so it is checked
here rather than trusted: a dependency added to pyproject.toml without `make lock`, or
a lock entry that no longer satisfies its specifier, fails this test.
"""

from __future__ import annotations

import re
import sys
from importlib import metadata

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.conftest import REPO_ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

LOCKED_EXTRAS = ("dev", "s3", "dask")  # the Makefile's `lock` target compiles these
ENTRY = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")


def lock_entries(text: str | None = None) -> list[tuple[str, str, Marker | None, int]]:
    """(name, version, marker, number of hashes) for every pinned line."""
    entries: list[tuple[str, str, Marker | None, int]] = []
    text = (REPO_ROOT / "requirements.lock").read_text() if text is None else text
    for line in text.splitlines():
        match = ENTRY.match(line)
        if match:
            name, version, marker = match.groups()
            entries.append(
                (
                    canonicalize_name(name.split("[")[0]),
                    version,
                    Marker(marker) if marker else None,
                    0,
                )
            )
        elif line.strip().startswith("--hash=sha256:") and entries:
            name, version, marker, hashes = entries[-1]
            entries[-1] = (name, version, marker, hashes + 1)
    return entries


def applicable(marker: Marker | None) -> bool:
    return marker is None or marker.evaluate()


def project_requirements(text: str | None = None) -> list[Requirement]:
    text = (REPO_ROOT / "pyproject.toml").read_text() if text is None else text
    project = tomllib.loads(text)["project"]
    declared = list(project["dependencies"])
    for extra in LOCKED_EXTRAS:
        declared += project["optional-dependencies"][extra]
    return [Requirement(r) for r in declared]


def test_lock_names_no_index_or_download_host_and_hashes_every_pin() -> None:
    text = (REPO_ROOT / "requirements.lock").read_text()
    assert "://" not in text
    assert not re.search(r"^\s*--(index-url|extra-index-url|find-links)", text, re.M)
    entries = lock_entries()
    assert len(entries) > 50
    assert all(hashes > 0 for _, _, _, hashes in entries)


def unlocked(requirement: Requirement, entries: list[tuple[str, str, Marker | None, int]]) -> str:
    """Why the lock does not satisfy `requirement` ('' when it does)."""
    name = canonicalize_name(requirement.name)
    pins = [v for n, v, marker, _ in entries if n == name and applicable(marker)]
    if not pins:
        return (
            f"{requirement.name} is in pyproject.toml but not in requirements.lock: run `make lock`"
        )
    if not all(requirement.specifier.contains(v, prereleases=True) for v in pins):
        return f"requirements.lock pins {requirement.name}=={pins} outside {requirement.specifier}: run `make lock`"
    return ""


@pytest.mark.parametrize("requirement", project_requirements(), ids=str)
def test_every_declared_dependency_is_locked_at_a_version_it_allows(
    requirement: Requirement,
) -> None:
    assert unlocked(requirement, lock_entries()) == ""


def test_a_dependency_changed_without_relocking_is_caught() -> None:
    """A dependency added or raised in pyproject.toml without `make lock` fails the suite
    (so Dependabot's pyproject bumps and hand edits cannot land unlocked)."""
    text = (REPO_ROOT / "pyproject.toml").read_text()
    changed = re.sub(r'"pandas[^"]*"', '"pandas>=99"', text, count=1)
    changed = changed.replace("dependencies = [", 'dependencies = [\n    "left-pad>=1.0",', 1)
    assert changed != text
    problems = {str(r): unlocked(r, lock_entries()) for r in project_requirements(changed)}
    assert problems["left-pad>=1.0"].startswith("left-pad is in pyproject.toml but not in")
    assert "outside >=99: run `make lock`" in problems["pandas>=99"]


def test_environment_was_built_exactly_from_the_lock() -> None:
    mismatched = []
    for name, version, marker, _ in lock_entries():
        if not applicable(marker):
            continue
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            mismatched.append(f"{name} (not installed)")
            continue
        if Version(installed) != Version(version):
            mismatched.append(f"{name} {installed} != {version}")
    assert not mismatched, f"run `make setup`: {mismatched}"
