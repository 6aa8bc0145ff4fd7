"""`make exp SET="key=value ..."`: an experiment whose params.yaml diff is one line per value.

The values are written into params.yaml first (core.params_edit: comments, key order and
quotes stay), validated as `make check` validates them before anything is written, and only
then does `dvc exp run` run, on the workspace as it now is (no `-S`, which would rewrite the
whole file). As after `dvc exp run -S`, the workspace then holds the experiment: the edited
params.yaml, dvc.lock and metrics/, to commit for a pull request or to put back.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

from gitops_ml.core import atomic, commands, params, params_edit
from gitops_ml.core.config import PARAMS_FILE
from gitops_ml.core.errors import UserError


def assignments(texts: list[str], file: str) -> list[params_edit.Assignment]:
    """`--set` strings, each split like a shell line: `a=1 'b=two words'`."""
    return [
        params_edit.parse_assignment(item, file) for text in texts for item in shlex.split(text)
    ]


def validate(text: str, file: str) -> params.Params:
    """What `make check` refuses in params.yaml itself: unknown keys, values out of range,
    the estimator's hyperparameter names and tune.params."""
    from gitops_ml.core.estimator import build_estimator
    from gitops_ml.review.tune import check_tune_section

    p = params.parse(params.yaml_text(text), file)
    build_estimator(p)
    check_tune_section(p)
    return p


def edit(path: Path, changes: list[params_edit.Assignment]) -> list[str]:
    """Write `changes` into params.yaml, all or nothing; the lines that changed, as
    `key: old -> new`."""
    file = str(path)
    before = path.read_text(encoding="utf-8")
    after = params_edit.apply(before, changes, file)
    validate(after, file)
    if after != before:
        atomic.write_text(path, after)
    old = params.yaml_text(before)
    shown = []
    for change in {c.path: c for c in changes}.values():
        try:
            was = params_edit.render(params_edit.value_at(old, change.path))
        except (KeyError, IndexError, TypeError):
            was = "(default)"
        shown.append(f"{change.key}: {was} -> {params_edit.render(change.value)}")
    return shown


def dvc_exp_run(name: str | None, extra: list[str]) -> int:
    dvc = Path(sys.executable).with_name("dvc")
    options = [*(["--name", name] if name else []), *extra]
    print(f"exp: {shlex.join(['dvc', 'exp', 'run', *options])}", flush=True)
    command = [str(dvc) if dvc.is_file() else "dvc", "exp", "run", *options]
    return subprocess.run(command, check=False).returncode


def main(argv: list[str]) -> int:
    parser = commands.parser(
        "exp",
        "Set params.yaml values (comments and quotes kept), then run `dvc exp run`.",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="'KEY=VALUE ...'",
        help="dotted keys, values as YAML: model.params.C=0.3 split.test_size=0.25",
    )
    parser.add_argument("--name", help="the experiment's name (dvc exp run --name)")
    parser.add_argument(
        "--exp-args", default="", help="more `dvc exp run` options, e.g. '--queue' or '--temp'"
    )
    parser.add_argument("--no-run", action="store_true", help="edit params.yaml only")
    args = parser.parse_args(argv)
    file = str(PARAMS_FILE)
    changes = assignments(args.set, file)
    if not PARAMS_FILE.is_file():
        raise UserError(file, "", "file not found", "run from the repository root")
    for line in edit(PARAMS_FILE, changes) if changes else []:
        print(f"exp: {file}: {line}")
    if args.no_run:
        return 0
    status = dvc_exp_run(args.name, shlex.split(args.exp_args))
    if status == 0 and "--queue" not in args.exp_args:
        print(
            "exp: the workspace now holds the experiment (params.yaml, dvc.lock, metrics/): "
            "commit them for a pull request; `dvc exp show` compares experiments and "
            "`dvc exp apply <name>` brings one back; `git checkout params.yaml dvc.lock "
            "metrics && dvc checkout` returns to the last commit",
            file=sys.stderr,
        )
    elif changes:
        print(
            f"exp: {file} keeps the new values; `git checkout {file}` puts it back",
            file=sys.stderr,
        )
    return status
