"""`make explain ROW=<index|JSON>`: one prediction taken apart, to debug a single row.

It prints the raw row, what every preprocessing step makes of it (with feature names),
the prediction, and each feature's contribution to the score. Linear models are exact:
coefficient x transformed value, plus the intercept, adds up to the decision function.
Other models (gradient boosting, forests) get occlusion: the change in score when the
feature alone is set to its training median (numbers) or most frequent value
(categories). That needs nothing beyond predict, so it works for any estimator; its
contributions need not add up to the score, and the output says which method was used.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from gitops_ml.core import commands, config, data, params
from gitops_ml.core.data import FeatureSpec
from gitops_ml.core.errors import UserError

if TYPE_CHECKING:
    from numpy.typing import NDArray

ROW_HELP = 'a 0-based index into the test split, or a JSON object of raw columns: {"col": 1.5}'


@dataclass(frozen=True)
class Contribution:
    feature: str
    value: Any  # the value the model saw (transformed for linear, raw for occlusion)
    contribution: float
    detail: str  # coefficient or reference value


@dataclass(frozen=True)
class Explanation:
    method: str  # one line: how the contributions were computed
    score_name: str
    score: float
    contributions: list[Contribution]


def row_from_test_split(text: str, test: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """The test split's row at a 0-based position, as a one-row frame."""
    index = int(text)
    if not 0 <= index < len(test):
        raise UserError(
            str(config.TEST_FILE),
            "ROW",
            f"index {index} is out of range: the test split has {len(test)} rows",
            f"pass an index from 0 to {len(test) - 1}, or a JSON object of raw columns",
        )
    row = test.iloc[[index]].reset_index(drop=True)
    origin = f"test split row {index} (row {int(row[config.ROW_ID].iloc[0])} of the raw data)"
    return row.drop(columns=[config.ROW_ID]), origin


def parse_json(text: str) -> dict[str, Any]:
    """The JSON object ROW holds; checked before the model is loaded, so mistakes stop fast."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as err:
        raise UserError(
            "ROW", "(JSON)", f"invalid JSON: {err.msg} at character {err.pos}", ROW_HELP
        ) from None
    if not isinstance(raw, dict):
        raise UserError("ROW", "(JSON)", f"expected an object, got {type(raw).__name__}", ROW_HELP)
    return raw


def row_from_json(
    raw: dict[str, Any], pipeline: Any, spec: FeatureSpec
) -> tuple[pd.DataFrame, str]:
    """A JSON object of raw columns, checked like `make predict` checks its input."""
    from gitops_ml.serving.serve import check_input

    row = pd.DataFrame([{k: (np.nan if v is None else v) for k, v in raw.items()}])
    check_input(row, pipeline, spec, "ROW")
    for column in spec.numeric:
        row[column] = pd.to_numeric(row[column]).astype(float)
    ignored = sorted(set(row.columns) - set(spec.columns) - {spec.target})
    origin = "JSON row" + (f" (ignored, not model features: {ignored})" if ignored else "")
    return row, origin


def step_outputs(pipeline: Any, row: pd.DataFrame) -> list[tuple[str, list[str], list[Any]]]:
    """Each fitted preprocessing step's output for the row: (step, feature names, values)."""
    preprocess = pipeline.named_steps["preprocess"]
    found = []
    for name, transformer, columns in preprocess.transformers_:
        if name == "remainder" or isinstance(transformer, str):
            continue
        steps = (
            transformer.steps if hasattr(transformer, "steps") else [("passthrough", transformer)]
        )
        current: Any = row[list(columns)]
        names = [str(c) for c in columns]
        for step_name, step in steps:
            current = step.transform(current)
            names = [str(n) for n in step.get_feature_names_out(names)]
            values = np.asarray(current, dtype=object)[0].tolist()
            found.append((f"{name}/{step_name}", names, values))
    return found


def _score_target(pipeline: Any, p: params.Params) -> tuple[str, Any]:
    """What the contributions explain: P(positive class), P(predicted class) or the value."""
    from gitops_ml.evaluation.metrics import resolve_positive

    if not hasattr(pipeline, "predict_proba"):
        return "prediction", None
    classes = list(pipeline.classes_)
    if len(classes) == 2:
        positive = resolve_positive(classes, p.data.positive_class)
        return f"P({positive})", classes.index(positive)
    return "P(predicted class)", -1  # resolved per row in occlusion


def _scores(pipeline: Any, frame: pd.DataFrame, column: Any) -> NDArray[Any]:
    if column is None:
        return np.asarray(pipeline.predict(frame), dtype=float)
    return np.asarray(pipeline.predict_proba(frame), dtype=float)[:, column]


def references(train: pd.DataFrame, spec: FeatureSpec) -> dict[str, Any]:
    """Training median per numeric feature, most frequent value per categorical one."""
    found: dict[str, Any] = {c: float(train[c].median()) for c in spec.numeric}
    for column in spec.categorical:
        counts = train[column].dropna().value_counts()
        found[column] = counts.index[0] if len(counts) else np.nan
    return found


def occlusion(
    pipeline: Any, row: pd.DataFrame, spec: FeatureSpec, refs: dict[str, Any], p: params.Params
) -> Explanation:
    """score(row) - score(row with one feature set to its reference), for every feature."""
    name, column = _score_target(pipeline, p)
    if column == -1:
        column = int(np.argmax(pipeline.predict_proba(row[spec.columns])[0]))
        name = f"P({pipeline.classes_[column]})"
    variants = pd.concat([row[spec.columns]] * (len(spec.columns) + 1), ignore_index=True)
    variants[spec.numeric] = variants[spec.numeric].astype(float)  # medians need not be whole
    for i, feature in enumerate(spec.columns, start=1):
        variants.loc[i, feature] = refs[feature]
    scores = _scores(pipeline, variants, column)
    contributions = [
        Contribution(f, row[f].iloc[0], float(scores[0] - scores[i]), f"reference {_fmt(refs[f])}")
        for i, f in enumerate(spec.columns, start=1)
    ]
    method = (
        "occlusion: contribution = score(row) - score(row with that feature set to its "
        "training median (numeric) or most frequent value (categorical)); "
        "contributions need not add up to the score"
    )
    return Explanation(method, name, float(scores[0]), contributions)


def linear(pipeline: Any, row: pd.DataFrame, spec: FeatureSpec, p: params.Params) -> Explanation:
    """coefficient x transformed value per model input; with the intercept, the exact score."""
    estimator = pipeline.named_steps["estimator"]
    preprocess = pipeline.named_steps["preprocess"]
    x = np.asarray(preprocess.transform(row[spec.columns]), dtype=float)[0]
    names = [str(n) for n in preprocess.get_feature_names_out()]
    coef = np.atleast_2d(np.asarray(estimator.coef_, dtype=float))
    intercept = np.atleast_1d(np.asarray(estimator.intercept_, dtype=float))
    k, what = 0, "prediction"
    if hasattr(estimator, "classes_"):
        classes = list(estimator.classes_)
        if coef.shape[0] == 1:
            what = f"decision function (log-odds of {classes[1]!r} for logistic models)"
        else:
            k = classes.index(pipeline.predict(row[spec.columns])[0])
            what = f"decision function of class {classes[k]!r}"
    parts = coef[k] * x
    contributions = [
        Contribution(n, float(v), float(c), f"coef {w:.6g}")
        for n, v, c, w in zip(names, x, parts, coef[k], strict=True)
    ]
    method = (
        f"linear: contribution = coefficient x transformed value; intercept {intercept[k]:.6g} "
        "+ the contributions = the score exactly"
    )
    return Explanation(method, what, float(intercept[k] + parts.sum()), contributions)


def explain(
    pipeline: Any,
    row: pd.DataFrame,
    spec: FeatureSpec,
    train: pd.DataFrame | Callable[[], pd.DataFrame],
    p: params.Params,
) -> Explanation:
    """Exact for linear models, occlusion for everything else. `train` may be a reader:
    only occlusion needs the train split (for its medians), so linear models never read it."""
    estimator = pipeline.named_steps["estimator"]
    coef = getattr(estimator, "coef_", None)
    if coef is not None and np.asarray(coef).dtype.kind == "f":
        return linear(pipeline, row, spec, p)
    frame = train() if callable(train) else train
    return occlusion(pipeline, row, spec, references(frame, spec), p)


def _fmt(value: Any) -> str:
    if isinstance(value, float | np.floating):
        return f"{float(value):.6g}"
    return str(value)


def render(
    origin: str, row: pd.DataFrame, spec: FeatureSpec, pipeline: Any, result: Explanation
) -> str:
    width = max(len(c) for c in [*spec.columns, spec.target]) + 2
    lines = [f"== raw row: {origin}"]
    for column in spec.columns:
        lines.append(f"  {column:<{width}}{_fmt(row[column].iloc[0])}")
    if spec.target in row.columns:
        lines.append(f"  {spec.target:<{width}}{_fmt(row[spec.target].iloc[0])}  (target)")
    for step, names, values in step_outputs(pipeline, row[spec.columns]):
        lines.append(f"== after preprocess step {step} ({len(names)} columns)")
        lines += [f"  {n:<{width}}{_fmt(v)}" for n, v in zip(names, values, strict=True)]
    features = row[spec.columns]
    lines.append(f"== prediction: {_fmt(pipeline.predict(features)[0])}")
    if hasattr(pipeline, "predict_proba"):
        proba = pipeline.predict_proba(features)[0]
        pairs = ", ".join(f"{c}={v:.4f}" for c, v in zip(pipeline.classes_, proba, strict=True))
        lines.append(f"  probabilities: {pairs}")
    lines.append(f"== contributions to {result.score_name} = {result.score:.6g}")
    lines.append(f"  method: {result.method}")
    ranked = sorted(result.contributions, key=lambda c: abs(c.contribution), reverse=True)
    for c in ranked:
        lines.append(
            f"  {c.feature:<{width}}{c.contribution:+.6g}  value {_fmt(c.value)}, {c.detail}"
        )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    from gitops_ml.artifact import model

    parser = commands.parser("explain", __doc__.split("\n")[0])
    parser.add_argument("--row", required=True, help=ROW_HELP)
    parser.add_argument("--model", type=Path, default=config.MODEL_FILE)
    args = parser.parse_args(argv)
    p = params.load()
    config.require_outputs(
        config.FEATURES_FILE, config.TRAIN_FILE, config.TEST_FILE, reader="make explain reads it"
    )
    spec = FeatureSpec.load()
    text = args.row.strip()
    if text.lstrip("-").isdigit():
        row, origin = row_from_test_split(text, data.read_parquet(config.TEST_FILE))
        pipeline = model.load_recorded(args.model)
    elif text.startswith(("{", "[", '"')) or not text:
        raw = parse_json(text)
        pipeline = model.load_recorded(args.model)
        row, origin = row_from_json(raw, pipeline, spec)
    else:
        raise UserError("ROW", "", f"{text[:40]!r} is neither an index nor JSON", ROW_HELP)

    def train() -> pd.DataFrame:
        return data.read_parquet(config.TRAIN_FILE, columns=spec.columns)

    print(render(origin, row, spec, pipeline, explain(pipeline, row, spec, train, p)))
    return 0
