"""docs/adapting.md's walkthrough, command by command, in a fresh copy of the template.

The commands are read out of the document itself, so the page cannot drift from what
works. What the reader does outside a shell is done here: a generated table with the
running example's shape stands in for their file (written where step 4 says it is), and
step 4's `params.yaml` edits are applied as an editor would. The GitHub steps are replaced
by what CI would do with them: the pushes go to a bare local "origin", and the report is
the one the pull request would get.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

import pytest
import yaml

from tests.conftest import REPO_ROOT, VENV_BIN, Project

pytestmark = pytest.mark.slow

DOC = REPO_ROOT / "docs" / "adapting.md"


def doc_commands(text: str) -> list[str]:
    """Every `$ command` line of the document's console blocks, in order."""
    blocks = re.findall(r"^```console\n(.*?)^```", text, flags=re.S | re.M)
    return [line[2:] for block in blocks for line in block.splitlines() if line.startswith("$ ")]


def params_edits(text: str) -> dict[str, Any]:
    """Step 4's `yaml` block: the keys the reader changes in params.yaml."""
    found = re.search(r"^\*\*4\..*?^```yaml\n(.*?)^```", text, flags=re.S | re.M)
    assert found, "step 4 shows its params.yaml edits in a yaml block"
    edits: dict[str, Any] = yaml.safe_load(found.group(1))
    return edits


def merged(params: dict[str, Any], edits: dict[str, Any]) -> dict[str, Any]:
    """`edits` written over `params` key by key, as in an editor (a list is replaced)."""
    out = dict(params)
    for key, value in edits.items():
        both = isinstance(value, dict) and isinstance(out.get(key), dict)
        out[key] = merged(out[key], value) if both else value
    return out


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


def test_the_walkthrough_never_writes_sample_data_or_replaces_params_yaml() -> None:
    """Read with your own data, no step may put the sample into data/ or an example's
    params over yours: the examples live in a section of their own, run in a scratch clone."""
    commands = doc_commands(DOC.read_text(encoding="utf-8"))
    for command in commands:
        assert "sample-data" not in command and "make data" not in command, command
        assert not re.search(r"(cp|mv|>)\s.*params\.yaml", command), command
        assert "examples/" not in command, command


def test_adapting_walkthrough_runs_from_a_fresh_clone_to_the_pr_report(template: Project) -> None:
    origin = template.root.parent / "origin.git"
    template.git("init", "-q", "--bare", str(origin))
    template.git("remote", "add", "origin", str(origin))
    (template.root / ".venv").symlink_to(VENV_BIN.parent)  # what `make setup` would create
    doc = DOC.read_text(encoding="utf-8")
    # The reader's steps 3 and 4, done outside the shell: their file, their params.
    edits = params_edits(doc)
    your_file = edits["data"]["path"]
    template.cli("sample-data", "--rows", "1000")  # the generated stand-in, renamed
    (template.root / "data" / "synthetic_1000.parquet").rename(template.root / your_file)
    template.params_path.write_text(yaml.safe_dump(merged(template.read_params(), edits)))

    out = template.run("bash", "-c", script(doc_commands(doc)))

    assert f"init: {your_file} matches params.yaml" in out.stdout
    # data/ holds the reader's file and nothing of the sample's
    assert [
        p.relative_to(template.root).as_posix() for p in (template.root / "data").iterdir()
    ] == [your_file]
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
