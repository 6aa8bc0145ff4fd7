"""Refit variants of the model on the prepared train split and compare them.

Two checks of the ML Test Score share one helper, `fit_and_score`: build the pipeline
from params (with some hyperparameters changed, or some features left out), fit it on
one frame and score the primary metric on another.

- `tune-check` (M3, all hyperparameters have been tuned): the committed hyperparameters
  against each one-at-a-time neighbour from `tune.params`, by seeded k-fold
  cross-validation on the train split only. Exit 1 when a neighbour wins by more than
  `tune.tolerance`.
- `feature-cost` (D3, no feature's cost is too much): the full model against the model
  without one feature, both refit on the train split and scored on the test split:
  primary metric, prediction latency and model file size
  (report/feature_cost.json, report/feature_cost.md).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gitops_ml import config, gate, metrics, params
from gitops_ml.ci.comment import CI_DIR, FEATURE_COST_FILE, TUNE_CHECK_FILE
from gitops_ml.data import FeatureSpec
from gitops_ml.errors import UserError
from gitops_ml.params import Params

COST_JSON = CI_DIR / "feature_cost.json"
COST_MD = FEATURE_COST_FILE  # both shown in the pull-request comment when present
TUNE_MD = TUNE_CHECK_FILE
LATENCY_REPEATS = 5  # alternating timings of the full and the reduced model, per feature
DIGITS = 6


# --- the shared helper ----------------------------------------------------------------------


@dataclass
class Variant:
    """One refit model: what was changed, the fitted pipeline and its primary metric."""

    pipeline: Any
    spec: FeatureSpec
    value: float


def with_hyper(p: Params, changes: dict[str, Any]) -> Params:
    """A copy of params whose model.params has `changes` applied."""
    model = p.model.model_copy(update={"params": {**p.model.params, **changes}})
    return p.model_copy(update={"model": model})


def without(spec: FeatureSpec, drop: str | None) -> FeatureSpec:
    """The feature spec with one column left out (None: unchanged)."""
    if drop is None:
        return spec
    numeric = [c for c in spec.numeric if c != drop]
    categorical = [c for c in spec.categorical if c != drop]
    return FeatureSpec(numeric, categorical, spec.target)


def primary_value(p: Params, pipeline: Any, frame: pd.DataFrame, spec: FeatureSpec) -> float:
    """The primary metric of a fitted pipeline on `frame`, as evaluate computes it."""
    from gitops_ml.predict import score

    scored = score(pipeline, frame, spec)
    positive = metrics.resolve_positive(scored.classes, p.data.positive_class)
    primary = p.evaluate.primary_metric
    return metrics.compute(scored, (primary,), positive)[primary]


def fit_and_score(
    p: Params,
    spec: FeatureSpec,
    fit_on: pd.DataFrame,
    score_on: pd.DataFrame,
    drop: str | None = None,
) -> Variant:
    """Build the pipeline of `p` without feature `drop`, fit on `fit_on`, score `score_on`."""
    from gitops_ml.model import build_pipeline

    used = without(spec, drop)
    pipeline = build_pipeline(p, used)
    pipeline.fit(fit_on[used.columns], fit_on[used.target])
    return Variant(pipeline, used, primary_value(p, pipeline, score_on, used))


def load_split(path: Path, spec: FeatureSpec) -> pd.DataFrame:
    from gitops_ml import data

    if not path.is_file():
        raise UserError(str(path), "(file)", "prepared split not found", "run `make repro` first")
    return data.read_parquet(path, columns=[*spec.columns, spec.target])


def load_spec() -> FeatureSpec:
    if not config.FEATURES_FILE.is_file():
        raise UserError(str(config.FEATURES_FILE), "(file)", "not found", "run `make repro` first")
    return FeatureSpec.load()


def _round(value: float | None) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), DIGITS)


def _fmt(value: float | None, digits: int = 4, sign: str = "") -> str:
    return "n/a" if value is None else f"{value:{sign}.{digits}f}"


# --- tune-check -----------------------------------------------------------------------------


@dataclass
class Candidate:
    """The committed setting (name None) or one hyperparameter moved to one value."""

    name: str | None
    value: Any
    scores: list[float] = field(default_factory=list)

    @property
    def mean(self) -> float:
        return float(np.mean(self.scores))

    @property
    def std(self) -> float:
        return float(np.std(self.scores))

    @property
    def label(self) -> str:
        return "(committed)" if self.name is None else f"{self.name}={self.value!r}"


def check_tune_section(p: Params) -> dict[str, Any]:
    """Every tune.params name is a hyperparameter of the estimator; return committed values."""
    from gitops_ml.model import estimator_class

    cls = estimator_class(p.model.estimator)
    defaults = cls().get_params(deep=False)
    for name in p.tune.params:
        if name not in defaults:
            raise UserError(
                "params.yaml",
                f"tune.params.{name}",
                f"{cls.__name__} has no hyperparameter {name!r}",
                f"use one of: {', '.join(sorted(defaults))}",
            )
    return {name: p.model.params.get(name, defaults[name]) for name in p.tune.params}


def candidates(p: Params, committed: dict[str, Any]) -> list[Candidate]:
    """The committed setting first, then each value of each hyperparameter on its own."""
    out = [Candidate(None, None)]
    for name, values in p.tune.params.items():
        for value in dict.fromkeys(values):  # in order, without repeats
            if value != committed[name]:
                out.append(Candidate(name, value))
    return out


def folds(p: Params, train: pd.DataFrame, target: str) -> list[tuple[np.ndarray, np.ndarray]]:
    """Seeded k-fold split of the train split, stratified by class for classification."""
    from sklearn.model_selection import KFold, StratifiedKFold

    k = p.tune.cv
    smallest = int(train[target].value_counts().min()) if p.is_classification else len(train)
    if smallest < k:  # a fold without some class has no ROC AUC, and sklearn only warns
        what = "the smallest class has" if p.is_classification else "the train split has"
        raise UserError(
            "params.yaml",
            "tune.cv",
            f"cannot make {k} folds: {what} {smallest} rows in the train split",
            f"lower tune.cv to at most {max(2, smallest)}",
        )
    splitter_cls = StratifiedKFold if p.is_classification else KFold
    splitter = splitter_cls(n_splits=k, shuffle=True, random_state=p.seed)
    return list(splitter.split(train, train[target]))


def cross_validate(
    p: Params, spec: FeatureSpec, train: pd.DataFrame, cands: list[Candidate]
) -> list[Candidate]:
    for train_idx, val_idx in folds(p, train, spec.target):
        fit_on, score_on = train.iloc[train_idx], train.iloc[val_idx]
        for cand in cands:
            if cand.name is None:
                cand.scores.append(fit_and_score(p, spec, fit_on, score_on).value)
                continue
            try:
                variant = with_hyper(p, {cand.name: cand.value})
                cand.scores.append(fit_and_score(variant, spec, fit_on, score_on).value)
            except (UserError, TypeError, ValueError) as err:  # sklearn validates at fit
                problem = err.problem if isinstance(err, UserError) else str(err)
                raise UserError(
                    "params.yaml",
                    f"tune.params.{cand.name}",
                    f"candidate {cand.value!r} is refused by {p.model.estimator}: {problem}",
                    "remove it or use a value the estimator accepts",
                ) from None
    undefined = [c.label for c in cands if not np.isfinite(c.mean)]
    if undefined:
        raise UserError(
            "params.yaml",
            "tune.cv",
            f"{p.evaluate.primary_metric} is undefined on some fold for {', '.join(undefined)}",
            "use fewer folds so that each holds every class, or more data",
        )
    return cands


def lift(primary: str, cand: Candidate, committed: Candidate) -> float:
    """How much better the candidate's mean CV score is (rounded: a tie is a tie in floats too)."""
    return round(gate.better_by(primary, cand.mean, committed.mean), 12)


def winners(primary: str, cands: list[Candidate], tolerance: float) -> list[Candidate]:
    """Neighbours whose mean CV score beats the committed one by more than `tolerance`, best first."""
    committed = next(c for c in cands if c.name is None)
    better = [c for c in cands if c.name is not None and lift(primary, c, committed) > tolerance]
    return sorted(better, key=lambda c: -lift(primary, c, committed))


def tune_table(primary: str, cands: list[Candidate], tolerance: float) -> list[str]:
    committed = next(c for c in cands if c.name is None)
    lines = [
        f"| setting | mean CV {primary} | std | better than committed by | verdict |",
        "|---|---:|---:|---:|---|",
    ]
    for c in cands:
        by = lift(primary, c, committed)
        verdict = "" if c.name is None else ("**better**" if by > tolerance else "ok")
        shown = "" if c.name is None else f"{by:+.4f}"
        lines.append(f"| `{c.label}` | {c.mean:.4f} | {c.std:.4f} | {shown} | {verdict} |")
    return lines


def tune_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gitops_ml tune-check",
        description="exit 1 when a one-at-a-time change of a hyperparameter in tune.params "
        "beats the committed setting by more than tune.tolerance (k-fold CV on the train split)",
    )
    parser.add_argument("--out", type=Path, default=TUNE_MD, help="Markdown result")
    args = parser.parse_args(argv)
    from gitops_ml.atomic import write_text

    p = params.load()
    committed = check_tune_section(p)
    if not p.tune.params:
        text = "## Tuning check\n\nNothing to check: `tune.params` in params.yaml is empty.\n"
        write_text(args.out, text)  # replaces an older run's verdict
        print("tune-check: nothing to check (tune.params in params.yaml is empty)")
        return 0
    spec = load_spec()
    train = load_split(config.TRAIN_FILE, spec)
    cands = candidates(p, committed)
    primary, tolerance = p.evaluate.primary_metric, p.tune.tolerance
    cross_validate(p, spec, train, cands)
    found = winners(primary, cands, tolerance)
    fits = len(cands) * p.tune.cv
    head = (
        f"{len(cands)} settings x {p.tune.cv} folds = {fits} fits on {len(train)} train rows; "
        f"tolerance {tolerance}"
    )
    lines = ["## Tuning check", "", head, "", *tune_table(primary, cands, tolerance), ""]
    if found:
        best = found[0]
        verdict = (
            f"FAILED: `{best.label}` beats the committed hyperparameters by "
            f"{lift(primary, best, cands[0]):+.4f} mean CV {primary} "
            f"(tolerance {tolerance})"
        )
        fix = (
            f"fix: set model.params.{best.name}: {best.value!r} in params.yaml, "
            "or widen tune.tolerance"
        )
        lines += [verdict, "", fix]
    else:
        verdict = (
            f"PASSED: no candidate beats the committed hyperparameters by more than {tolerance}"
        )
        lines.append(verdict)
    text = "\n".join(lines) + "\n"
    write_text(args.out, text)
    print(text, end="")
    if found:
        print(f"tune-check: {verdict}", file=sys.stderr)
    return 1 if found else 0


# --- feature-cost ---------------------------------------------------------------------------


def importance_rows(path: Path = config.IMPORTANCE_FILE) -> dict[str, dict[str, Any]]:
    """Permutation importance rows by feature, from evaluate's metrics/importance.json."""
    if not path.is_file():
        raise UserError(
            str(path),
            "(file)",
            "permutation importance not found",
            "run `make repro` first, or pass --all to cost every feature",
        )
    rows = json.loads(path.read_text(encoding="utf-8"))
    return {r["feature"]: r for r in rows if isinstance(r, dict) and "feature" in r}


def model_bytes(pipeline: Any) -> int:
    """Size of the model file `model.save` would write, byte for byte."""
    import tempfile

    from gitops_ml.model import save

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.skops"
        save(pipeline, path)
        return path.stat().st_size


@dataclass(frozen=True)
class Latency:
    """Median ms per 1,000 rows of each model and whether their difference is measurable."""

    full: float
    reduced: float
    spread: float

    @property
    def saved(self) -> float:
        return self.full - self.reduced

    @property
    def measurable(self) -> bool:
        return abs(self.saved) > self.spread


def compare_latency(
    p: Params, full: Variant, reduced: Variant, test: pd.DataFrame, repeats: int
) -> Latency:
    """Time both models alternately on the same test rows; the spread is the wider range."""
    from gitops_ml.stages.evaluate import latency_ms

    rows = p.evaluate.latency_rows
    a, b = [], []
    for _ in range(repeats):
        a.append(latency_ms(full.pipeline, test[full.spec.columns], rows, p.seed))
        b.append(latency_ms(reduced.pipeline, test[reduced.spec.columns], rows, p.seed))
    spread = max(max(a) - min(a), max(b) - min(b))
    return Latency(float(np.median(a)), float(np.median(b)), spread)


def cost_rows(
    p: Params,
    spec: FeatureSpec,
    train: pd.DataFrame,
    test: pd.DataFrame,
    features: list[str],
    importance: dict[str, dict[str, Any]],
    repeats: int = LATENCY_REPEATS,
) -> dict[str, Any]:
    primary = p.evaluate.primary_metric
    full = fit_and_score(p, spec, train, test)
    full_size = model_bytes(full.pipeline)
    rows = []
    for feature in features:
        reduced = fit_and_score(p, spec, train, test, drop=feature)
        latency = compare_latency(p, full, reduced, test, repeats)
        size = model_bytes(reduced.pipeline)
        imp = importance.get(feature, {})
        rows.append(
            {
                "feature": feature,
                "importance": imp.get("importance"),
                "importance_std": imp.get("std"),
                primary: _round(reduced.value),
                "metric_change": _round(gate.better_by(primary, reduced.value, full.value)),
                "latency_ms_per_1000_rows": _round(latency.reduced),
                "latency_full_ms_per_1000_rows": _round(latency.full),
                "latency_saved_ms_per_1000_rows": _round(latency.saved),
                "latency_spread_ms": _round(latency.spread),
                "latency_measurable": latency.measurable,
                "model_size_bytes": size,
                "size_saved_bytes": full_size - size,
            }
        )
    return {
        "primary_metric": primary,
        "full_model": {primary: _round(full.value), "model_size_bytes": full_size},
        "latency_repeats": repeats,
        "rows": rows,
    }


def cost_markdown(result: dict[str, Any], scope: str) -> str:
    primary = result["primary_metric"]
    full = result["full_model"]
    lines = ["## Feature cost (each feature dropped in turn, refit on the train split)", ""]
    if not result["rows"]:
        lines.append(
            "Every feature's permutation importance is above noise: nothing to cost. "
            "`make feature-cost ALL=1` costs every feature."
        )
        return "\n".join(lines) + "\n"
    lines += [
        f"Full model refit the same way: {primary} {_fmt(full[primary])}, "
        f"{full['model_size_bytes']:,} bytes. Features: {scope}.",
        "",
        f"| feature | importance | {primary} change if dropped (+ better) | "
        "latency saved (ms/1k rows) | size saved (bytes) |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in result["rows"]:
        latency = (
            f"{r['latency_saved_ms_per_1000_rows']:+.3f}"
            if r["latency_measurable"]
            else "not measurable"
        )
        lines.append(
            f"| `{r['feature']}` | {_fmt(r['importance'])} | {_fmt(r['metric_change'], sign='+')} | "
            f"{latency} | {r['size_saved_bytes']:+,} |"
        )
    lines += [
        "",
        f"Latency: median of {result['latency_repeats']} alternating timings of each model; "
        "*not measurable* when the difference is within the spread of the repeats. "
        "Correlated features stand in for each other: drop one at a time and retrain.",
    ]
    return "\n".join(lines) + "\n"


def cost_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gitops_ml feature-cost",
        description="refit without each feature whose importance is within noise (or every "
        "feature): metric change, latency and model size saved -> report/feature_cost.{json,md}",
    )
    parser.add_argument("--all", action="store_true", help="cost every feature")
    parser.add_argument(
        "--repeats",
        type=int,
        default=LATENCY_REPEATS,
        help=f"alternating latency timings of each model per feature (default {LATENCY_REPEATS})",
    )
    args = parser.parse_args(argv)
    if args.repeats < 2:
        parser.error("--repeats must be at least 2: the spread of one timing is unknown")
    from gitops_ml.atomic import write_text
    from gitops_ml.quality import within_noise

    p = params.load()
    spec = load_spec()
    if len(spec.columns) < 2:
        raise UserError(
            str(config.FEATURES_FILE), "(columns)", "the model has one feature", "nothing to drop"
        )
    if args.all:
        importance = importance_rows() if config.IMPORTANCE_FILE.is_file() else {}
        features, scope = list(spec.columns), "all"
    else:
        importance = importance_rows()
        features = [f for f in within_noise(list(importance.values())) if f in spec.columns]
        scope = "those whose permutation importance is within noise"
    train = load_split(config.TRAIN_FILE, spec)
    test = load_split(config.TEST_FILE, spec)
    result = cost_rows(p, spec, train, test, features, importance, args.repeats)
    result["features"] = "all" if args.all else "within_noise"
    write_text(COST_JSON, json.dumps(result, indent=2, allow_nan=False) + "\n")
    write_text(COST_MD, cost_markdown(result, scope))
    print(f"feature-cost: {len(features)} feature(s) costed -> {COST_JSON}, {COST_MD}")
    return 0
