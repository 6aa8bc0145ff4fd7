"""`make test-model`: tests of the trained model itself, run after `dvc repro` and on every PR.

In the spirit of the ML Test Score: the model file loads safely and clears the gate's
floor (a ceiling for rmse, mae, log_loss) on the test split; it ignores perturbations
declared irrelevant (invariance); it moves the way the user declared when a feature
rises (directional); every feature declared required is actually used; latency, size
and serving memory stay under absolute limits; and scoring a raw CSV row through the
serving path gives the same answer as the prepared split (train/serve skew). Everything
is configured in `params.yaml` under `model_tests:`.
"""

from __future__ import annotations

import math
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from gitops_ml.core import commands, config, data, params
from gitops_ml.core.config import MODEL_TESTS_FILE
from gitops_ml.core.data import FeatureSpec
from gitops_ml.core.errors import UserError, raise_all

if TYPE_CHECKING:
    from numpy.typing import NDArray

RESULT_FILE = MODEL_TESTS_FILE  # also a section of the PR comment


@dataclass(frozen=True)
class Outcome:
    name: str
    passed: bool
    detail: str


class Probe:
    """The serving-memory child (`probe`), started before this process loads anything.

    The child imports, loads the model and scores on its own, which took half of
    test-model's time when it ran after everything else; started first, it loads while this
    process loads. Its result is read once, and waited for before anything is timed."""

    def __init__(self, rows: int) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                f"from gitops_ml.checks.model_tests import probe; probe({rows})",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._result: tuple[int, str, str] | None = None

    def result(self) -> tuple[int, str, str]:
        """(exit status, stdout, stderr), waiting for the child the first time."""
        if self._result is None:
            out, err = self.proc.communicate()
            self._result = (self.proc.returncode, out, err)
        return self._result

    def stop(self) -> None:
        """End a child still running because a test stopped early (the model refused)."""
        if self._result is None and self.proc.poll() is None:
            self.proc.kill()
        self.result()


@dataclass
class Subject:
    """What every test looks at: the loaded model, its test split and the params."""

    p: params.Params
    pipeline: Any
    spec: FeatureSpec
    test: pd.DataFrame
    probe: Probe | None = None  # the serving-memory child, when started early

    def score(self, frame: pd.DataFrame) -> NDArray[Any]:
        """What a test compares: the positive-class probability (binary), every class's
        probability (multiclass: labels cannot be subtracted), or the prediction."""
        features = frame[self.spec.columns]
        if self.p.data.task == "multiclass":
            return np.asarray(self.pipeline.predict_proba(features))
        if self.p.data.task == "binary":
            from gitops_ml.evaluation.metrics import resolve_positive

            classes = list(self.pipeline.classes_)
            positive = resolve_positive(classes, self.p.data.positive_class)
            proba: NDArray[Any] = self.pipeline.predict_proba(features)
            return proba[:, classes.index(positive)]
        return np.asarray(self.pipeline.predict(features))


def validate(p: params.Params, spec: FeatureSpec) -> None:
    """Every column named in `model_tests:` must be a feature (numeric where a shift is needed)."""
    problems: list[UserError] = []
    cfg = p.model_tests

    def need(column: str, field: str, numeric: bool) -> None:
        allowed = spec.numeric if numeric else spec.columns
        if column not in allowed:
            kind = "numeric feature" if numeric else "feature"
            more = f" and {len(allowed) - 12} more" if len(allowed) > 12 else ""
            fix = (
                f"use one of: {', '.join(allowed[:12])}{more}"
                if allowed
                else f"the model has no {kind}s: remove the entry"
            )
            problems.append(
                UserError("params.yaml", field, f"{column!r} is not a {kind} of the model", fix)
            )

    item: params.Invariance | params.Directional
    for i, item in enumerate(cfg.invariance):
        need(item.column, f"model_tests.invariance[{i}].column", numeric=True)
    for i, item in enumerate(cfg.directional):
        need(item.column, f"model_tests.directional[{i}].column", numeric=True)
    for i, column in enumerate(cfg.required_features):
        need(column, f"model_tests.required_features[{i}]", numeric=False)
    if cfg.directional and p.data.task == "multiclass":
        problems.append(
            UserError(
                "params.yaml",
                "model_tests.directional",
                "a multiclass model has no single score to move",
                "remove it, or use a binary or regression task",
            )
        )
    raise_all(problems)


def quality_floor(s: Subject) -> Outcome:
    from gitops_ml.evaluation import gate, metrics, predict

    scored = predict.score(s.pipeline, s.test, s.spec)
    positive = metrics.resolve_positive(scored.classes, s.p.data.positive_class)
    primary = s.p.evaluate.primary_metric
    values = metrics.compute(scored, (primary,), positive)
    floor_only = s.p.gate.model_copy(update={"max_latency_growth": None, "max_size_growth": None})
    result = gate.check(primary, values, None, floor_only)
    bar = metrics.bar_name(primary)  # rmse, mae, log_loss: gate.floor is a ceiling
    limit = "no gate.floor set" if s.p.gate.floor is None else f"{bar} {s.p.gate.floor}"
    detail = f"{primary}={values[primary]:.4f} on {len(s.test)} test rows ({limit})"
    return Outcome(f"quality {bar}", result.passed, detail if result.passed else result.verdict)


def latency(s: Subject) -> Outcome:
    from gitops_ml.evaluation.latency import fastest_ms

    limit = s.p.model_tests.max_latency_ms_per_1000_rows
    if s.probe is not None:
        s.probe.result()  # the child is done: the timing has the cores to itself
    frame = s.test[s.spec.columns]
    (value,) = fastest_ms([(s.pipeline, frame)], s.p.evaluate.latency_rows, s.p.seed)
    ok = limit is None or value <= limit
    return Outcome("latency", ok, f"{value:.2f} ms per 1000 rows (limit {limit})")


def serving_memory(s: Subject) -> Outcome:
    """Peak memory of serving, as a fresh process pays it: imports, the model load (with
    its trust checks) and scoring `evaluate.latency_rows` test rows. An absolute budget,
    where the gate's latency and size rules only bound growth per pull request."""
    limit = s.p.model_tests.max_serving_memory_mb
    rows = min(s.p.evaluate.latency_rows, len(s.test))  # the rows `probe` scores: head(rows)
    status, out, err = (s.probe or Probe(rows)).result()
    if status != 0:
        why = (err.strip().splitlines() or ["no output"])[-1]
        return Outcome("serving memory", False, f"the serving probe failed: {why}")
    value = float(out.split()[-1])
    return Outcome(
        "serving memory",
        limit is None or value <= limit,
        f"{value:.0f} MB peak to load the model and score {rows} rows (limit {limit})",
    )


def probe(rows: int) -> None:
    """The child of `serving_memory`: load, score, print the peak resident memory in MB."""
    from gitops_ml.artifact import model
    from gitops_ml.evaluation import predict
    from gitops_ml.evaluation.resources import peak_rss_mb

    pipeline = model.load_recorded(config.MODEL_FILE)
    test = data.read_parquet(config.TEST_FILE).head(rows)
    predict.score(pipeline, test, FeatureSpec.load())
    print(peak_rss_mb() or 0.0)


def size(s: Subject) -> Outcome:
    limit = s.p.model_tests.max_model_bytes
    value = config.MODEL_FILE.stat().st_size
    return Outcome("model size", limit is None or value <= limit, f"{value} bytes (limit {limit})")


def _changed(s: Subject, before: NDArray[Any], after: NDArray[Any]) -> NDArray[Any]:
    """Rows whose prediction moved: a label for classifiers, 1% of the spread for regression."""
    if s.p.is_classification:
        other_label: NDArray[Any] = before != after
        return other_label
    spread = float(np.std(before)) or 1.0
    moved: NDArray[Any] = np.abs(after - before) > 0.01 * spread
    return moved


def percent(share: float) -> str:
    """A share as a percentage that is never rounded to 0% (or 100%) when it is not."""
    return f"{100 * share:.3g}%"


def invariance(s: Subject) -> list[Outcome]:
    outcomes = []
    rng = np.random.default_rng(s.p.seed)
    before = np.asarray(s.pipeline.predict(s.test[s.spec.columns]))
    for i, item in enumerate(s.p.model_tests.invariance):
        column = s.test[item.column]
        noisy = s.test.assign(
            **{item.column: column + rng.normal(0.0, item.noise * column.std(), len(column))}
        )
        after = np.asarray(s.pipeline.predict(noisy[s.spec.columns]))
        changed = int(np.sum(_changed(s, before, after)))
        share = changed / max(len(before), 1)
        key = f"model_tests.invariance[{i}].max_changed_fraction"
        ok = share <= item.max_changed_fraction
        detail = (
            f"{changed:,} of {len(before):,} predictions changed ({percent(share)}; "
            f"allowed {percent(item.max_changed_fraction)} by {key})"
        )
        if not ok:
            detail += (
                f"; if {item.column} may move a few predictions, raise {key} in params.yaml "
                f"(default 0.0) to at least {math.ceil(share * 10_000) / 10_000:g}"
            )
        outcomes.append(Outcome(f"invariance: noise {item.noise} std on {item.column}", ok, detail))
    return outcomes


def directional(s: Subject) -> list[Outcome]:
    outcomes = []
    base = s.score(s.test)
    for item in s.p.model_tests.directional:
        column = s.test[item.column]
        moved = s.score(s.test.assign(**{item.column: column + item.shift * column.std()}))
        delta = (moved - base) * (1.0 if item.direction == "increase" else -1.0)
        wrong = float(np.mean(delta < -1e-12))
        ok = wrong <= item.max_violations and float(np.mean(delta)) > 0.0
        outcomes.append(
            Outcome(
                f"directional: +{item.shift} std of {item.column} -> {item.direction}",
                ok,
                f"mean change {float(np.mean(delta)):+.4f} in the declared direction; "
                f"{wrong:.1%} of rows moved the other way (allowed {item.max_violations:.1%})",
            )
        )
    return outcomes


def required_features(s: Subject) -> list[Outcome]:
    """A feature the model never consults leaves every score unchanged when shuffled."""
    outcomes = []
    rng = np.random.default_rng(s.p.seed)
    base = s.score(s.test)
    for column in s.p.model_tests.required_features:
        shuffled = s.test.assign(**{column: rng.permutation(s.test[column].to_numpy())})
        importance = float(np.mean(np.abs(s.score(shuffled) - base)))
        outcomes.append(
            Outcome(
                f"required feature used: {column}",
                importance > 0.0,
                f"mean score change when shuffled: {importance:.5f}",
            )
        )
    return outcomes


def skew(s: Subject) -> Outcome:
    """Score the test rows read from the raw file through the serving path."""
    from gitops_ml.evaluation import predict
    from gitops_ml.evaluation.metrics import PROBA_PREFIX
    from gitops_ml.serving import serve

    raw = serve.read_input(Path(s.p.data.path), s.p)
    rows = raw.iloc[s.test[config.ROW_ID].to_numpy()].reset_index(drop=True)
    serve.check_input(rows, s.pipeline, s.spec, s.p.data.path)
    served = serve.predict_frame(s.pipeline, rows, s.spec)
    prepared = predict.to_frame(predict.score(s.pipeline, s.test, s.spec), s.test[config.ROW_ID])
    if s.p.is_classification:
        same_labels = bool(np.array_equal(served["y_pred"], prepared["y_pred"]))
        numbers = [c for c in prepared.columns if c.startswith(PROBA_PREFIX)]
    else:  # regression values are compared within the tolerance below
        same_labels, numbers = True, ["y_pred"]
    diff = served[numbers].to_numpy(dtype=float) - prepared[numbers].to_numpy(dtype=float)
    gap = float(np.max(np.abs(diff))) if diff.size else 0.0
    tolerance = s.p.model_tests.skew_tolerance
    return Outcome(
        "train/serve skew: raw rows vs prepared split",
        same_labels and gap <= tolerance,
        f"{len(rows)} rows; same predictions: {same_labels}; largest difference {gap:.2e} "
        f"(tolerance {tolerance:g})",
    )


TESTS: list[Callable[[Subject], Outcome | list[Outcome]]] = [
    quality_floor,
    size,
    latency,
    serving_memory,
    invariance,
    directional,
    required_features,
    skew,
]


def run(subject: Subject) -> list[Outcome]:
    outcomes: list[Outcome] = []
    for test in TESTS:
        result = test(subject)
        outcomes += result if isinstance(result, list) else [result]
    return outcomes


def markdown(outcomes: list[Outcome]) -> str:
    failed = [o for o in outcomes if not o.passed]
    lines = [f"### Model tests: {'FAILED' if failed else 'passed'}", ""]
    lines += [
        f"- {'✅' if o.passed else '❌'} **{o.name}**: {o.detail.replace(chr(10), ' ')}"
        for o in outcomes
    ]
    return "\n".join(lines) + "\n"


def _test(p: params.Params, spec: FeatureSpec) -> int:
    from gitops_ml.artifact import model
    from gitops_ml.core.atomic import write_text

    probe = Probe(p.evaluate.latency_rows)  # head(latency_rows): the same rows as min(...)
    try:
        pipeline = model.load_recorded(config.MODEL_FILE)  # untrusted types, edits: UserErrors
        config.require_outputs(config.TEST_FILE, reader="make test-model scores the test split")
        subject = Subject(p, pipeline, spec, data.read_parquet(config.TEST_FILE), probe)
        outcomes = [Outcome("model loads safely", True, f"{config.MODEL_FILE}: trusted types only")]
        outcomes += run(subject)
    finally:
        probe.stop()
    for o in outcomes:
        print(f"{'PASS' if o.passed else 'FAIL'}  {o.name}: {o.detail}")
    failed = [o for o in outcomes if not o.passed]
    print(f"test-model: {len(outcomes) - len(failed)} passed, {len(failed)} failed")
    write_text(RESULT_FILE, markdown(outcomes))
    return 1 if failed else 0


def main(argv: list[str]) -> int:
    from gitops_ml.core import reuse

    commands.parser("test-model", "Behavioural and quality tests of the trained model.").parse_args(
        argv
    )

    p = params.load()
    spec = FeatureSpec.load()
    validate(p, spec)
    inputs = [config.MODEL_FILE, config.PREPARED_DIR, Path(p.data.path)]
    digest = reuse.key(inputs, {"params": p.model_dump(mode="json")})
    status = reuse.run_cached(
        "test-model", digest, [RESULT_FILE], lambda: _test(p, spec), RESULT_FILE
    )
    if status:
        print("test-model: FAILED (see above)", file=sys.stderr)
    return status
