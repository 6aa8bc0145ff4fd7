"""`make init`: check a new project's data against its params before the first training.

A first `make repro` on someone else's data fails late and one problem at a time: the
target is misspelt, the task does not fit the target, a model test names a column of
the sample data. This reads the data once, applies the same checks prepare and the
model tests apply (`data.read_raw`, `contract.enforce`, `model_tests.validate`) plus
the task-vs-target checks only a human choice can get wrong, and prints every column's
role (core/columns.py: feature, id, date, text, constant...) with the reason, then what
to run and commit next. It changes nothing. Problems come in one wave: a column
inference refuses does not hide the contract or model-test problems of the others.
"""

from __future__ import annotations

from pathlib import Path

from gitops_ml.checks.preflight import data_files
from gitops_ml.core import commands
from gitops_ml.core import params as params_mod
from gitops_ml.core.config import PARAMS_FILE
from gitops_ml.core.errors import Findings

DVC_CONFIG = ".dvc/config"


def _data_recorded() -> bool | None:
    """Whether data/ already hashes to what data.dvc records; None without a data.dvc."""
    from gitops_ml.datasets.restore import DATA_DVC, _data_in_sync

    if not Path(DATA_DVC).is_file():
        return None
    from dvc.repo import Repo

    with Repo(".") as repo:
        return _data_in_sync(repo)


def _changed_config() -> list[str]:
    """DVC's config when it has uncommitted edits (a new remote must reach CI too)."""
    import subprocess

    try:
        out = subprocess.run(
            ["git", "status", "--porcelain", "--", DVC_CONFIG],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):  # no git, or not a repository
        return []
    return [DVC_CONFIG] if out.strip() else []


def next_steps(
    p: params_mod.Params, recorded: bool | None, extra: list[str] | None = None
) -> list[str]:
    """The commands between a checked dataset and a pull request, in order."""
    steps = []
    if not recorded:
        steps.append("dvc add data                # record your data's hash in data.dvc")
    steps.append("make repro                  # prepare -> train -> evaluate")
    files = [*(extra or []), "data.dvc", "params.yaml", "dvc.lock", "metrics/"]
    if p.contract.schema_file:
        files.insert(files.index("params.yaml") + 1, p.contract.schema_file)
    steps.append(f"git add {' '.join(files)}")
    steps.append('git commit -m "Train on my data"')
    steps.append("dvc push && git push          # data and model first, then the commit")
    return steps


def run(path: Path = PARAMS_FILE) -> list[str]:
    """Every check, in the order a first training would hit them; returns the summary lines."""
    from gitops_ml.checks import contract, model_tests, preflight
    from gitops_ml.core import columns, data
    from gitops_ml.core.estimator import check_target
    from gitops_ml.evaluation import quality

    p = params_mod.load(path)
    found = Findings()  # every problem in one run: an adopter fixes them all at once
    found.attempt(preflight.run, p)  # location, header, contract file, estimator, its values
    frame = found.attempt(data.read_raw, p)
    resolved = None
    if frame is not None:  # make check skips the task when data.path is outside data/
        found.attempt(preflight.check_task, frame[p.data.target], p)
        found.attempt(check_target, p, frame[p.data.target])  # log of a zero target
        resolved = found.attempt(columns.resolve, frame, p)
    if frame is not None and resolved is not None:
        found.errors += resolved.problems
        found.attempt(contract.enforce, frame, p, resolved.spec)
        # a refused column named by a model test or slice is reported once, as refused
        found.attempt(model_tests.validate, p, resolved.hoped)
        found.attempt(quality.check_slices, p, resolved.hoped)
    if found.errors and resolved is not None:
        print(f"columns of {p.data.path}:\n" + "\n".join(resolved.table()))
    found.raise_all()
    assert frame is not None and resolved is not None  # raise_all raised otherwise
    spec = resolved.spec
    target = frame[p.data.target]
    shape = (
        f"{target.nunique()} classes"
        if p.is_classification
        else f"values {target.min():g} to {target.max():g}"
    )
    return [
        f"init: {p.data.path} matches {path}: {len(frame)} rows, "
        f"{len(spec.numeric)} numeric and {len(spec.categorical)} categorical features, "
        f"target {p.data.target!r} ({p.data.task}, {shape})",
        f"columns ({resolved.summary()}):",
        *resolved.table(),
    ]


def other_data_files(p: params_mod.Params, limit: int = 5) -> list[str]:
    """Files under data/ besides data.path (say, the sample left beside your own data)."""
    from gitops_ml.core.config import DATA_DIR

    mine = Path(p.data.path).resolve()
    found = [f.relative_to(DATA_DIR).as_posix() for f in data_files() if f.resolve() != mine]
    return found[:limit] + (["..."] if len(found) > limit else [])


def main(argv: list[str]) -> int:
    commands.parser(
        "init", "Check your data against params.yaml before the first training."
    ).parse_args(argv)
    lines = run()
    recorded = _data_recorded()
    p = params_mod.load()
    print("\n".join(lines))
    others = other_data_files(p)
    if others:
        print(f"note: data/ also holds {others}: `dvc add data` versions every file there")
    state = "already matches data.dvc" if recorded else "is not recorded in data.dvc yet"
    print(f"data/ {state}. Next, run and commit:")
    print("\n".join(f"  {step}" for step in next_steps(p, recorded, _changed_config())))
    return 0
