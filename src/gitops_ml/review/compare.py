"""What changed between BASE and the PR: metrics, params, stages, latency, and the gate verdict.

`make gate` and `make report` both call `compare`, so the report's verdict line and the
gate's exit code come from the same numbers and the same rules (`gitops_ml.evaluation.gate.check`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from gitops_ml.core import config
from gitops_ml.core.params import Params
from gitops_ml.evaluation import gate, resources
from gitops_ml.review.base import Side

if TYPE_CHECKING:
    import pandas as pd

    from gitops_ml.evaluation.significance import Significance

DVC_LOCK = "dvc.lock"
QUALITY_FILES = {
    "baselines": config.BASELINES_FILE,
    "slices": config.SLICES_FILE,
    "importance": config.IMPORTANCE_FILE,
}


@dataclass
class Comparison:
    base: Side
    pr: Side
    primary: str
    base_metrics: dict[str, Any] | None
    pr_metrics: dict[str, Any]
    base_params: dict[str, Any] | None
    pr_params: dict[str, Any]
    reran: list[str]
    model_unchanged: bool
    result: gate.GateResult
    notes: list[str] = field(default_factory=list)
    # The PR's metrics/baselines.json, slices.json and importance.json (None when absent).
    quality: dict[str, Any] = field(default_factory=dict)
    changed_question: str = ""  # data.path/target/task that differ: sides not comparable
    # The primary metric's change against noise (bootstrap on both predictions files), or
    # None with the reason in `significance_notes`; `gate.drop_rule` may depend on it.
    significance: Significance | None = None
    significance_notes: list[str] = field(default_factory=list)


def changed_question(base: dict[str, Any] | None, pr: dict[str, Any] | None) -> str:
    """The data.path, target or task that differ between the two sides ('' when none):
    then one side's metrics and predictions answer another question than the other's."""
    sides = [(side or {}).get("data") or {} for side in (base, pr)]
    keys = [k for k in ("path", "target", "task") if sides[0].get(k) != sides[1].get(k)]
    return ", ".join(f"data.{k}" for k in keys)


def flatten(tree: Any, prefix: str = "") -> dict[str, Any]:
    """Nested params -> dotted keys; lists stay whole values (one row per list)."""
    if not isinstance(tree, dict):
        return {prefix: tree} if prefix else {}
    out: dict[str, Any] = {}
    for key, value in tree.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict) and value:
            out.update(flatten(value, name))
        else:
            out[name] = value
    return out


def changed_params(base: dict[str, Any] | None, pr: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(key, base value, PR value) for every key that differs; a missing side is `...`."""
    old, new = flatten(base or {}), flatten(pr)
    rows = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key, ...), new.get(key, ...)
        if a != b:
            rows.append((key, a, b))
    return rows


def _stages(lock: Any) -> dict[str, Any]:
    return dict(lock.get("stages", {})) if isinstance(lock, dict) else {}


def reran_stages(base_lock: Any, pr_lock: Any) -> list[str]:
    """Stages whose dvc.lock entry (command, dependency, param or output hashes) differs."""
    old, new = _stages(base_lock), _stages(pr_lock)
    return [name for name in new if old.get(name) != new[name]]


def model_hash(lock: Any) -> str | None:
    from gitops_ml.artifact.model import recorded_md5

    return recorded_md5(lock, config.MODEL_FILE)


def _load_side_model(side: Side) -> Any:
    from gitops_ml.artifact import model

    if side.rev is None:
        return model.load_recorded(config.MODEL_FILE)
    data = side.dvc_bytes(config.MODEL_FILE)
    return None if data is None else model.loads(data, f"{config.MODEL_FILE} at {side.label}")


def _feature_columns(side: Side) -> list[str] | None:
    from gitops_ml.review.base import loads_json

    data = side.dvc_bytes(config.FEATURES_FILE)
    if data is None:
        return None
    spec = loads_json(data.decode("utf-8"))
    return list(spec["numeric"]) + list(spec["categorical"])


def _predictions(base: Side, pr: Side) -> list[pd.DataFrame | None]:
    import io

    import pandas as pd

    frames: list[pd.DataFrame | None] = []
    for side in (base, pr):
        data = side.dvc_bytes(config.PREDICTIONS_FILE)
        frames.append(None if data is None else pd.read_parquet(io.BytesIO(data)))
    return frames


def measure_significance(
    base: Side, pr: Side, params: Params, base_metrics: Any, question: str
) -> tuple[Significance | None, list[str]]:
    """Bootstrap of the primary metric's change, shared by the report's section and the
    gate's drop rule, so the two never read the same change differently."""
    from gitops_ml.evaluation.metrics import HIGHER_IS_BETTER
    from gitops_ml.evaluation.significance import significance

    if base_metrics is None:
        return None, ["BASE has no metrics (first model)"]
    if question:
        return None, [f"{question} changed: the two models' rows are not comparable"]
    base_rows, pr_rows = _predictions(base, pr)
    if base_rows is None or pr_rows is None:
        side = "BASE" if base_rows is None else "the PR"
        return None, [f"predictions of {side} are missing"]
    primary = params.evaluate.primary_metric
    higher = HIGHER_IS_BETTER.get(primary, True)
    positive = params.data.positive_class
    return significance(primary, base_rows, pr_rows, positive, higher, params.seed), []


def _new_feature_rule(
    result: gate.GateResult, base: Side, pr: Side, importance: Any, params: Params
) -> None:
    """The gate's rule on features the PR adds (BASE's features.json against the PR's)."""
    from gitops_ml.evaluation.quality import within_noise

    pr_cols = _feature_columns(pr) or []
    base_cols = _feature_columns(base)
    added = [c for c in pr_cols if base_cols is not None and c not in base_cols]
    if base_cols is None and params.gate.new_features_must_help:
        result.notes.append("BASE's features.json not available: new features not judged")
    elif added and not isinstance(importance, list):
        result.notes.append(f"{config.IMPORTANCE_FILE} missing: new features not judged")
    elif added:
        gate.new_feature_rule(result, added, within_noise(importance), params.gate)


def measure_latency(
    base: Side, pr: Side, params: Params, same_model: bool
) -> tuple[float | None, float | None, str | None]:
    """Time both models on the same PR test rows in this process: base latency is not stored.

    The two models take turns call by call and each keeps its fastest run
    (`latency.fastest_ms`), so a busy machine does not fail the gate by accident.
    """
    from gitops_ml.core.data import read_parquet
    from gitops_ml.evaluation.latency import fastest_ms, latency_ms

    if not config.TEST_FILE.is_file() or not config.MODEL_FILE.is_file():
        return None, None, "latency not measured: run `make repro` first"
    test = read_parquet(config.TEST_FILE)
    # prepare writes features.json into TEST_FILE's folder (one output): it is there too
    pr_cols = cast("list[str]", _feature_columns(pr))
    pr_model = _load_side_model(pr)
    rows, seed = params.evaluate.latency_rows, params.seed
    if same_model:
        value = min(latency_ms(pr_model, test[pr_cols], rows, seed) for _ in range(2))
        return value, value, "model file identical to BASE: latency measured once"
    base_model = _load_side_model(base)
    base_cols = _feature_columns(base)
    if base_model is None or base_cols is None:
        return None, None, "BASE model not available: latency not compared"
    if not set(base_cols) <= set(test.columns):
        return None, None, "BASE model needs columns the PR test split lacks: latency not compared"
    models = [(base_model, test[base_cols]), (pr_model, test[pr_cols])]
    base_ms, pr_ms = fastest_ms(models, rows, seed)
    return base_ms, pr_ms, None


def compare(base_rev: str, params: Params, measure: bool = True) -> Comparison:
    """Gather everything the gate and the report need about BASE and the PR."""
    base, pr = Side(base_rev, "BASE"), Side(None, "PR")
    primary = params.evaluate.primary_metric
    base_metrics = base.json(config.METRICS_FILE)
    if not isinstance(base_metrics, dict):
        base_metrics = None
    pr_metrics = pr.json(config.METRICS_FILE)
    notes: list[str] = []
    if not isinstance(pr_metrics, dict):
        pr_metrics = {}
        notes.append(f"{config.METRICS_FILE} missing in the workspace: run `make repro` first")
    base_lock, pr_lock = base.yaml(DVC_LOCK), pr.yaml(DVC_LOCK)
    reran = reran_stages(base_lock, pr_lock)
    old_model, new_model = model_hash(base_lock), model_hash(pr_lock)
    same_model = old_model is not None and old_model == new_model
    if base_lock is not None and not reran:
        notes.append("model unchanged: no pipeline input changed, so no stage re-ran")
    elif same_model:
        notes.append("model unchanged: stages re-ran but the model file is identical to BASE")
    current, previous = dict(pr_metrics), dict(base_metrics) if base_metrics else None
    if measure and pr_metrics:
        old_ms, new_ms, note = measure_latency(base, pr, params, same_model)
        if note:
            notes.append(note)
        if new_ms is not None:
            current[gate.LATENCY] = new_ms
        if previous is not None and old_ms is not None:
            previous[gate.LATENCY] = old_ms
    if base_metrics is not None and primary not in base_metrics and primary in pr_metrics:
        notes.append(f"BASE has no {primary}: the metric is new in this PR")
    base_params, pr_params = base.yaml(config.PARAMS_FILE), pr.yaml(config.PARAMS_FILE) or {}
    question = changed_question(base_params, pr_params) if base_params is not None else ""
    if question:
        notes.append(
            f"{question} changed: BASE's metrics answer another question, so the gate does not "
            "compare them (its floor and the PR's own rules still apply)"
        )
    sig, sig_notes = measure_significance(base, pr, params, base_metrics, question)
    reading = sig.interval.reading if sig is not None and sig.interval is not None else None
    result = gate.check(primary, current, None if question else previous, params.gate, reading)
    quality = {name: pr.json(path) for name, path in QUALITY_FILES.items()}
    quality["train_runtime"] = resources.current()
    gate.check_quality(
        result,
        primary,
        quality["baselines"],
        quality["slices"],
        params.gate,
        params.evaluate.sensitive_columns,
    )
    if previous is not None and not question:
        _new_feature_rule(result, base, pr, quality["importance"], params)
    return Comparison(
        base=base,
        pr=pr,
        primary=primary,
        base_metrics=previous,
        pr_metrics=current,
        base_params=base_params,
        pr_params=pr_params,
        reran=reran,
        model_unchanged=same_model or (base_lock is not None and not reran),
        result=result,
        notes=notes,
        quality=quality,
        changed_question=question,
        significance=sig,
        significance_notes=sig_notes,
    )
