"""Which version comes next: the bump rule, kept pure so it can be tested without git.

Rule (docs/releases.md):
- the first registered version is `registry.first_version` (v1.0.0 by default);
- major when the feature schema or the data contract changed: callers must adapt;
- otherwise a requested level (`release:major|minor|patch` PR label, `Release: <level>`
  commit trailer, or `make register BUMP=<level>`), the highest if several;
- otherwise minor: a new model that takes the same inputs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from gitops_ml.core.params import VERSION as _SEMVER

LEVELS = ("patch", "minor", "major")
_LABEL = re.compile(r"^release:\s*(major|minor|patch)$", re.IGNORECASE)
_TRAILER = re.compile(r"^release:\s*(major|minor|patch)\s*$", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True, order=True)
class SemVer:
    major: int
    minor: int
    patch: int

    @classmethod
    def parse(cls, text: str) -> SemVer:
        match = _SEMVER.match(text.strip())
        if not match:
            raise ValueError(f"{text!r} is not a version like v1.2.3")
        return cls(*(int(g) for g in match.groups()))

    @classmethod
    def is_valid(cls, text: str) -> bool:
        return bool(_SEMVER.match(text))

    @classmethod
    def require(cls, text: str | None, command: str) -> None:
        """Stop a command given VERSION=<something else> before it touches anything."""
        if not cls.is_valid(text or ""):
            from gitops_ml.core.errors import UserError

            raise UserError(
                command, "VERSION", f"{text!r} is not a version like v1.2.0", "pass VERSION=vX.Y.Z"
            )

    def bump(self, level: str) -> SemVer:
        if level == "major":
            return SemVer(self.major + 1, 0, 0)
        if level == "minor":
            return SemVer(self.major, self.minor + 1, 0)
        if level == "patch":
            return SemVer(self.major, self.minor, self.patch + 1)
        raise ValueError(f"unknown bump level {level!r}; use one of {', '.join(LEVELS)}")

    def __str__(self) -> str:
        return f"v{self.major}.{self.minor}.{self.patch}"


@dataclass(frozen=True)
class Bump:
    level: str  # "first" | "major" | "minor" | "patch"
    reason: str


def highest(levels: Iterable[str]) -> str | None:
    found = [level for level in levels if level in LEVELS]
    return max(found, key=LEVELS.index) if found else None


def levels_from_labels(labels: Iterable[str]) -> list[str]:
    """`release:major` style PR labels (others ignored)."""
    return [m.group(1).lower() for label in labels if (m := _LABEL.match(label.strip()))]


def levels_from_messages(messages: Iterable[str]) -> list[str]:
    """`Release: minor` trailer lines in commit messages."""
    return [m.lower() for text in messages for m in _TRAILER.findall(text)]


def decide(
    *,
    first: bool,
    features_changed: bool,
    contract_changed: bool,
    requested: str | None,
    requested_from: str = "request",
) -> Bump:
    """The bump level and a one-line reason that goes into the tag message."""
    if first:
        return Bump("first", "first registered version")
    why = [
        w
        for w, hit in (("feature schema", features_changed), ("data contract", contract_changed))
        if hit
    ]
    if why:
        reason = f"{' and '.join(why)} changed"
        if requested and requested != "major":
            reason += f" (overrides {requested} from {requested_from})"
        return Bump("major", reason)
    if requested:
        return Bump(requested, f"{requested} requested by {requested_from}")
    return Bump("minor", "new model with the same inputs")


def next_version(latest: SemVer | None, first_version: SemVer, bump: Bump) -> SemVer:
    if latest is None:
        return first_version
    return latest.bump("minor" if bump.level == "first" else bump.level)
