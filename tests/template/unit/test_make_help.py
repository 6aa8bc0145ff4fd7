"""`make help` lists every target once, under the group of the people who run it."""

from __future__ import annotations

import re
import subprocess

from tests.conftest import REPO_ROOT


def help_groups() -> dict[str, list[str]]:
    out = subprocess.run(
        ["make", "--no-print-directory", "-C", str(REPO_ROOT), "help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    groups: dict[str, list[str]] = {}
    current = None
    for line in re.sub(r"\x1b\[[0-9;]*m", "", out).splitlines():
        if line.endswith(":") and not line.startswith(" "):
            current = line[:-1]
            assert current not in groups, f"group {current!r} printed twice"
            groups[current] = []
        elif line.strip():
            assert current is not None, f"{line!r} is listed before any group"
            groups[current].append(line.split()[0])
    return groups


def documented_targets() -> list[str]:
    text = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    return re.findall(r"^([a-zA-Z_-]+):.*## ", text, flags=re.M)


def test_every_documented_target_is_listed_once_under_a_group() -> None:
    groups = help_groups()
    listed = [target for targets in groups.values() for target in targets]
    assert sorted(listed) == sorted(documented_targets())
    assert len(listed) == len(set(listed))


def test_the_groups_follow_who_runs_the_targets() -> None:
    groups = help_groups()
    assert list(groups) == [
        "Everyday",
        "Pull-request review",
        "Release and production",
        "CI only",
        "Template maintenance",
    ]
    assert {"setup", "check", "repro", "exp", "test", "init", "predict"} <= set(groups["Everyday"])
    assert {"report", "gate", "test-model", "tune-check"} <= set(groups["Pull-request review"])
    assert {"register", "promote", "release"} <= set(groups["Release and production"])
    # the workflows' glue is kept apart from what a developer types
    assert {
        "pr-checks",
        "check-result",
        "comment-body",
        "comment",
        "relock-push",
        "ci-git-setup",
    } <= set(groups["CI only"])
    assert not {t for t in groups["Everyday"] if t.startswith("ci-")}
