"""`make feature-cost` (ML Test Score D3): what dropping each low-importance feature saves
in prediction latency and model size, and what it costs in the primary metric; exit 1 when
a feature within noise costs more than `gate.max_feature_cost` of the model file (or
`gate.max_feature_latency_cost` of its latency) and is not accepted by name."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gitops_ml.core import commands, config, params
from gitops_ml.core.config import CI_DIR, FEATURE_COST_FILE
from gitops_ml.core.data import FeatureSpec
from gitops_ml.core.errors import UserError
from gitops_ml.core.executor import run_all, where
from gitops_ml.core.params import GateParams, Params
from gitops_ml.evaluation import gate
from gitops_ml.review.refit import (
    Fit,
    Source,
    Variant,
    fmt,
    rounded,
    run_fit,
    source,
)
from gitops_ml.review.refit import rows as read_rows

COST_JSON = CI_DIR / "feature_cost.json"
COST_MD = FEATURE_COST_FILE  # shown in the pull-request comment when present
LATENCY_REPEATS = 5  # rounds, each timing the full model and then every reduced one


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
    """Size of the model file `model.save` would write, byte for byte (the same canonical
    archive, measured in memory: no temporary file to write and remove per model)."""
    import skops.io as sio

    from gitops_ml.artifact.model import canonicalize

    return len(canonicalize(sio.dumps(pipeline)))


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


def compare_latencies(
    p: Params, full: Variant, reduced: list[Variant], test: pd.DataFrame, repeats: int
) -> list[Latency]:
    """Time the full model and every reduced one in `repeats` rounds on the same test rows.

    Each round times the full model, then each reduced model in turn, so a slow spell of
    the machine falls on both sides of every comparison; each reduced model is set against
    the full model's timings from the same rounds, and the spread is the wider range.
    (Timing the full model again beside every reduced one measured the same thing at
    twice the cost.) Each model's rows are sampled and its warm-up prediction made once,
    before the first round, not once per round: the rounds time the same predictions as
    `latency_ms` with a sixth fewer calls.
    """
    from gitops_ml.evaluation.latency import median_ms

    models = [full, *reduced]
    batches = [
        test[v.spec.columns].sample(n=p.evaluate.latency_rows, replace=True, random_state=p.seed)
        for v in models
    ]
    for variant, batch in zip(models, batches, strict=True):
        variant.pipeline.predict(batch)  # warm-up
    runs: list[list[float]] = [[] for _ in models]
    for _ in range(repeats):
        for timings, variant, batch in zip(runs, models, batches, strict=True):
            timings.append(median_ms(variant.pipeline, batch))
    full_runs, *reduced_runs = runs
    full_range = max(full_runs) - min(full_runs)
    median_full = float(np.median(full_runs))
    return [
        Latency(median_full, float(np.median(r)), max(full_range, max(r) - min(r)))
        for r in reduced_runs
    ]


def cost_rows(
    p: Params,
    spec: FeatureSpec,
    train: Source,
    test: Source,
    features: list[str],
    importance: dict[str, dict[str, Any]],
    repeats: int = LATENCY_REPEATS,
) -> dict[str, Any]:
    """Refit the full model and each reduced one where search.scheduler (or
    DASK_SCHEDULER_ADDRESS) and search.n_jobs say; time them all here, on one machine."""
    primary = p.evaluate.primary_metric
    fits = [Fit(p, spec, train, test, drop=drop, keep=True) for drop in [None, *features]]
    outcomes = run_all(run_fit, fits, where(p))
    for outcome in outcomes:
        if outcome.error is not None:  # the committed model refused: train fails the same way
            raise UserError("params.yaml", "model.params", outcome.error, "fix model.params")
    full, *reduced = [o.variant for o in outcomes if o.variant is not None]
    full_size = model_bytes(full.pipeline)
    on = read_rows(test, spec)
    latencies = compare_latencies(p, full, reduced, on, repeats) if reduced else []
    rows = []
    for feature, variant, latency in zip(features, reduced, latencies, strict=True):
        size = model_bytes(variant.pipeline)
        imp = importance.get(feature, {})
        rows.append(
            {
                "feature": feature,
                "importance": imp.get("importance"),
                "importance_std": imp.get("std"),
                primary: rounded(variant.value),
                "metric_change": rounded(gate.better_by(primary, variant.value, full.value)),
                "latency_ms_per_1000_rows": rounded(latency.reduced),
                gate.LATENCY_FULL: rounded(latency.full),
                gate.LATENCY_SAVED: rounded(latency.saved),
                "latency_spread_ms": rounded(latency.spread),
                "latency_measurable": latency.measurable,
                "model_size_bytes": size,
                "size_saved_bytes": full_size - size,
            }
        )
    return {
        "primary_metric": primary,
        "full_model": {primary: rounded(full.value), "model_size_bytes": full_size},
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
        f"Full model refit the same way: {primary} {fmt(full[primary])}, "
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
            f"| `{r['feature']}` | {fmt(r['importance'])} | {fmt(r['metric_change'], sign='+')} | "
            f"{latency} | {r['size_saved_bytes']:+,} |"
        )
    lines += [
        "",
        f"Latency: median of {result['latency_repeats']} rounds, each timing the full model and "
        "then every reduced one; *not measurable* when the difference is within the spread of "
        "the rounds. "
        "Correlated features stand in for each other: drop one at a time and retrain.",
    ]
    return "\n".join(lines) + "\n"


def judge(p: Params, weak: list[str]) -> int:
    """Apply `gate.max_feature_cost` to the costed rows (fresh or reused): the verdict goes
    into both files and the exit status. Kept out of the reused work, so that accepting a
    feature by name or changing the limit re-judges without refitting anything."""
    from gitops_ml.core.atomic import write_text

    result = json.loads(COST_JSON.read_text(encoding="utf-8"))
    verdict = gate.GateResult()
    full_size = result["full_model"]["model_size_bytes"]
    primary = result["primary_metric"]
    gate.feature_cost_rule(verdict, primary, full_size, result["rows"], weak, p.gate)
    result["rule"] = {
        "max_feature_cost": p.gate.max_feature_cost,
        "max_feature_latency_cost": p.gate.max_feature_latency_cost,
        "max_drop": p.gate.max_drop,
        "passed": verdict.passed,
        "failures": verdict.failures,
        "notes": verdict.notes,
    }
    write_text(COST_JSON, json.dumps(result, indent=2, allow_nan=False) + "\n")
    heading, _, body = COST_MD.read_text(encoding="utf-8").partition("\n\n")
    write_text(COST_MD, f"{heading}\n\n{verdict_markdown(verdict, p.gate, primary)}\n\n{body}")
    if verdict.passed:
        print(f"feature-cost: cost rule {verdict.verdict}")
        return 0
    for failure in verdict.failures:
        print(f"feature-cost: FAILED: {failure}", file=sys.stderr)
    return 1


def verdict_markdown(verdict: gate.GateResult, rules: GateParams, primary: str) -> str:
    """The cost rule's verdict, first under the table's heading in the pull-request comment."""
    limits = [
        f"{limit:.0%} of {what} (`gate.{key}`)"
        for limit, what, key in (
            (rules.max_feature_cost, "the model file", "max_feature_cost"),
            (rules.max_feature_latency_cost, "the measurable latency", "max_feature_latency_cost"),
        )
        if limit is not None
    ]
    if not limits:
        return "Cost rule off (`gate.max_feature_cost: null`): this table informs the reviewer."
    rule = (
        f"dropping a feature within noise may not save more than {' or '.join(limits)} "
        f"while {primary} loses at most `gate.max_drop`"
    )
    lines = [f"**Cost rule: {'passed' if verdict.passed else 'FAILED'}**: {rule}."]
    lines += [f"- {failure}" for failure in verdict.failures]
    lines += [f"- {note}" for note in verdict.notes]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = commands.parser(
        "feature-cost",
        "refit without each feature whose importance is within noise (or every "
        "feature): metric change, latency and model size saved -> report/feature_cost.{json,md}; "
        "exit 1 when a feature within noise costs more than gate.max_feature_cost",
    )
    parser.add_argument("--all", action="store_true", help="cost every feature")
    parser.add_argument(
        "--repeats",
        type=int,
        default=LATENCY_REPEATS,
        help=f"latency rounds: the full model, then every reduced one (default {LATENCY_REPEATS})",
    )
    args = parser.parse_args(argv)
    if args.repeats < 2:
        parser.error("--repeats must be at least 2: the spread of one timing is unknown")
    from gitops_ml.core.atomic import write_text
    from gitops_ml.evaluation.quality import within_noise

    p = params.load()
    spec = FeatureSpec.load()
    if len(spec.columns) < 2:
        raise UserError(
            str(config.FEATURES_FILE), "(columns)", "the model has one feature", "nothing to drop"
        )
    # --all costs every feature and runs without importance; the rule judges only weak ones
    missing = args.all and not config.IMPORTANCE_FILE.is_file()
    importance = {} if missing else importance_rows()
    weak = [f for f in within_noise(list(importance.values())) if f in spec.columns]
    features = list(spec.columns) if args.all else weak
    scope = "all" if args.all else "those whose permutation importance is within noise"
    from gitops_ml.core import reuse

    def compute() -> int:
        for path in (config.TRAIN_FILE, config.TEST_FILE):
            config.require_outputs(path, reader="the model variants are fitted and scored on it")
        train, test = source(config.TRAIN_FILE), source(config.TEST_FILE)
        result = cost_rows(p, spec, train, test, features, importance, args.repeats)
        result["features"] = "all" if args.all else "within_noise"
        write_text(COST_JSON, json.dumps(result, indent=2, allow_nan=False) + "\n")
        write_text(COST_MD, cost_markdown(result, scope))
        print(f"feature-cost: {len(features)} feature(s) costed -> {COST_JSON}, {COST_MD}")
        return 0

    digest = reuse.key(
        [config.TRAIN_FILE, config.TEST_FILE, config.FEATURES_FILE, config.IMPORTANCE_FILE],
        {
            "model": p.model.model_dump(mode="json"),
            "seed": p.seed,
            "evaluate": p.evaluate.model_dump(mode="json"),
            "data": {"task": p.data.task, "positive_class": p.data.positive_class},
            "features": features,
            "repeats": args.repeats,
        },
    )
    status = reuse.run_cached("feature-cost", digest, [COST_JSON, COST_MD], compute, COST_MD)
    return status or judge(p, weak)
