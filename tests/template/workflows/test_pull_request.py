"""A pull request's life under act: pr-train.yml on the PR, then pr-comment.yml on its run.

What a user sees is asserted, not how: the job's outcome and failing step, the `pr-report`
artifact, the one comment on the right PR (verdict first), the commit status that says
whether the outputs are in the DVC remote, and what reached the remote.
"""

from __future__ import annotations

import json

from gitops_ml.ci import post
from gitops_ml.ci.remote import STATUS_CONTEXT
from tests.template.support.s3 import stored_keys
from tests.template.workflows.conftest import WORKFLOWS, PullRequest, Scenario
from tests.template.workflows.engine import ActResult

pytestmark = WORKFLOWS

FORK = "forker/ml"
JOB = "reproduce, verify, report, gate"


def train(
    scenario: Scenario, pr: PullRequest, *, fork: bool = False, **kwargs: object
) -> tuple[int, ActResult]:
    """pr-train.yml on the PR's merge commit, as GitHub runs it; (run id, result)."""
    run_id = scenario.next_run_id()
    result = scenario.run(
        "pr-train.yml",
        "pull_request",
        scenario.pull_request_event(pr, head_repo=FORK if fork else None),
        at=scenario.merge_commit(pr),
        run_id=run_id,
        repository_secrets=not fork,  # GitHub gives a fork's PR no secrets
        **kwargs,  # type: ignore[arg-type]
    )
    return run_id, result


def comment(
    scenario: Scenario, run_id: int, pr: PullRequest, conclusion: str, *, fork: bool = False
) -> ActResult:
    """pr-comment.yml for the finished training run: the default branch's code, secrets."""
    event = scenario.workflow_run_event(
        run_id, pr, conclusion=conclusion, head_repo=FORK if fork else None
    )
    return scenario.run("pr-comment.yml", "workflow_run", event, at=scenario.sha("main"))


def reports(scenario: Scenario, number: int) -> list[dict]:
    return [c for c in scenario.github.comments.get(number, []) if post.is_report(c)]


def status(scenario: Scenario, sha: str) -> dict:
    found = [s for s in scenario.github.statuses if s["sha"] == sha]
    assert found, f"no commit status on {sha[:12]}"
    assert {s["context"] for s in found} == {STATUS_CONTEXT}
    return found[-1]


def test_a_better_model_gets_one_green_comment_updated_by_the_next_push(
    scenario: Scenario,
) -> None:
    pr = scenario.pull_request("faster-learning", params={"model.params.learning_rate": 0.2})
    run_id, result = train(scenario, pr)
    result.assert_ok()
    job = result.job(JOB)
    assert "Running stage 'train'" in job.step("Reproduce the pipeline").text
    assert "Running stage 'prepare'" not in job.step("Reproduce the pipeline").text
    assert job.step("Push outputs and run-cache to the DVC remote").result == "success"
    artifact = scenario.artifact(run_id, "pr-report")
    report = (artifact / "report.md").read_text()
    assert "✅ **Gate passed**" in report
    assert json.loads((artifact / "report" / "pr.json").read_text())["pr"] == pr.number

    comment(scenario, run_id, pr, "success").assert_ok()
    (first,) = reports(scenario, pr.number)
    body = first["body"]
    assert body.startswith("# Model report") and "✅ **Gate passed**" in body
    assert "### DVC remote: passed" in body and "Reproducibility check: passed" in body
    assert f"/actions/runs/{run_id})" in body  # the run link, from the event
    assert body.rstrip().endswith(post.watermark(pr.head))
    assert status(scenario, pr.head)["state"] == "success"
    assert not scenario.github.calls("POST", rf"/issues/(?!{pr.number}/)")  # the right PR only

    # A second push to the branch: a new run, and the same comment is updated.
    scenario.checkout(pr.branch)
    readme = scenario.project.root / "README.md"
    readme.write_text(readme.read_text() + "\nA note from review.\n")
    pr.head = scenario.author.commit("Review note", "README.md")
    scenario.github.pulls[pr.number]["head"]["sha"] = pr.head
    scenario.github.add_commit_files(pr.head, scenario.commit_files(pr.head))
    scenario.checkout("main")
    second, result = train(scenario, pr)
    result.assert_ok()
    comment(scenario, second, pr, "success").assert_ok()
    (updated,) = reports(scenario, pr.number)
    assert updated["id"] == first["id"] and f"/actions/runs/{second})" in updated["body"]
    assert updated["body"].rstrip().endswith(post.watermark(pr.head))
    assert len(scenario.github.calls("POST", rf"/issues/{pr.number}/comments$")) == 1
    assert len(scenario.github.calls("PATCH", r"/issues/comments/")) == 1
    assert status(scenario, pr.head)["state"] == "success"


def test_a_worse_model_fails_the_job_at_the_gate_and_the_comment_says_why(
    scenario: Scenario,
) -> None:
    pr = scenario.pull_request("too-few-trees", params={"model.params.max_iter": 5})
    run_id, result = train(scenario, pr)
    assert not result.ok
    job = result.job(JOB)
    assert "Quality gate" in [s.name for s in job.failed()]
    assert "FAILED: " in job.step("Quality gate").text
    assert job.step("Comment body").result == "success"  # later steps still ran
    comment(scenario, run_id, pr, "failure").assert_ok()
    (posted,) = reports(scenario, pr.number)
    assert "❌ **Gate failed**" in posted["body"]
    assert "roc_auc got worse by" in posted["body"] and "limit gate.max_drop" in posted["body"]


def test_a_dvc_lock_that_does_not_match_its_params_fails_verify_and_the_comment_says_so(
    scenario: Scenario,
) -> None:
    pr = scenario.pull_request(
        "forgot-repro", params={"model.params.max_leaf_nodes": 7}, repro=False
    )
    run_id, result = train(scenario, pr)
    job = result.job(JOB)
    assert "Committed dvc.lock and metrics match the repro" in [s.name for s in job.failed()]
    verify = job.step("Committed dvc.lock and metrics match the repro").text
    assert "[FAIL] dvc.lock committed as reproduced: stages that differ: evaluate, train" in verify
    comment(scenario, run_id, pr, "failure").assert_ok()
    (posted,) = reports(scenario, pr.number)
    assert "Reproducibility check: FAILED" in posted["body"]
    assert "dvc.lock committed as reproduced" in posted["body"]
    assert "run `make repro` and commit dvc.lock and metrics/" in posted["body"]


def test_a_fork_pr_pushes_nothing_and_becomes_mergeable_once_a_maintainer_pushes(
    scenario: Scenario,
) -> None:
    before = stored_keys(scenario.s3_port, scenario.bucket)
    pr = scenario.pull_request("fork-idea", params={"model.params.learning_rate": 0.2})
    run_id, result = train(scenario, pr, fork=True)
    result.assert_ok()
    job = result.job(JOB)
    assert "embedded sample data" in job.step("Get data and the run-cache").text
    assert job.find("Push outputs and run-cache to the DVC remote") is None  # skipped
    assert stored_keys(scenario.s3_port, scenario.bucket) == before

    comment(scenario, run_id, pr, "success", fork=True).assert_ok()
    (posted,) = reports(scenario, pr.number)
    assert (
        "### DVC remote: FAILED" in posted["body"] and "make push-pr PR=<number>" in posted["body"]
    )
    refused = status(scenario, pr.head)
    assert refused["state"] == "failure" and "artifacts/model/model.skops" in refused["description"]

    # An artifact that names another PR than the one whose head the run built is refused.
    other = scenario.pull_request("other", files={"NOTES.md": "x\n"}, repro=False)
    forged = scenario.artifact(run_id, "pr-report")
    meta = forged / "report" / "pr.json"
    meta.write_text(json.dumps({"pr": other.number, "head_sha": pr.head}))
    writes = len(scenario.github.writes())
    refusal = comment(scenario, run_id, pr, "success", fork=True).assert_ok()
    assert "not posting: pull request #2 has head" in refusal.log
    assert scenario.github.comments.get(other.number, []) == []
    assert [w.method for w in scenario.github.writes()[writes:]] == ["POST"]  # the status only
    meta.write_text(json.dumps({"pr": pr.number, "head_sha": pr.head}))

    # A maintainer reproduces and pushes the fork's outputs (docs/ci.md), then re-runs the
    # comment workflow's run: it is trusted, finds the outputs, and the PR is mergeable.
    scenario.git("push", "-q", "origin", f"{pr.head}:refs/pull/{pr.number}/head")
    scenario.checkout("main")
    pushed = scenario.author.make("push-pr", f"PR={pr.number}")
    assert "[FAIL]" not in pushed.stdout
    assert scenario.git("branch", "--show-current") == "main"
    comment(scenario, run_id, pr, "success", fork=True).assert_ok()
    assert status(scenario, pr.head)["state"] == "success"
    (posted,) = reports(scenario, pr.number)
    assert "### DVC remote: passed" in posted["body"]
