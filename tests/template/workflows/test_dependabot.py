"""relock.yml under act: Dependabot's pip PR gets the lock file uv writes for it.

Dependabot raises a lower bound in pyproject.toml and cannot re-lock; the workflow runs
`make lock` (uv, from the package registry) and pushes requirements.lock to its branch.
"""

from __future__ import annotations

import re

from packaging.version import Version

from tests.template.workflows.conftest import WORKFLOWS, Scenario

pytestmark = WORKFLOWS


def locked(text: str, name: str) -> Version:
    found = re.search(rf"^{name}==(\S+)", text, re.M)
    assert found, name
    return Version(found.group(1))


def test_a_dependabot_bump_is_relocked_on_its_branch(scenario: Scenario) -> None:
    # main's lock holds an older pyyaml than Dependabot will ask for (only the version is
    # read by `make lock`: uv prefers locked versions that still satisfy pyproject.toml).
    lock_file = scenario.project.root / "requirements.lock"
    old = Version("6.0.1")
    lock_file.write_text(
        re.sub(r"^pyyaml==\S+", f"pyyaml=={old}", lock_file.read_text(), flags=re.M)
    )
    scenario.author.commit("An older lock", "requirements.lock")
    scenario.git("push", "-q", "origin", "main")
    # Dependabot's edit: the lower bound raised past what the lock holds.
    pyproject = scenario.project.root / "pyproject.toml"
    bumped = pyproject.read_text().replace('"pyyaml>=6"', '"pyyaml>=6.0.2"')
    assert bumped != pyproject.read_text()
    branch = "dependabot/pip/pyyaml-next"
    pr = scenario.pull_request(branch, files={"pyproject.toml": bumped}, repro=False)
    event = scenario.pull_request_event(pr, user="dependabot[bot]")
    result = scenario.run(
        "relock.yml", "pull_request", event, at=scenario.merge_commit(pr), repository_secrets=False
    ).assert_ok()
    job = result.job("relock")
    assert f"pushed the new lock to {branch}" in job.step("Commit and push").text
    assert (
        "close and reopen the pull request" in job.step("Commit and push").text
    )  # no RELOCK_TOKEN
    pushed = scenario.project.run(
        "git", "--git-dir", str(scenario.origin), "show", f"{branch}:requirements.lock"
    ).stdout
    assert locked(pushed, "pyyaml") >= Version("6.0.2") > old
    head = scenario.project.run(
        "git", "--git-dir", str(scenario.origin), "log", "-1", "--format=%an %s", branch
    ).stdout
    assert head.startswith("github-actions[bot] Re-lock requirements.lock")
