"""Model quality beyond one number: simpler-model baselines, slices, permutation importance.

evaluate calls `write_all`; the report and the gate read the three JSON files back. Every
number is seeded and rounded, so the files (committed, listed in dvc.lock) are byte-stable.
scikit-learn's linear models are imported inside the functions that use them, so
commands that only read the files do not pay for the imports.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from gitops_ml.core import config
from gitops_ml.core.data import FeatureSpec
from gitops_ml.core.errors import UserError
from gitops_ml.core.params import ModelParams, Params, SliceSpec
from gitops_ml.evaluation import metrics, predict

if TYPE_CHECKING:
    from numpy.typing import NDArray

DIGITS = 6  # rounding of every stored number: stable bytes across BLAS builds
MAX_CATEGORIES = 20  # a categorical slice column with more values needs grouping first
BASELINE_MAX_ROWS = 200_000  # baselines fit on a seeded sample of larger train splits
IMPORTANCE_REPEATS = 5
IMPORTANCE_MAX_ROWS = 5000  # a seeded sample of larger test splits keeps evaluate fast
IMPORTANCE_BATCH_ROWS = 50_000  # shuffled rows scored per predict call
BASELINES = {
    # name -> (classifier, regressor); linear models get the model's preprocessing
    "dummy": ("sklearn.dummy.DummyClassifier", "sklearn.dummy.DummyRegressor"),
    "linear": ("sklearn.linear_model.LogisticRegression", "sklearn.linear_model.Ridge"),
}
EXTRA_HYPER = {"sklearn.linear_model.LogisticRegression": {"max_iter": 1000}}


def _round(value: float | np.floating[Any]) -> float | None:
    """Rounded for stable bytes; NaN (an undefined metric) is stored as null."""
    return None if not np.isfinite(value) else round(float(value), DIGITS)


def baseline_params(p: Params, name: str) -> Params:
    """A copy of params whose estimator is the named baseline, with default preprocessing.

    Preprocessing follows `auto` rules (impute for models that refuse NaN, scale for linear
    models, encode categories), independent of the user's model section: the baseline is
    the same whatever model is being compared with it.
    """
    estimator = BASELINES[name][0 if p.is_classification else 1]
    model = ModelParams(estimator=estimator, params=EXTRA_HYPER.get(estimator, {}))
    return p.model_copy(update={"model": model})


def baselines(
    p: Params, spec: FeatureSpec, train: pd.DataFrame, test: pd.DataFrame, model_value: float
) -> dict[str, dict[str, float | None]]:
    """The primary metric of the model and of each simpler model, on the same test split."""
    from gitops_ml.core.hook import build_pipeline

    primary = p.evaluate.primary_metric
    values: dict[str, float | None] = {"model": _round(model_value)}
    for name in BASELINES:
        pipeline = build_pipeline(baseline_params(p, name), spec)
        pipeline.fit(train[spec.columns], train[spec.target])
        scored = predict.score(pipeline, test, spec)
        values[name] = _round(metrics.primary_value(scored, primary, p.data.positive_class))
    return {primary: values}


def _bins(values: pd.Series, bins: int) -> pd.Series:
    """Quantile bins labelled by their value range; ties may merge bins (fewer than asked)."""
    codes, edges = pd.qcut(values, q=bins, retbins=True, duplicates="drop", labels=False)
    labels = [f"[{edges[i]:.4g}, {edges[i + 1]:.4g}]" for i in range(len(edges) - 1)]
    return codes.map(lambda c: labels[int(c)] if pd.notna(c) else "(missing)")


def check_slices(p: Params, spec: FeatureSpec) -> None:
    """Slice columns must be features (bins: numeric ones): checked before evaluate writes
    anything, and by make init before the first training."""
    check_slice_columns(p, spec.columns, spec.numeric)


def check_slice_columns(p: Params, features: list[str], numeric: list[str] | None) -> None:
    """`check_slices` from a list of feature columns; `numeric` None: kinds not known yet
    (make check reads only the data's header)."""
    for index, sl in enumerate(p.evaluate.slices):
        field = f"evaluate.slices[{index}]"
        if sl.column not in features:
            close = difflib.get_close_matches(sl.column, features, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise UserError(
                "params.yaml",
                f"{field}.column",
                f"{sl.column!r} is not a feature column",
                f"{hint}use one of: {', '.join(features)} (or remove the entry)",
            )
        if sl.bins is not None and numeric is not None and sl.column not in numeric:
            raise UserError(
                "params.yaml",
                f"{field}.bins",
                f"{sl.column!r} is categorical: it has values, not quantile bins",
                "remove bins to slice by its values",
            )


def slice_labels(frame: pd.DataFrame, spec: FeatureSpec, sl: SliceSpec, index: int) -> pd.Series:
    """The slice each row belongs to (check_slices has vetted `sl`): a quantile bin of a
    numeric column, or a category."""
    field = f"evaluate.slices[{index}]"
    values = frame[sl.column]
    numeric = sl.column in spec.numeric
    if sl.bins is not None:
        return _bins(values.astype(float), sl.bins)
    labels: pd.Series = values.astype(object).where(values.notna(), "(missing)").astype(str)
    if labels.nunique() > MAX_CATEGORIES:
        fix = "add bins: N for quantile bins" if numeric else "group its values in the data first"
        raise UserError(
            "params.yaml",
            f"{field}.column",
            f"{sl.column!r} has {labels.nunique()} distinct values (at most {MAX_CATEGORIES})",
            fix,
        )
    return labels


def _share(flags: NDArray[Any]) -> float | None:
    return _round(float(flags.mean())) if len(flags) else None


def group_rates(scored: metrics.Scored, positive: object) -> dict[str, float | None]:
    """Inclusion figures of one group (binary tasks): how often it is predicted positive,
    and the true- and false-positive rates (null when the group has no such rows)."""
    predicted = scored.y_pred == positive
    actual = scored.y_true == positive
    return {
        "selection_rate": _share(predicted),
        "tpr": _share(predicted[actual]),
        "fpr": _share(predicted[~actual]),
    }


def slices(
    p: Params, spec: FeatureSpec, test: pd.DataFrame, scored: metrics.Scored
) -> dict[str, dict[str, dict[str, Any]]]:
    """Primary metric and row count per slice: {column: {slice: {"rows": n, metric: v}}};
    slices of a sensitive column in a binary task also carry `group_rates`."""
    primary = p.evaluate.primary_metric
    positive = metrics.resolve_positive(scored.classes, p.data.positive_class)
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for i, sl in enumerate(p.evaluate.slices):
        labels = slice_labels(test, spec, sl, i).to_numpy()
        rates = sl.sensitive and p.data.task == "binary"
        per: dict[str, dict[str, Any]] = {}
        for label in sorted(set(labels), key=_label_order):
            rows = np.flatnonzero(labels == label)
            group = scored.take(rows)
            value = metrics.compute(group, (primary,), positive)[primary]
            per[str(label)] = {"rows": len(rows), primary: _round(value)}
            if rates:
                per[str(label)].update(group_rates(group, positive))
        out[sl.column] = per
    return out


def _label_order(label: str) -> tuple[int, float | str]:
    """Bins in value order, categories alphabetically, missing last."""
    if label == "(missing)":
        return (2, "")
    if label.startswith("["):
        return (0, float(label[1:].split(",")[0]))
    return (1, label)


def _permuted_blocks(
    features: pd.DataFrame, columns: list[str], rng: np.random.Generator
) -> pd.DataFrame:
    """IMPORTANCE_REPEATS copies of `features` per column, that column shuffled in each copy."""
    n = len(features)
    blocks: list[pd.DataFrame] = []
    for column in columns:
        for _ in range(IMPORTANCE_REPEATS):
            block = features.copy()
            block[column] = features[column].to_numpy()[rng.permutation(n)]
            blocks.append(block)
    return pd.concat(blocks, ignore_index=True)


def importance(
    p: Params,
    spec: FeatureSpec,
    pipeline: Any,
    test: pd.DataFrame,
    scored: metrics.Scored | None = None,
) -> list[dict[str, Any]]:
    """Permutation importance on the test split, in units of the primary metric.

    The definition of `sklearn.inspection.permutation_importance` (score minus the score
    with one column shuffled, mean and std over IMPORTANCE_REPEATS seeded shuffles), but
    the shuffled copies are scored in a few large batches instead of one predict call per
    shuffle (one call on the sample data), and metrics use the report's vectorised forms.
    Positive: shuffling the feature makes the model worse; `mean - 2 * std <= 0` is within
    the noise of shuffling.
    Rows {feature, importance (mean), std}, most important first: a DVC plot file.
    """
    from gitops_ml.evaluation.significance import metric_on_rows  # vectorised, equal to metrics

    primary = p.evaluate.primary_metric
    sign = 1.0 if metrics.HIGHER_IS_BETTER[primary] else -1.0
    frame = test
    if len(frame) > IMPORTANCE_MAX_ROWS:
        frame, scored = frame.sample(n=IMPORTANCE_MAX_ROWS, random_state=p.seed), None
    # evaluate passes the test split's scores in: the reference needs no second predict
    first = scored if scored is not None else predict.score(pipeline, frame, spec)
    features = frame[spec.columns].reset_index(drop=True)
    target = frame[spec.target].to_numpy()
    positive = metrics.resolve_positive(first.classes, p.data.positive_class)

    reference = sign * metrics.compute(first, (primary,), positive)[primary]
    rng = np.random.default_rng(p.seed)
    per_chunk = max(1, IMPORTANCE_BATCH_ROWS // (len(features) * IMPORTANCE_REPEATS))
    drops: dict[str, list[float]] = {}
    for start in range(0, len(spec.columns), per_chunk):
        columns = spec.columns[start : start + per_chunk]
        batch = _permuted_blocks(features, columns, rng)
        batch[spec.target] = np.tile(target, len(columns) * IMPORTANCE_REPEATS)
        value = metric_on_rows(primary, predict.score(pipeline, batch, spec), positive)
        for i, column in enumerate(columns):
            drops[column] = []
            for r in range(IMPORTANCE_REPEATS):
                block = (i * IMPORTANCE_REPEATS + r) * len(features)
                drops[column].append(reference - sign * value(block + np.arange(len(features))))
    rows = [
        {"feature": column, "importance": _round(np.mean(d)), "std": _round(np.std(d))}
        for column, d in drops.items()
    ]
    return sorted(rows, key=lambda r: (-(r["importance"] or 0.0), r["feature"]))


def within_noise(rows: list[dict[str, Any]]) -> list[str]:
    """Features whose importance is not clearly above zero (mean - 2 * std <= 0)."""
    return [
        r["feature"]
        for r in rows
        if r.get("importance") is not None and r["importance"] - 2 * (r.get("std") or 0.0) <= 0
    ]


def _write(path: Path, data: Any) -> None:
    from gitops_ml.core.atomic import write_text

    write_text(path, json.dumps(data, indent=2, allow_nan=False) + "\n")


def write_all(
    p: Params,
    spec: FeatureSpec,
    pipeline: Any,
    test: pd.DataFrame,
    scored: metrics.Scored,
    model_value: float,
) -> None:
    """Compute and write baselines, slices and importance."""
    from gitops_ml.core import data

    train = data.read_parquet(config.TRAIN_FILE, columns=[*spec.columns, spec.target])
    if len(train) > BASELINE_MAX_ROWS:  # a linear model has learned what it can long before
        train = train.sample(n=BASELINE_MAX_ROWS, random_state=p.seed)
        data.release_arrow_memory()  # the full split's pages, before the baselines allocate
    _write(config.BASELINES_FILE, baselines(p, spec, train, test, model_value))
    del train
    _write(config.SLICES_FILE, slices(p, spec, test, scored))
    _write(config.IMPORTANCE_FILE, importance(p, spec, pipeline, test, scored))
