"""`make predict`: score new data (raw schema, CSV or Parquet) with the trained model.

The input goes through the same reader checks as training data and the same scoring
code as evaluate (`predict.score`), so what is served is what was tested. `make predict`
then holds every row to the training data's contract (serving_contract.py: infinities,
ranges, missing values, the schema file, unseen categories) and refuses or flags the rows
that break it, as `serving.on_violation` says. A category the model never saw would
otherwise be silently ignored by the one-hot encoder, and the prediction be a guess:
`serving.unseen_category` refuses, flags or knowingly scores such rows, and the closing
line counts them per column. `serving.passthrough` copies the input's id columns beside
each prediction, so the output joins back to the rows it scored.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gitops_ml.checks import serving_contract
from gitops_ml.core import commands, config, data, params
from gitops_ml.core.data import MISSING_CATEGORY, FeatureSpec
from gitops_ml.core.errors import UserError, raise_all


def read_input(path: Path, p: params.Params) -> pd.DataFrame:
    """Read a file with the raw data's layout; the target column is optional here."""
    if not path.is_file():
        raise UserError(str(path), "(file)", "does not exist", "pass an existing CSV or Parquet")
    return data.read_table(path, p.data.format_of_file(path), p.data)


def _categories(pipeline: Any, spec: FeatureSpec) -> dict[str, set[str]]:
    """The categories the encoder learned, per column, as text."""
    if not spec.categorical:
        return {}
    preprocess = pipeline.named_steps["preprocess"]
    encoder = preprocess.named_transformers_["categorical"].named_steps["encode"]
    return {
        column: {str(v) for v in values}
        for column, values in zip(spec.categorical, encoder.categories_, strict=True)
    }


def check_input(
    frame: pd.DataFrame,
    pipeline: Any,
    spec: FeatureSpec,
    file: str,
    *,
    unseen_categories: bool = True,
) -> None:
    """Every problem with the input at once: missing or non-numeric columns, and (unless
    `make predict` leaves them to serving.on_violation) unseen categories."""
    problems: list[UserError] = []
    missing = [c for c in spec.columns if c not in frame.columns]
    for column in missing:
        problems.append(
            UserError(file, column, "column is missing", "the model needs every feature column")
        )
    for column in spec.numeric:
        if column in frame.columns and not pd.api.types.is_numeric_dtype(frame[column]):
            bad = data.not_numbers(frame[column])
            rows = [int(i) for i in np.flatnonzero(bad.to_numpy())[:5]]
            problems.append(
                UserError(
                    file,
                    column,
                    f"expected numbers; offending rows (0-based): {rows}",
                    "clean the column",
                )
            )
    for column, known in (_categories(pipeline, spec) if unseen_categories else {}).items():
        if column not in frame.columns:
            continue
        values = frame[column]
        unseen = serving_contract.never_seen(values, known)
        if unseen.any():
            shown = sorted(values[unseen].astype(str).unique())[:5]
            rows = [int(i) for i in np.flatnonzero(unseen)[:5]]  # positions, not index labels
            allowed = sorted(known - {MISSING_CATEGORY})[:10]
            problems.append(
                UserError(
                    file,
                    column,
                    f"categories never seen in training: {shown}; rows (0-based): {rows}",
                    f"use one of {allowed}, or retrain with data that has them",
                )
            )
    raise_all(problems)


def predict_frame(pipeline: Any, frame: pd.DataFrame, spec: FeatureSpec) -> pd.DataFrame:
    """Predictions for a raw frame: row id, (y_true when present), y_pred, class probabilities."""
    from gitops_ml.evaluation import predict

    has_target = spec.target in frame.columns
    scoring = frame if has_target else frame.assign(**{spec.target: np.nan})
    scored = predict.score(pipeline, scoring, spec)
    out = predict.to_frame(scored, pd.Series(np.arange(len(frame), dtype=np.int64)))
    return out if has_target else out.drop(columns=["y_true"])


_PIPELINE = "where the pipeline writes its outputs: DVC would find them changed"
# Folders OUTPUT may not be inside, and what writing there would do.
FORBIDDEN_FOLDERS = {
    config.DATA_DIR: "the folder data.dvc tracks: predictions would become part of the data "
    "(or replace it)",
    config.ARTIFACTS_DIR: _PIPELINE,
    config.METRICS_DIR: _PIPELINE,
}


def check_output(path: Path, source: Path, force: bool = False) -> None:
    """Before any work: the name must say CSV or Parquet, must not be the input's, a
    pipeline output's or (without force) any existing file's: it may be someone's data."""
    if path.resolve() == source.resolve():
        raise UserError(
            str(path),
            "(file)",
            "is also the input: writing it would replace your data",
            "pick another OUTPUT",
        )
    for folder, why in FORBIDDEN_FOLDERS.items():
        if folder.resolve() in path.resolve().parents:
            raise UserError(
                str(path),
                "(file)",
                f"is inside {folder}/, {why}",
                f"write OUTPUT outside {folder}/",
            )
    if path.exists() and not force:
        raise UserError(
            str(path),
            "(file)",
            "already exists: it may be someone's data",
            "make predict FORCE=1 (--force) replaces it; or pick another OUTPUT",
        )
    if params.format_of(path) is None:
        raise UserError(
            str(path),
            "(file)",
            "the name does not say CSV or Parquet",
            f"end it in one of {', '.join(params.CSV_SUFFIXES + params.PARQUET_SUFFIXES)}",
        )


def write_output(frame: pd.DataFrame, path: Path) -> None:
    from gitops_ml.core.atomic import atomic_path

    with atomic_path(path) as tmp:
        if params.format_of(path) == "parquet":
            frame.to_parquet(tmp, index=False)
        else:  # the final name says gzip or tabs: the temporary one does not
            name = path.name.lower()
            gzip = {"method": "gzip", "mtime": 0} if name.endswith(".gz") else None
            sep = "\t" if name.endswith(".tsv") else ","
            frame.to_csv(tmp, index=False, lineterminator="\n", compression=gzip, sep=sep)


def check_passthrough(frame: pd.DataFrame, p: params.Params, file: str) -> None:
    """Every `serving.passthrough` column must be in the input: an id that silently went
    missing would leave predictions nobody can join back."""
    missing = [c for c in p.serving.passthrough if c not in frame.columns]
    if missing:
        shown = ", ".join(list(frame.columns)[:15])
        raise UserError(
            file,
            ", ".join(missing),
            "listed in serving.passthrough (params.yaml) but not a column of the input",
            f"add the column to the input, or remove it from serving.passthrough; "
            f"the input has: {shown}",
        )


def with_passthrough(out: pd.DataFrame, frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The input's `columns` copied beside row_id, in the order listed."""
    for offset, column in enumerate(columns, start=1):
        out.insert(offset, column, frame[column].to_numpy())
    return out


def main(argv: list[str]) -> int:
    from gitops_ml.artifact import model

    parser = commands.parser("predict", "Score a CSV/Parquet file with the trained model.")
    parser.add_argument("--input", required=True, type=Path, help="CSV or Parquet, raw layout")
    parser.add_argument("--output", required=True, type=Path, help="CSV or Parquet to write")
    parser.add_argument("--model", type=Path, default=config.MODEL_FILE)
    parser.add_argument("--force", action="store_true", help="replace an existing OUTPUT")
    args = parser.parse_args(argv)
    check_output(args.output, args.input, args.force)
    p = params.load()
    spec = FeatureSpec.load()
    frame = read_input(args.input, p)
    check_passthrough(frame, p, str(args.input))
    pipeline = model.load_recorded(args.model)
    check_input(frame, pipeline, spec, str(args.input), unseen_categories=False)
    categories = _categories(pipeline, spec)
    outcome = serving_contract.enforce(frame, spec, p, categories, str(args.input))
    out = with_passthrough(predict_frame(pipeline, frame, spec), frame, p.serving.passthrough)
    if outcome.flags is not None:
        out[serving_contract.COLUMN] = outcome.flags
        broken = sum(1 for f in outcome.flags if f)
        print(
            f"predict: {broken} of {len(frame)} rows break the data contract; scored anyway "
            f"(serving.on_violation / unseen_category: flag), see the "
            f"{serving_contract.COLUMN} column",
            file=sys.stderr,
        )
    write_output(out, args.output)
    unseen = outcome.summary()
    if unseen and p.serving.unseen_policy == "unknown":
        unseen += ", scored as unknown (serving.unseen_category)"
    print(f"predict: {len(frame)} rows scored -> {args.output}" + (f"; {unseen}" if unseen else ""))
    return 0
