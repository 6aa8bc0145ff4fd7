"""The CI helpers: comment body, the guarded poster, and the verify checks' git plumbing."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from gitops_ml.ci import comment, post, verify
from gitops_ml.core.errors import UserError
from tests.template.support.github_double import GitHubDouble, serve

SHA = "0123456789abcdef0123456789abcdef01234567"


# --- comment body -------------------------------------------------------------------


def test_local_images_point_to_the_artifact_and_remote_ones_are_not_shown() -> None:
    text = (
        'a ![ROC](report/roc.png) b ![](plots/pr.png "t") '
        '<img src="report/cm.png" width=3> ![badge](https://example.org/b.svg) '
        '<img src="https://tracker.example/p.gif">'
    )
    out = comment.neutralise(text)
    assert "report/roc.png" not in out and "plots/pr.png" not in out and 'cm.png"' not in out
    assert "chart `ROC`" in out and "chart `pr.png`" in out and "chart `cm.png`" in out
    assert "example.org" not in out and "tracker.example" not in out
    assert out.count("remote image") == 2


def test_untrusted_markdown_cannot_mention_link_or_embed() -> None:
    text = (
        "Thanks @maintainer and @org/team, see #12 and acme/ml#3.\n"
        "[click here](https://evil.example/login) <https://evil.example/a> https://evil.example/b\n"
        '<a href="https://evil.example">x</a> <iframe src="https://evil.example"></iframe>\n'
        "[ref]: https://evil.example/c\n"
        "<details><summary>more</summary>fine</details> <sub>small</sub> mail a@b.org\n"
    )
    out = comment.neutralise(text)
    assert "@\u200bmaintainer" in out and "@\u200borg/team" in out
    assert "#\u200b12" in out and "acme/ml#\u200b3" in out
    assert "a@b.org" in out  # an e-mail address is not a mention
    # links survive as text, never as something to click or load
    assert "click here (`https://evil.example/login`)" in out
    assert "`https://evil.example/a`" in out and "`https://evil.example/b`" in out
    assert "&lt;a href" in out and "&lt;iframe" in out
    assert "\\[ref]:" in out
    assert "<details><summary>more</summary>fine</details> <sub>small</sub>" in out


def test_code_is_left_exactly_as_written() -> None:
    fenced = "```text\ngate: @someone ![x](https://e.example/i.png) <b>\n```\n"
    inline = "use `@team` and `<img src=x>` here"
    assert comment.neutralise(fenced) == fenced
    assert comment.neutralise(inline) == inline
    mermaid = "```mermaid\nxychart-beta\n  bar [1, 2]\n```\nafter @x"
    assert comment.neutralise(mermaid).startswith("```mermaid\nxychart-beta\n  bar [1, 2]\n```\n")
    assert comment.neutralise(mermaid).endswith("after @\u200bx")


def test_long_bodies_are_cut_at_a_line_under_githubs_limit() -> None:
    text = "\n".join(f"line {i} " + "x" * 90 for i in range(2000))
    out = comment.truncate(text, limit=5000)
    assert len(out) <= 5000
    assert "Truncated" in out
    body = out.split("\n\n*Truncated")[0]
    assert text.startswith(body) and body.endswith("x")  # whole lines only
    assert comment.truncate("short") == "short"


def test_body_joins_report_checks_and_gate_in_order() -> None:
    body = comment.build("# Report\n\nmetrics", "### Reproducibility check: passed", "PASSED")
    assert body.index("# Report") < body.index("Reproducibility") < body.index("PASSED")
    assert "[workflow run](https://gh.test/run/9)" in comment.footer("https://gh.test/run/9")
    assert "the workflow run" in comment.footer(None)


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
    assert comment.main(["--pr", "12", "--head-sha", SHA]) == 0
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


def _artifact(tmp_path: Path, number: int, body: str) -> Path:
    (tmp_path / "report").mkdir(parents=True, exist_ok=True)
    (tmp_path / "report" / "pr.json").write_text(json.dumps({"pr": number, "head_sha": SHA}))
    (tmp_path / "report" / "comment.md").write_text(body)
    return tmp_path


def _env(double: GitHubDouble, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_API_URL", double.url)
    monkeypatch.setenv("GITHUB_REPOSITORY", double.repo)
    monkeypatch.setenv("GITHUB_TOKEN", double.token)
    monkeypatch.setenv("HEAD_SHA", SHA)
    monkeypatch.setenv("REPORT_RUN_URL", "https://github.com/acme/ml/actions/runs/7")


def test_a_busy_pr_keeps_exactly_one_report_comment_however_many_others_it_has(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CML 0.20.6 read only the first 30 comments and then posted a second report."""
    with serve(GitHubDouble()) as gh:
        _env(gh, monkeypatch)
        gh.add_pull(9, SHA)
        for i in range(35):
            gh.add_comment(9, f"review note {i}")
        art = _artifact(tmp_path, 9, "## Model report\n\n✅ **Gate passed** run 1\n")
        for run in (1, 2, 3):
            (art / "report" / "comment.md").write_text(f"## Model report\n\n✅ run {run}\n")
            assert post.main([str(art)]) == 0
        reports = [c for c in gh.comments[9] if post.is_report(c)]
        assert len(reports) == 1 and "run 3" in reports[0]["body"]
        assert len(gh.calls("POST", r"/comments$")) == 1 and len(gh.calls("PATCH")) == 2
        assert reports[0]["body"].rstrip().endswith(post.watermark(SHA))
        assert "[workflow run](https://github.com/acme/ml/actions/runs/7)" in reports[0]["body"]


def test_a_watermarked_comment_by_someone_else_is_never_edited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serve(GitHubDouble()) as gh:
        _env(gh, monkeypatch)
        gh.add_pull(4, SHA)
        fake = gh.add_comment(4, f"fake report\n\n{post.watermark(SHA)}", login="forker")
        assert post.main([str(_artifact(tmp_path, 4, "real report"))]) == 0
        assert fake["body"].startswith("fake report")
        assert [c["user"]["login"] for c in gh.comments[4]] == ["forker", post.DEFAULT_AUTHOR]


def test_a_report_for_another_prs_head_is_not_posted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with serve(GitHubDouble()) as gh:
        _env(gh, monkeypatch)
        gh.add_pull(2, "f" * 40)  # the artifact names PR 2, whose head the run did not build
        assert post.main([str(_artifact(tmp_path, 2, "forged"))]) == 0
        assert gh.writes() == []
        assert "has head ffff" in capsys.readouterr().err


def test_the_trusted_remote_section_is_added_after_the_untrusted_body_is_neutralised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    remote = tmp_path / "remote.md"
    remote.write_text("### DVC remote: passed\n\n- ok [docs](https://docs.example/ci)\n")
    monkeypatch.setenv("REMOTE_SUMMARY", str(remote))
    body = post.compose("report by @someone [x](https://evil.example)", dict(os.environ))
    assert "@\u200bsomeone" in body and "x (`https://evil.example`)" in body
    assert "- ok [docs](https://docs.example/ci)" in body  # trusted: kept as written


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


# --- the PR checks in one process ------------------------------------------------------


def test_pr_checks_run_the_commands_the_cli_names_in_the_workflows_order() -> None:
    from gitops_ml import cli
    from gitops_ml.ci import checks

    for name, target, _ in checks.CHECKS:
        assert cli.COMMANDS[name][0] == target, name
    workflow = Path(".github/workflows/pr-train.yml").read_text(encoding="utf-8")
    shown = re.findall(r"make check-result CHECK=([\w-]+)", workflow)
    assert shown == list(checks.NAMES)  # every check has its own step, in the run's order


def test_a_checks_log_holds_its_child_processes_output_too(tmp_path: Path) -> None:
    import sys

    from gitops_ml.ci import checks

    log = tmp_path / "one.log"
    with checks.captured(log):
        print("from the check")
        subprocess.run([sys.executable, "-c", "import sys; sys.stderr.write('from a child\\n')"])
    print("after the check")  # back on this process's own output
    assert log.read_text().splitlines() == ["from the check", "from a child"]


def test_a_check_that_exits_or_crashes_fails_alone_and_the_next_one_still_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys
    import types

    from gitops_ml.ci import checks

    module = types.ModuleType("fake_checks")

    def crash(argv: list[str]) -> int:
        raise RuntimeError("boom")

    def leave(argv: list[str]) -> int:
        raise SystemExit("cannot go on: a message")

    module.crash, module.leave = crash, leave  # type: ignore[attr-defined]
    module.fine = lambda argv: 0  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fake_checks", module)
    monkeypatch.setattr(
        checks,
        "CHECKS",
        (
            ("gate", "fake_checks:crash", True),
            ("report", "fake_checks:leave", True),
            ("tune-check", "fake_checks:fine", False),
        ),
    )
    monkeypatch.chdir(tmp_path)
    record = checks.run_all("main")
    assert {n: r["exit"] for n, r in record["checks"].items()} == {
        "gate": 1,
        "report": 1,
        "tune-check": 0,
    }
    assert "RuntimeError: boom" in (tmp_path / "report" / "checks" / "gate.log").read_text()
    assert "cannot go on" in (tmp_path / "report" / "checks" / "report.log").read_text()
    assert "RuntimeError: boom" in (tmp_path / "report" / "gate.txt").read_text()
