"""`make canary VERSION=vX.Y.Z`: try a registered version on real rows before it serves.

The candidate is loaded from the DVC cache or remote like any registered version and
scores the input with serving's own functions (`gitops_ml.serving.serve`: the input checks and
`predict_frame`, what `make predict` runs), so the canary exercises the serving path.
Checks: the model loads with trusted types only; every prediction and probability is
finite; serving latency stays under `model_tests.max_latency_ms_per_1000_rows`; and, when
another version is in prod, the candidate agrees with it on at least
`registry.canary_min_agreement` of the rows (equal labels for classification; for
regression, within `registry.canary_tolerance` times the prod model's mean absolute
prediction). The Promote workflow runs it before assigning prod.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitops_ml.core import config, params
from gitops_ml.core.errors import UserError
from gitops_ml.registry import lineage, models, settings, tags
from gitops_ml.registry.command import append_summary, command_parser, gto_errors
from gitops_ml.registry.versions import SemVer


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class Canary:
    label: str
    input: str
    rows: int
    checks: list[Check]

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    def table(self) -> str:
        lines = [
            f"canary: {self.label} on {self.input} ({self.rows} rows), serving code path",
            "",
            "| check | result | detail |",
            "|---|---|---|",
        ]
        lines += [
            f"| {c.name} | {'PASS' if c.passed else 'FAIL'} | {c.detail} |" for c in self.checks
        ]
        failed = [c.name for c in self.checks if not c.passed]
        verdict = "PASSED" if not failed else f"FAILED: {'; '.join(failed)}"
        return "\n".join([*lines, "", f"canary {verdict}"])


class _Serving:
    """The serving path behind a `.predict`, so evaluate's latency measure times it."""

    def __init__(self, pipeline: Any, spec: Any) -> None:
        self.pipeline, self.spec = pipeline, spec

    def predict(self, batch: Any) -> Any:
        from gitops_ml.serving import serve

        return serve.predict_frame(self.pipeline, batch, self.spec)


FINITE = "predictions finite"


def _finite_pass(out: Any) -> Check:
    """The row for outputs serving returned: `predict.require_finite`, which serving runs,
    has already refused any NaN or infinity; this names the columns it covered."""
    import pandas as pd

    skip = {config.ROW_ID, "y_true"}
    numeric = [c for c in out.columns if c not in skip and pd.api.types.is_numeric_dtype(out[c])]
    shown = ", ".join(numeric[:4]) + (", ..." if len(numeric) > 4 else "")
    return Check(
        FINITE,
        True,
        f"0 non-finite value(s) in {shown}" if numeric else "labels only: nothing numeric",
    )


def _latency_check(p: params.Params, pipeline: Any, spec: Any, frame: Any) -> Check:
    from gitops_ml.evaluation.latency import fastest_ms

    serving = _Serving(pipeline, spec)
    (value,) = fastest_ms([(serving, frame)], p.evaluate.latency_rows, p.seed)
    limit = p.model_tests.max_latency_ms_per_1000_rows
    text = f"{value:.2f} ms per 1000 rows"
    if limit is None:
        return Check(
            "latency", True, f"{text}; no limit (model_tests.max_latency_ms_per_1000_rows)"
        )
    return Check("latency", value <= limit, f"{text} (limit {limit})")


def agreement(candidate: Any, prod: Any, classification: bool, tolerance: float) -> float:
    """Share of rows where the two models agree (see the module docstring for the rule)."""
    import numpy as np

    a, b = np.asarray(candidate), np.asarray(prod)
    if not len(a):
        return 1.0
    if classification:
        return float(np.mean(a.astype(str) == b.astype(str)))
    a, b = a.astype(float), b.astype(float)
    scale = float(np.mean(np.abs(b)))
    return float(np.mean(np.abs(a - b) <= tolerance * scale))


def _agreement_check(
    p: params.Params,
    conf: settings.RegistrySettings,
    version: str,
    frame: Any,
    path: Path,
    out: Any,
) -> Check:
    from gitops_ml.serving import serve

    name = lineage.current_artifact(conf).name
    prod_stage = tags.stages()[-1]
    prod = tags.in_stage(name, prod_stage)
    what = f"agreement with {prod_stage}"
    if prod is None:
        return Check(what, True, f"no version in {prod_stage}: nothing to compare with")
    if prod == version:
        return Check(what, True, f"{version} is already in {prod_stage}: nothing to compare with")
    current = models.load(prod, conf)
    serve.check_input(frame, current.pipeline, current.spec, str(path))
    reference = serve.predict_frame(current.pipeline, frame, current.spec)
    share = agreement(
        out["y_pred"], reference["y_pred"], p.is_classification, conf.canary_tolerance
    )
    rule = (
        "equal labels"
        if p.is_classification
        else f"within {conf.canary_tolerance} x mean |prediction| of {prod}"
    )
    limit = conf.canary_min_agreement
    return Check(
        what,
        share >= limit,
        f"{share:.1%} of rows agree with {prod} ({rule}); required "
        f"registry.canary_min_agreement = {limit:.0%}",
    )


def run(version: str, input_path: str | None = None) -> Canary:
    from gitops_ml.serving import serve

    SemVer.require(version, "make canary")
    p = params.load()
    conf = settings.load()
    source = models.resolve(version, conf)
    path = Path(input_path or p.data.path)
    frame = serve.read_input(path, p)
    reader = models.Reader(source)
    blob = reader.read(source.path)
    spec = models.spec_of(reader)
    canary = Canary(source.label, str(path), len(frame), [])
    try:
        pipeline = models.load_bytes(blob, source)
    except UserError as err:
        canary.checks.append(Check("loads with trusted types only", False, err.problem))
        return canary
    canary.checks.append(
        Check("loads with trusted types only", True, "scikit-learn, NumPy and SciPy types only")
    )
    serve.check_input(frame, pipeline, spec, str(path))
    try:
        out = serve.predict_frame(pipeline, frame, spec)
    except UserError as err:
        if err.field != "predictions":  # predict.require_finite's refusal is this check's
            raise
        canary.checks.append(Check(FINITE, False, err.problem))
        return canary
    canary.checks.append(_finite_pass(out))
    canary.checks.append(_latency_check(p, pipeline, spec, frame))
    canary.checks.append(_agreement_check(p, conf, version, frame, path, out))
    return canary


def main(argv: list[str]) -> int:
    def build(p: argparse.ArgumentParser) -> None:
        p.add_argument("--version", required=True, help="the candidate, vX.Y.Z")
        p.add_argument("--input", help="CSV or Parquet in the raw layout (default: data.path)")
        p.add_argument("--summary", help="also append the verdict to this Markdown file")

    args = command_parser(
        "canary", "Score real rows with a registered version through serving's code.", build
    ).parse_args(argv)
    with gto_errors():
        result = run(args.version, args.input)
    text = result.table()
    print(text)
    append_summary(args.summary, "Canary", text)
    return 0 if result.passed else 1
