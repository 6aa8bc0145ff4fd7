"""The CI helpers: comment body, the guarded poster, and the verify checks' git plumbing."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from gitops_ml.ci import comment, post, verify
from gitops_ml.errors import UserError

SHA = "0123456789abcdef0123456789abcdef01234567"


# --- comment body -------------------------------------------------------------------


def test_local_images_are_replaced_and_remote_ones_kept() -> None:
    text = (
        'a ![ROC](report/roc.png) b ![](plots/pr.png "t") '
        '<img src="report/cm.png" width=3> ![badge](https://example.org/b.svg)'
    )
    out = comment.strip_local_images(text)
    assert "report/roc.png" not in out and "plots/pr.png" not in out and 'cm.png"' not in out
    assert "chart `ROC`" in out and "chart `pr.png`" in out and "chart `cm.png`" in out
    assert "![badge](https://example.org/b.svg)" in out


def test_long_bodies_are_cut_at_a_line_under_githubs_limit() -> None:
    text = "\n".join(f"line {i} " + "x" * 90 for i in range(2000))
    out = comment.truncate(text, limit=5000)
    assert len(out) <= 5000
    assert "Truncated" in out
    body = out.split("\n\n*Truncated")[0]
    assert text.startswith(body) and body.endswith("x")  # whole lines only
    assert comment.truncate("short") == "short"


def test_body_joins_report_checks_and_gate_with_a_link_to_the_run() -> None:
    url = comment.run_url(
        {"GITHUB_SERVER_URL": "https://gh.test", "GITHUB_REPOSITORY": "o/r", "GITHUB_RUN_ID": "9"}
    )
    body = comment.build("# Report\n\nmetrics", "### Reproducibility check: passed", "PASSED", url)
    assert body.index("# Report") < body.index("Reproducibility") < body.index("PASSED")
    assert "[workflow run](https://gh.test/o/r/actions/runs/9)" in body
    assert comment.run_url({}) is None


def test_body_says_what_did_not_run_instead_of_dropping_it() -> None:
    body = comment.build(None, None, None)
    assert "did not get as far as the report" in body
    assert "Reproducibility check: did not run" in body
    assert "Quality gate: did not run" in body


def test_body_command_writes_comment_and_pr_number(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("report.md").write_text("# R\n![c](report/c.png)\n")
    Path("report").mkdir()
    Path("report/gate.txt").write_text("gate: FAILED: roc_auc dropped\n")
    assert comment.body_main(["--pr", "12", "--head-sha", SHA]) == 0
    body = Path("report/comment.md").read_text()
    assert "# R" in body and "report/c.png" not in body and "FAILED: roc_auc" in body
    assert json.loads(Path("report/pr.json").read_text()) == {"pr": 12, "head_sha": SHA}


# --- poster -------------------------------------------------------------------------


@pytest.mark.parametrize("content", ['{"pr": "12"}', '{"pr": 0}', '{"pr": true}', "[12]", "{"])
def test_a_forged_or_broken_pr_number_is_refused(tmp_path: Path, content: str) -> None:
    (tmp_path / "pr.json").write_text(content)
    with pytest.raises(UserError):
        post.read_pr_number(tmp_path)


def test_the_artifact_is_found_whether_or_not_report_md_made_it(tmp_path: Path) -> None:
    (tmp_path / "pr.json").write_text('{"pr": 3}')
    assert post.locate(tmp_path) == tmp_path
    (tmp_path / "report").mkdir()
    (tmp_path / "report" / "pr.json").write_text('{"pr": 4}')
    assert post.read_pr_number(post.locate(tmp_path)) == 4


def test_report_is_posted_only_on_the_open_pr_whose_head_the_run_built() -> None:
    pull = {"number": 5, "state": "open", "head": {"sha": SHA}}
    assert post.stale_reason(pull, SHA) is None
    assert "not open" in post.stale_reason({**pull, "state": "closed"}, SHA)
    other = "f" * 40
    assert "has head" in post.stale_reason(pull, other)


def test_dry_run_prints_the_pinned_cml_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "report").mkdir()
    (tmp_path / "report" / "pr.json").write_text(json.dumps({"pr": 8, "head_sha": SHA}))
    (tmp_path / "report" / "comment.md").write_text("hello ![x](a.png)\n")
    monkeypatch.setenv("HEAD_SHA", SHA)
    assert post.main([str(tmp_path), "--dry-run"]) == 0
    err = capsys.readouterr().err
    assert f"@dvcorg/cml@{post.CML_VERSION} comment update --target=pr/8" in err
    assert f"'--watermark-title={comment.WATERMARK_TITLE}'" in err


def test_poster_refuses_a_missing_head_sha(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEAD_SHA", "main")
    with pytest.raises(UserError, match="HEAD_SHA"):
        post.main([str(tmp_path), "--dry-run"])


# --- verify: git plumbing -----------------------------------------------------------


def test_changed_lock_stages_names_added_removed_and_changed_stages() -> None:
    old = "schema: '2.0'\nstages:\n  a: {cmd: x}\n  b: {cmd: y}\n"
    new = "schema: '2.0'\nstages:\n  a: {cmd: x}\n  b: {cmd: z}\n  c: {cmd: w}\n"
    assert verify._changed_lock_stages(old, new) == ["b", "c"]
    assert verify._changed_lock_stages("", new) == ["a", "b", "c"]


def _git(repo: Path, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "GIT_CONFIG_GLOBAL": os.devnull,
    }
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


def test_clean_check_lists_modified_renamed_and_untracked_files_by_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _git(tmp_path, "init", "-q")
    for name in ("a.txt", "old name.txt", "dvc.lock"):
        (tmp_path / name).write_text(name)
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-q", "-m", "x")
    monkeypatch.chdir(tmp_path)
    assert verify.check_clean().ok
    (tmp_path / "a.txt").write_text("changed")
    _git(tmp_path, "mv", "old name.txt", "new name.txt")
    (tmp_path / "untracked file.txt").write_text("u")
    (tmp_path / "dvc.lock").write_text("changed")  # has its own check; not repeated here
    check = verify.check_clean()
    assert not check.ok
    assert check.detail == "a.txt, new name.txt, untracked file.txt"
    assert "commit" in check.fix


def test_check_renders_its_fix_only_when_it_failed() -> None:
    ok = verify.Check("x", True, fix="do y")
    bad = verify.Check("x", False, "why", "do y")
    assert "fix" not in ok.render() and "fix: do y" in bad.render()
    assert verify.markdown([ok, bad]).startswith("### Reproducibility check: FAILED")
    assert verify.markdown([ok]).startswith("### Reproducibility check: passed")


def test_verify_outside_a_git_repository_is_a_user_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    with pytest.raises(UserError, match="git clone"):
        verify.check_clean()
