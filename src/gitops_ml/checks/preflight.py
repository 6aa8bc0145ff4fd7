"""`make check`: validate params.yaml fully, before DVC touches any output.

Beyond the params themselves: the estimator and its hyperparameters, the contract file
(and that editing it re-runs prepare), where data.path points, the data's header and
whether the task fits the target's values (that column alone is read). Independent
problems are reported together. On success it prints the count of columns per role, and
those it will not use, from the data's first rows (core/columns.py; `make init` shows all).
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pandas as pd

from gitops_ml.core import commands, params
from gitops_ml.core import stages as dvc_stages
from gitops_ml.core.config import DATA_DIR, PARAMS_FILE
from gitops_ml.core.errors import Findings, UserError


def check_location(p: params.Params) -> None:
    """data.dvc tracks data/: a file elsewhere would never reach the DVC remote."""
    path = Path(p.data.path)
    if path.is_absolute() or DATA_DIR not in path.parents:
        raise UserError(
            str(PARAMS_FILE),
            "data.path",
            f"{p.data.path!r} is not inside {DATA_DIR}/ (the folder data.dvc tracks)",
            f"move the file into {DATA_DIR}/ and set data.path to e.g. {DATA_DIR}/{path.name}",
        )


def data_files() -> list[Path]:
    """The files under data/ that `dvc add data` versions (hidden ones aside), sorted."""
    if not DATA_DIR.is_dir():
        return []
    return sorted(f for f in DATA_DIR.rglob("*") if f.is_file() and not f.name.startswith("."))


def check_data_file(p: params.Params) -> None:
    """Once data/ holds files (make data has run), data.path must name one of them."""
    if Path(p.data.path).is_file():
        return
    present = [str(f) for f in data_files()]
    if not present:
        return
    close = difflib.get_close_matches(p.data.path, present, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise UserError(
        str(PARAMS_FILE),
        "data.path",
        f"{p.data.path!r} does not exist",
        f"{hint}{DATA_DIR}/ holds: {', '.join(present[:10])}",
    )


# A numeric classification target with more distinct values than this is almost certainly a
# measured quantity (a price, a score): the task should be regression.
MAX_CLASSES = 50


def check_task(target: pd.Series, p: params.Params) -> None:
    """Refuse a task that cannot fit the target column's values."""
    task, name, file = p.data.task, p.data.target, p.data.path
    values = target.dropna()
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    distinct = int(values.nunique())
    if task == "regression" and not numeric:
        shown = ", ".join(map(repr, values.astype(str).unique()[:5].tolist()))
        raise UserError(
            file,
            f"data.target={name!r}",
            f"task is regression but the target holds labels ({shown}, ...)",
            "set data.task in params.yaml to binary or multiclass, or point data.target at a "
            "numeric column",
        )
    if task == "regression" and distinct <= 2:
        raise UserError(
            file,
            f"data.target={name!r}",
            f"task is regression but the target has only {distinct} distinct values",
            "set data.task: binary in params.yaml (and data.positive_class)",
        )
    if task == "binary" and distinct > 2:
        better = "regression" if numeric and distinct > MAX_CLASSES else "multiclass"
        raise UserError(
            file,
            f"data.target={name!r}",
            f"task is binary but the target has {distinct} distinct values",
            f"set data.task: {better} in params.yaml (and positive_class: null)",
        )
    if task == "multiclass" and numeric and distinct > MAX_CLASSES:
        raise UserError(
            file,
            f"data.target={name!r}",
            f"task is multiclass but the target looks like a measure ({distinct} distinct "
            f"numbers; more than {MAX_CLASSES} classes is unlikely)",
            "set data.task: regression in params.yaml, with a regression estimator and "
            "evaluate.primary_metric rmse, mae or r2",
        )


def check_columns(p: params.Params) -> None:
    """Names that must be columns of the data (the target, listed columns, split.key, slice
    columns), from its header alone: a typo found here stops make repro before DVC deletes
    any stage's outputs."""
    from gitops_ml.core import data
    from gitops_ml.core.split import require_key
    from gitops_ml.evaluation.quality import check_slice_columns

    if not Path(p.data.path).is_file():
        return
    columns = data.column_names(p)
    found = Findings()  # a misspelt target does not hide a misspelt feature or slice
    found.attempt(data.require_target, columns, p)
    if not found.errors:
        target = data.read_column(p, p.data.target)
        if target is not None:
            found.attempt(check_task, target, p)
    expanded = data.expanded_names(columns, p.data)
    found.attempt(data.require_listed, [*columns, *expanded], p)  # a date part may be listed
    if p.split.key is not None:
        found.attempt(require_key, columns, p)
    features = found.attempt(data.feature_names, expanded, p)
    if features is not None:
        found.attempt(check_slice_columns, p, features, None)
    found.raise_all()


SAMPLE_ROWS = 10_000  # what `make check` reads to count the roles: prepare reads all


def role_summary(p: params.Params) -> str | None:
    """`12 numeric, 1 id...; not used: ...` from the first rows of the data; None when it
    cannot be read yet (prepare and `make init` then say why, with every row)."""
    from gitops_ml.core import columns, data

    path = Path(p.data.path)
    if not path.is_file():
        return None
    try:
        frame = data.read_head(p, SAMPLE_ROWS)
        resolved = columns.resolve(frame, p)
    except Exception:  # pandas and pyarrow raise many types; prepare names the problem
        return None
    note = f" ({len(resolved.problems)} to decide: run `make init`)" if resolved.problems else ""
    return f"columns in the first {len(frame):,} rows: {resolved.summary()}{note}"


def check_contract_is_a_dependency(p: params.Params) -> None:
    """An edited contract file must re-run the stage that enforces it, the one reading the
    data, so dvc.yaml has to list it among that stage's deps."""
    name = p.contract.schema_file
    if name is None:
        return
    values = p.model_dump()
    stages = dvc_stages.declared()
    for stage in dvc_stages.data_readers(values):
        if Path(name) not in dvc_stages.deps(stages[stage], values):
            raise UserError(
                str(dvc_stages.DVC_YAML),
                f"stages.{stage}.deps",
                f"{name} (contract.schema_file) is not listed: editing it would not re-run {stage}",
                f"add `- {name}` under stages.{stage}.deps",
            )


def run(p: params.Params) -> None:
    from gitops_ml.checks.contract import load_schema_file
    from gitops_ml.core.estimator import build_estimator
    from gitops_ml.review.search import check_search_section
    from gitops_ml.review.tune import check_tune_section

    found = Findings()  # every problem in one run
    found.attempt(check_location, p)
    before = len(found.errors)
    found.attempt(check_data_file, p)
    if len(found.errors) == before:  # the columns need data.path to name a file
        found.attempt(check_columns, p)
    found.attempt(load_schema_file, p)  # a broken contract file stops make repro here
    found.attempt(check_contract_is_a_dependency, p)
    found.attempt(build_estimator, p)  # imports the estimator, checks its hyperparameters
    found.attempt(check_tune_section, p)  # tune.params names hyperparameters of that estimator
    found.attempt(check_search_section, p)  # and so does search.params
    found.raise_all()


def main(argv: list[str]) -> int:
    commands.parser(
        "check", "Validate params.yaml, the estimator and the data's header before any work."
    ).parse_args(argv)
    p = params.load()
    run(p)
    print(f"params.yaml: ok ({p.data.task}, {p.model.estimator})")
    summary = role_summary(p)
    if summary:
        print(summary)
    return 0
