"""The files a new team relies on from day one exist and say what they must."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO_ROOT

GITHUB = REPO_ROOT / ".github"


def test_pre_commit_runs_ruff_and_dvcs_git_hooks_from_the_venv() -> None:
    config = yaml.safe_load((REPO_ROOT / ".pre-commit-config.yaml").read_text())
    hooks = {h["id"]: h for repo in config["repos"] for h in repo["hooks"]}
    assert {"ruff", "ruff-format", "dvc-pre-commit", "dvc-pre-push", "dvc-post-checkout"} <= set(
        hooks
    )
    for hook in hooks.values():
        assert hook["entry"].startswith(".venv/bin/"), hook["id"]  # the locked versions


def test_devcontainer_is_python_3_11_and_runs_make_setup() -> None:
    config = json.loads((REPO_ROOT / ".devcontainer" / "devcontainer.json").read_text())
    assert re.search(r":\d+-3\.11-", config["image"])
    assert config["postCreateCommand"] == "make setup"
    assert (REPO_ROOT / ".python-version").read_text().strip().startswith("3.11")


@pytest.mark.parametrize(
    ("schema", "files"),
    [
        ("vendor.github-issue-forms", ["bug.yml", "data-model-change.yml"]),
        ("vendor.github-issue-config", ["config.yml"]),
    ],
)
def test_issue_forms_match_githubs_schema(schema: str, files: list[str]) -> None:
    paths = [str(GITHUB / "ISSUE_TEMPLATE" / f) for f in files]
    checker = Path(sys.executable).parent / "check-jsonschema"
    proc = subprocess.run(
        [str(checker), "--builtin-schema", schema, *paths], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_pull_request_template_asks_what_changed_and_has_a_checklist() -> None:
    text = (GITHUB / "pull_request_template.md").read_text()
    for kind in ("**params**", "**data**", "**code**"):
        assert kind in text
    assert text.count("- [ ]") >= 8 and "dvc push" in text and "make repro" in text


def test_codeowners_example_is_inert_and_marked_as_an_example() -> None:
    assert not (GITHUB / "CODEOWNERS").exists()  # placeholder teams must not go live
    text = (GITHUB / "CODEOWNERS.example").read_text()
    assert text.startswith("# EXAMPLE ONLY")
    owners = re.findall(r"@[\w-]+/[\w-]+", text)
    assert owners and all(o.startswith("@your-org/") for o in owners)


def test_changelog_keeps_an_unreleased_section_first() -> None:
    text = (REPO_ROOT / "CHANGELOG.md").read_text()
    releases = re.findall(r"^## \[([^\]]+)\]", text, flags=re.M)
    assert releases[0] == "Unreleased"
    assert "### Added" in text.split("## [Unreleased]")[1]
