"""release.yml under act: pushes to main register model versions and publish their Releases.

The tags land in the scenario's bare origin; the Releases, their notes and the attached
model file land in the GitHub double, as a user would find them on the Releases page.
"""

from __future__ import annotations

import hashlib

import yaml

from tests.template.workflows.conftest import WORKFLOWS, Scenario

pytestmark = WORKFLOWS

MODEL = "model"


def push_to_main(scenario: Scenario, before: str) -> object:
    after = scenario.sha("main")
    return scenario.run("release.yml", "push", scenario.push_event(before, after), at=after)


def model_md5(scenario: Scenario, commit: str) -> str:
    lock = yaml.safe_load(scenario.git("show", f"{commit}:dvc.lock"))
    (out,) = [o for o in lock["stages"]["train"]["outs"] if o["path"].endswith(".skops")]
    return str(out["md5"])


def origin_tags(scenario: Scenario) -> list[str]:
    listed = scenario.project.run("git", "ls-remote", "--tags", str(scenario.origin)).stdout
    return sorted(line.split("refs/tags/")[1] for line in listed.splitlines() if "^{}" not in line)


def release_of(scenario: Scenario, tag: str) -> dict:
    (found,) = [r for r in scenario.github.releases if r["tag_name"] == tag]
    return found


def test_the_first_push_releases_v1_without_a_remote_and_a_merged_model_change_the_next(
    scenario: Scenario,
) -> None:
    # A repository made from the template: its DVC remote is still the folder beside the
    # clone, which a runner does not have (the first-push defect: tag made, release failed).
    s3_config = scenario.project.root.joinpath(".dvc", "config").read_text()
    scenario.git("checkout", "-q", "main")
    scenario.git("checkout", "HEAD~1", "--", ".dvc/config")  # the template's own config
    scenario.author.commit("Start from the template's DVC settings", ".dvc/config")
    scenario.git("push", "-q", "origin", "main")
    first = push_to_main(scenario, "0" * 40)
    first.assert_ok()
    job = first.job("register-and-release")
    made = job.step("The model and the card's inputs").text
    assert (
        "rebuilt the model with the committed pipeline" in made
        and "Configure a shared DVC remote" in made
    )
    assert origin_tags(scenario) == [f"{MODEL}@v1.0.0"]
    v1 = release_of(scenario, f"{MODEL}@v1.0.0")
    assert v1["name"] == f"{MODEL} v1.0.0" and v1["body"].startswith("# Model card")
    (asset,) = v1["assets"]
    assert asset["name"] == f"{MODEL}-v1.0.0.skops"
    data = scenario.github.asset_data[asset["id"]]
    assert hashlib.md5(data).hexdigest() == model_md5(scenario, scenario.sha("main"))

    # The team configures a shared remote, then merges a better model labelled for a patch.
    scenario.checkout("main")
    scenario.project.root.joinpath(".dvc", "config").write_text(s3_config)
    scenario.author.commit("DVC remote: S3 bucket", ".dvc/config")
    scenario.git("push", "-q", "origin", "main")
    pr = scenario.pull_request(
        "faster-learning", params={"model.params.learning_rate": 0.2}, push_outputs=True
    )
    scenario.github.pulls[pr.number]["labels"] = [{"name": "release:patch"}]
    before = scenario.sha("main")
    merged = scenario.merge(pr)
    scenario.github.pulls[pr.number]["merge_commit_sha"] = merged
    second = push_to_main(scenario, before)
    second.assert_ok()
    job = second.job("register-and-release")
    assert "pulled the model and the card's inputs from the DVC remote" in job.text
    assert origin_tags(scenario) == [f"{MODEL}@v1.0.0", f"{MODEL}@v1.0.1"]
    message = scenario.project.run(
        "git", "for-each-ref", "--format=%(contents)", f"refs/tags/{MODEL}@v1.0.1"
    ).stdout
    if not message:  # the tag is in origin; fetch it to read its message
        scenario.git("fetch", "-q", "origin", "--tags")
        message = scenario.git("tag", "-l", "--format=%(contents)", f"{MODEL}@v1.0.1")
    assert "PR label release:patch" in message
    v101 = release_of(scenario, f"{MODEL}@v1.0.1")
    (asset,) = v101["assets"]
    data = scenario.github.asset_data[asset["id"]]
    assert hashlib.md5(data).hexdigest() == model_md5(scenario, merged)
    assert "learning_rate" in v101["body"]
