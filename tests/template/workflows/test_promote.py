"""promote.yml (and the deploy.yml it calls) under act: stages in order, prod only approved.

act has no environments and no approvals, so GitHub's side of them is the double: an
environment with required reviewers (`protect`) and a reviewer's approval of one run
(`approve`), which `make promote` reads through the API as it would on GitHub.
"""

from __future__ import annotations

import json

from tests.template.workflows.conftest import WORKFLOWS, Scenario

pytestmark = WORKFLOWS

MODEL = "model"


def promote(scenario: Scenario, stage: str, version: str, run_id: int) -> object:
    inputs = {"stage": stage, "version": version}
    return scenario.run(
        "promote.yml",
        "workflow_dispatch",
        scenario.dispatch_event(inputs),
        at=scenario.sha("main"),
        run_id=run_id,
    )


def stage_tags(scenario: Scenario) -> list[str]:
    listed = scenario.project.run("git", "ls-remote", "--tags", str(scenario.origin)).stdout
    names = [line.split("refs/tags/")[1] for line in listed.splitlines() if "^{}" not in line]
    return sorted(n for n in names if "#" in n)


def test_staging_then_approved_prod_each_deployed_and_prod_first_refused(
    scenario: Scenario,
) -> None:
    scenario.author.make("register")  # model@v1.0.0 on main, pushed to origin
    scenario.github.protect("prod")

    early = scenario.next_run_id()
    scenario.github.approve(early, "prod", login="lead")
    refused = promote(scenario, "prod", "v1.0.0", early)
    assert not refused.ok
    step = refused.job("promote").step("Assign the stage")
    assert step.result == "failure" and "was never in 'staging'" in step.text
    assert not [j for j in refused.jobs if j.job_id == "deploy"]  # needs: promote
    assert stage_tags(scenario) == []

    staging = scenario.next_run_id()  # staging needs no approval and waits for no one
    promote(scenario, "staging", "v1.0.0", staging).assert_ok()
    assert stage_tags(scenario) == [f"{MODEL}#staging#1"]
    manifest = json.loads(
        (scenario.artifact(staging, "deployment-staging") / "manifest.json").read_text()
    )
    assert manifest["version"] == "v1.0.0" and manifest["stage"] == "staging"
    assert (scenario.artifact(staging, "deployment-staging") / manifest["file"]).is_file()

    prod = scenario.next_run_id()
    scenario.github.approve(prod, "prod", login="lead")
    result = promote(scenario, "prod", "v1.0.0", prod).assert_ok()
    job = result.job("promote")
    assert "canary PASSED" in job.step("Canary").text
    assert stage_tags(scenario) == [f"{MODEL}#prod#2", f"{MODEL}#staging#1"]
    scenario.git("fetch", "-q", "origin", "--tags")
    message = scenario.git("tag", "-l", "--format=%(contents)", f"{MODEL}#prod#2")
    assert f"/actions/runs/{prod}" in message and "approved by lead" in message
    deployed = json.loads(
        (scenario.artifact(prod, "deployment-prod") / "manifest.json").read_text()
    )
    assert deployed["stage"] == "prod" and deployed["model_md5"]
