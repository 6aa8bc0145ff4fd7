"""docs/adapting.md's walkthrough, command by command, in a fresh copy of the template.

The commands are read out of the document itself, so the page cannot drift from what
works. The GitHub steps are replaced by what CI would do with them: the pushes go to a
bare local "origin", and the report is the one the pull request would get.
"""

from __future__ import annotations

import re
import shlex

import pytest

from tests.conftest import REPO_ROOT, VENV_BIN, Project

pytestmark = pytest.mark.slow

DOC = REPO_ROOT / "docs" / "adapting.md"


def doc_commands(text: str) -> list[str]:
    """Every `$ command` line of the document's console blocks, in order."""
    blocks = re.findall(r"^```console\n(.*?)^```", text, flags=re.S | re.M)
    return [line[2:] for block in blocks for line in block.splitlines() if line.startswith("$ ")]


def script(commands: list[str]) -> str:
    """A bash script of the commands; `make` keeps the test run's venv (conftest's -o)."""
    venv = shlex.quote(str(VENV_BIN.parent))
    stamp = shlex.quote(f"{VENV_BIN.parent}/.installed")
    make = (
        f'make() {{ command make --no-print-directory VENV={venv} STAMP={stamp} -o {stamp} "$@"; }}'
    )
    echoed = [f"echo {shlex.quote('$ ' + c)}\n{c}" for c in commands]
    return "\n".join(["set -euo pipefail", make, *echoed]) + "\n"


def test_the_document_covers_every_step_up_to_the_report() -> None:
    commands = doc_commands(DOC.read_text(encoding="utf-8"))
    firsts = [c.split()[0:2] for c in commands]
    for expected in (
        ["dvc", "remote"],
        ["dvc", "add"],
        ["make", "init"],
        ["make", "repro"],
        ["git", "commit"],
        ["git", "push"],
        ["make", "report"],
    ):
        assert expected in firsts, expected
    assert (
        commands.index("make init") < commands.index("dvc add data") < commands.index("make repro")
    )


def test_adapting_walkthrough_runs_from_a_fresh_clone_to_the_pr_report(template: Project) -> None:
    origin = template.root.parent / "origin.git"
    template.git("init", "-q", "--bare", str(origin))
    template.git("remote", "add", "origin", str(origin))
    (template.root / ".venv").symlink_to(VENV_BIN.parent)  # what `make setup` would create

    out = template.run("bash", "-c", script(doc_commands(DOC.read_text(encoding="utf-8"))))

    assert "init: data/synthetic_1000.parquet matches params.yaml" in out.stdout
    assert "git add .dvc/config data.dvc params.yaml dvc.lock metrics/" in out.stdout
    assert "Running stage 'train'" in out.stdout
    # Both branches reached origin; the data and both models reached the team's remote.
    heads = template.git("ls-remote", "--heads", str(origin)).stdout
    assert "refs/heads/main" in heads and "refs/heads/more-iterations" in heads
    assert (template.root.parent / "team-dvc-remote" / "files" / "md5").is_dir()
    assert "are in sync" in template.dvc("status", "--cloud").stdout
    # The PR branch's commit is reproducible as committed, and main's lock differs from it.
    assert template.repro() == []
    assert template.git("diff", "--stat", "main", "HEAD", "--", "dvc.lock").stdout
    report = (template.root / "report.md").read_text(encoding="utf-8")
    assert "| `model.params.max_iter` | 60 | 120 |" in report
    assert "**roc_auc** (primary)" in report
    assert "Stages that re-ran: `train`, `evaluate`" in report
    assert re.search(r"Gate (passed|failed)", report)
