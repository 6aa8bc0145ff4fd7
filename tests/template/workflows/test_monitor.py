"""monitor.yml under act: the scheduled drift check against the prod model's training data.

The `issue` job (and the `drift` job it needs) run; one issue is opened through the double
when the newest data on main has drifted from what the model in prod was trained on, and
none when nothing new arrived.
"""

from __future__ import annotations

import pandas as pd

from tests.template.workflows.conftest import WORKFLOWS, Scenario

pytestmark = WORKFLOWS

DATA = "data/breast_cancer.csv"
CRON = "17 6 * * 1"


def monitor(scenario: Scenario) -> object:
    return scenario.run(
        "monitor.yml",
        "schedule",
        scenario.schedule_event(CRON),
        at=scenario.sha("main"),
        job="issue",
    )


def test_drift_since_the_prod_models_data_opens_one_issue_and_no_new_data_opens_none(
    scenario: Scenario,
) -> None:
    trained_on = scenario.sha("main")
    scenario.author.release("v1.0.0", (30, 20, 10), event=1)  # registered, staging, prod
    scenario.git("push", "-q", "origin", "--tags")

    quiet = monitor(scenario).assert_ok()
    drift = quiet.job("drift").step("Compare distributions").text
    assert "drifted=false" in drift
    assert [j.job_id for j in quiet.jobs] == ["drift"]  # the issue job did not start
    assert scenario.github.issues == {}

    scenario.checkout("main")  # the runs left the folder at main's commit, detached
    frame = pd.read_csv(scenario.project.root / DATA)
    frame["worst_concave_points"] *= 1.8
    frame.to_csv(scenario.project.root / DATA, index=False)
    author = scenario.author
    author.dvc("add", "data")
    author.dvc("push", "data.dvc")
    author.commit("New data arrives", "data.dvc")
    scenario.git("push", "-q", "origin", "main")

    found = monitor(scenario).assert_ok()
    assert "drifted=true" in found.job("drift").step("Compare distributions").text
    (issue,) = scenario.github.issues.values()
    assert issue["title"] == "Data drift detected" and issue["state"] == "open"
    assert f"the training data of model@v1.0.0 (in prod, commit {trained_on[:12]})" in issue["body"]
    assert "`worst_concave_points`" in issue["body"]
