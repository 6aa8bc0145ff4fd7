"""Check results reused under the hash of exactly what the check read, never otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_ml.core import reuse


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "split").mkdir()
    (tmp_path / "split" / "train.parquet").write_bytes(b"rows")
    return tmp_path


def test_the_key_changes_with_any_input_and_only_then(workdir: Path) -> None:
    paths = [Path("split"), Path("params.yaml")]
    first = reuse.key(paths, {"model": {"max_iter": 100}})
    assert reuse.key(paths, {"model": {"max_iter": 100}}) == first
    assert reuse.key(paths, {"model": {"max_iter": 101}}) != first
    (workdir / "params.yaml").write_text("seed: 1\n")  # a file appearing is a change
    with_params = reuse.key(paths, {"model": {"max_iter": 100}})
    assert with_params != first
    (workdir / "split" / "train.parquet").write_bytes(b"other rows")
    assert reuse.key(paths, {"model": {"max_iter": 100}}) != with_params
    (workdir / "split" / "extra.json").write_text("{}")  # a new file in a folder too
    assert reuse.key(paths, {"model": {"max_iter": 100}}) not in (first, with_params)


def test_a_second_run_on_the_same_inputs_restores_outputs_status_and_says_so(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = Path("report/check.md")
    calls = []

    def compute() -> int:
        calls.append(1)
        out.parent.mkdir(exist_ok=True)
        out.write_text("## Check\n\nFAILED: something\n")
        return 1

    digest = reuse.key([Path("split")], {"x": 1})
    assert reuse.run_cached("check", digest, [out], compute, out) == 1
    out.write_text("overwritten by another run")
    assert reuse.run_cached("check", digest, [out], compute, out) == 1
    assert calls == [1]  # computed once
    text = out.read_text()
    assert text.startswith("## Check\n\nFAILED: something\n")
    assert "*Reused: `check` already ran on exactly these inputs" in text
    assert "nothing was refit" in capsys.readouterr().err
    other = reuse.key([Path("split")], {"x": 2})
    assert reuse.run_cached("check", other, [out], compute, out) == 1
    assert calls == [1, 1]


def test_an_entry_for_other_outputs_or_a_broken_one_is_not_used(workdir: Path) -> None:
    out = Path("a.md")

    def compute() -> int:
        out.write_text("a")
        return 0

    digest = reuse.key([], {})
    reuse.run_cached("check", digest, [out], compute)
    assert reuse._restore("check", digest, [Path("b.md")]) is None
    (reuse.CACHE_DIR / "check" / digest / reuse.MANIFEST).write_text("{ broken")
    assert reuse._restore("check", digest, [out]) is None


def test_the_code_and_the_locked_environment_are_part_of_every_key(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = reuse.key([], {})
    monkeypatch.setattr(reuse, "code_digest", lambda: "another version of the code")
    assert reuse.key([], {}) != before


def test_the_key_covers_the_machinery_and_the_teams_package_not_one_folder_of_it(
    tmp_path: Path,
) -> None:
    from gitops_ml.core import hook

    folders = {folder.name for folder in reuse.code_packages()}
    assert folders == {"gitops_ml", hook.package()}
    # A change to any .py file of any listed package is a new digest: a refit module of the
    # machinery (not only its core) or the team's pipeline.
    machinery, team = tmp_path / "gitops_ml", tmp_path / "team"
    for source in (machinery / "review" / "tune.py", team / "pipeline.py"):
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_text("x = 1\n")
    before = reuse.source_digest([machinery, team])
    for source in (machinery / "review" / "tune.py", team / "pipeline.py"):
        source.write_text("x = 2\n")
        assert reuse.source_digest([machinery, team]) != before
        source.write_text("x = 1\n")
    assert reuse.source_digest([machinery, team]) == before
