"""Whether GitHub would start a workflow for an event: the `on:` filters act ignores.

act runs whatever workflow file it is given for any event the file lists, without looking at
`branches`, `paths`, `tags`, `types` or `workflows` filters. A scenario that runs a workflow
GitHub would not have started proves nothing, so the harness checks the filters first, with
GitHub's documented rules (the filter pattern cheat sheet), and refuses such a run.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import yaml

# Activity types that start a workflow when its `types:` is not given.
DEFAULT_TYPES = {
    "pull_request": {"opened", "synchronize", "reopened"},
    "pull_request_target": {"opened", "synchronize", "reopened"},
}


@cache
def _regex(pattern: str) -> re.Pattern[str]:
    """A filter pattern: `*` within a path segment, `**` across them, `?` and `+` as
    quantifiers of the preceding character, `[...]` a character class."""
    out = ""
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**", i):
            out += ".*"
            i += 2
            continue
        if c == "*":
            out += "[^/]*"
        elif c in "?+":
            out += c
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end > i:
                out += pattern[i : end + 1]
                i = end + 1
                continue
            out += re.escape(c)
        else:
            out += re.escape(c)
        i += 1
    return re.compile(f"^{out}$")


def matches(patterns: Sequence[str], value: str) -> bool:
    """GitHub's ordered filter: the last pattern that matches decides; `!` excludes."""
    matched = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        if _regex(pattern[1:] if negate else pattern).match(value):
            matched = not negate
    return matched


def load_on(path: Path) -> dict[str, Any]:
    """The `on:` of a workflow file as a mapping of event -> filters (None: no filters)."""
    data = yaml.safe_load(path.read_text())
    on = data.get("on", data.get(True))  # PyYAML reads the key `on` as True
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return dict.fromkeys(on)
    return dict(on or {})


def _list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def _ref_filters(filters: Mapping[str, Any], ref: str) -> str | None:
    if ref.startswith("refs/tags/"):
        kind, name = "tags", ref.removeprefix("refs/tags/")
    else:
        kind, name = "branches", ref.removeprefix("refs/heads/")
    other = "branches" if kind == "tags" else "tags"
    if kind in filters and not matches(_list(filters[kind]), name):
        return f"{name} is not in {kind}: {filters[kind]}"
    ignored = f"{kind}-ignore"
    if ignored in filters and matches(_list(filters[ignored]), name):
        return f"{name} is in {ignored}: {filters[ignored]}"
    if other in filters and kind not in filters:
        return f"only {other} start it"
    return None


def _path_filters(filters: Mapping[str, Any], changed: Sequence[str] | None) -> str | None:
    if "paths" not in filters and "paths-ignore" not in filters:
        return None
    if changed is None:
        raise ValueError("this workflow filters on paths: give the changed files")
    if "paths" in filters and not any(matches(_list(filters["paths"]), f) for f in changed):
        return f"no changed file matches paths: {filters['paths']} (changed: {list(changed)})"
    if "paths-ignore" in filters and all(
        matches(_list(filters["paths-ignore"]), f) for f in changed
    ):
        return f"every changed file matches paths-ignore: {filters['paths-ignore']}"
    return None


def not_triggered(
    path: Path,
    event: str,
    payload: Mapping[str, Any],
    changed: Sequence[str] | None = None,
) -> str | None:
    """Why GitHub would not start the workflow at `path` for this event, or None if it would.

    `changed` lists the files the push or pull request changes (needed for `paths:`).
    """
    on = load_on(path)
    if event not in on:
        return f"{path.name} has no `on: {event}` (it has {', '.join(map(str, on))})"
    filters = on[event] or {}
    if not isinstance(filters, Mapping):
        return None
    action = payload.get("action")
    types = _list(filters.get("types")) or sorted(DEFAULT_TYPES.get(event, ()))
    if action and types and action not in types:
        return f"activity type {action!r} is not in types: {types}"
    if event in ("pull_request", "pull_request_target"):
        base = payload.get("pull_request", {}).get("base", {}).get("ref", "")
        return _ref_filters(filters, f"refs/heads/{base}") or _path_filters(filters, changed)
    if event == "push":
        return _ref_filters(filters, str(payload.get("ref", ""))) or _path_filters(filters, changed)
    if event == "workflow_run":
        run = payload.get("workflow_run", {})
        names = _list(filters.get("workflows"))
        if names and run.get("name") not in names:
            return f"workflow_run of {run.get('name')!r}, not of {names}"
        return _ref_filters(filters, f"refs/heads/{run.get('head_branch', '')}")
    return None
