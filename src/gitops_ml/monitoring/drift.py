"""`make drift`: has the data (and what the model predicts from it) moved since a reference?

Compares every model feature between REFERENCE (a git revision, whose data is read
through DVC, or a file) and CURRENT (a file): PSI and KS for numbers, PSI and
chi-square for categories, missing rates; then scores both with the current model and
compares the predictions. When CURRENT carries labels, the model of the reference (by
default the one in production) is scored on CURRENT's new rows and judged by `gate.floor`
(ML Test Score Mo7). Writes `drift.md` and `drift.json` and exits 1 when any threshold in
`params.yaml` (`drift:`) is crossed or that quality fails the floor, so a schedule can
raise an alarm.
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from gitops_ml.core import commands, config, data, params, stats
from gitops_ml.core.errors import UserError
from gitops_ml.evaluation.metrics import HIGHER_IS_BETTER

MD_FILE = Path("drift.md")
JSON_FILE = Path("drift.json")


@dataclass
class Finding:
    """One compared quantity and whether it crossed its threshold."""

    name: str
    kind: str
    psi: float
    test: str
    pvalue: float | None
    missing_ref: float
    missing_cur: float
    drifted: bool
    reasons: list[str] = field(default_factory=list)


def read_reference(reference: str, p: params.Params) -> pd.DataFrame:
    """A file path, or a git revision whose `data.path` is read through DVC."""
    path = Path(reference)
    if path.is_file():
        return data.read_table(path, p.data.format_of_file(path), p.data)
    from dvc.api import DVCFileSystem

    try:
        fs = DVCFileSystem(".", rev=reference)
        payload = fs.read_bytes(p.data.path)
    except Exception as err:  # DVC raises many types: unknown rev, missing file, no cache
        raise UserError(
            "REFERENCE",
            reference,
            f"not a file, and {p.data.path} at that revision could not be read through git "
            f"and the DVC cache or remote ({str(err).splitlines()[0]})",
            "pass a data file, or a commit/tag whose data is in the DVC cache or remote "
            "(`make data` or `dvc pull` fetches HEAD's)",
        ) from None
    return data.read_bytes(payload, p.data.path, p.data.file_format, p.data)


def default_reference() -> tuple[str, str]:
    """(revision, what it is): the data the production model was trained on.

    A scheduled monitor compares what the model in production learned from with the newest
    data; comparing HEAD's data with itself would never find drift. Without a version in
    production, the latest registered version; without any, HEAD (said in the report).
    """
    from gitops_ml.registry import lineage, settings, tags

    name = lineage.current_artifact(settings.load()).name
    stage, found = tags.in_production(name)
    if found is None:
        versions = tags.registered(name)
        if not versions:
            return "HEAD", f"HEAD's data (no version of {name} is registered yet)"
        found, stage = versions[-1], "no stage: the latest registered version"
    where = stage if stage.startswith("no stage") else f"in {stage}"
    return found.commit, f"the training data of {found.tag} ({where}, commit {found.commit[:12]})"


def read_current(current: str, p: params.Params) -> pd.DataFrame:
    path = Path(current)
    if not path.is_file():
        raise UserError("CURRENT", current, "file does not exist", "pass a CSV or Parquet file")
    return data.read_table(path, p.data.format_of_file(path), p.data)


def _need_columns(frame: pd.DataFrame, columns: list[str], label: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise UserError(
            label,
            f"columns {missing[:10]}",
            "model features are missing",
            "compare files with the training data's layout",
        )


def psi_noise(reference: pd.Series, current: pd.Series, bins: int) -> float:
    """The PSI two samples of one distribution show by chance: about (k - 1)(1/n_ref +
    1/n_cur) for k bins (PSI's chi-square approximation). 50 rows in 10 bins reach 0.2, the
    usual alarm, with nothing drifted, so drift counts only the PSI above this."""
    n_ref, n_cur = int(reference.notna().sum()), int(current.notna().sum())
    if not n_ref or not n_cur:
        return 0.0
    if stats.is_numeric(reference):
        k = min(bins, int(reference.nunique()) + 1)
    else:
        k = len(set(reference.dropna().astype(str)) | set(current.dropna().astype(str)))
    return max(k - 1, 1) * (1 / n_ref + 1 / n_cur)


def _psi_reason(score: float, noise: float, limit: float) -> list[str]:
    if not math.isfinite(score) or score - noise <= limit:
        return []
    return [f"PSI {score:.3f} > {limit} + {noise:.3f} expected by chance"]


def feature_findings(
    ref: pd.DataFrame, cur: pd.DataFrame, columns: list[str], rules: params.DriftParams
) -> list[Finding]:
    findings = []
    for d in stats.column_drift(ref, cur, columns, bins=rules.bins):
        numeric = d.kind == stats.NUMERIC
        pvalue = d.ks_pvalue if numeric else d.chi2_pvalue
        limit = rules.ks_pvalue if numeric else rules.chi2_pvalue
        noise = psi_noise(ref[d.column], cur[d.column], rules.bins)
        reasons = _psi_reason(d.psi, noise, rules.psi_threshold)
        if pvalue is not None and math.isfinite(pvalue) and pvalue < limit:
            reasons.append(f"{'KS' if numeric else 'chi-square'} p {pvalue:.2g} < {limit}")
        if abs(d.missing_change) > rules.max_missing_rate_change:
            reasons.append(
                f"missing rate {d.missing_ref:.1%} -> {d.missing_cur:.1%} "
                f"(limit ±{rules.max_missing_rate_change:.0%})"
            )
        test = "KS" if numeric else "chi-square"
        findings.append(
            Finding(
                d.column,
                d.kind,
                d.psi,
                test,
                pvalue,
                d.missing_ref,
                d.missing_cur,
                bool(reasons),
                reasons,
            )
        )
    return findings


def prediction_findings(
    ref: pd.DataFrame, cur: pd.DataFrame, p: params.Params, spec: data.FeatureSpec
) -> list[Finding]:
    """Score both samples with the current model and compare what it predicts."""
    from gitops_ml.artifact import model
    from gitops_ml.evaluation.metrics import PROBA_PREFIX
    from gitops_ml.serving import serve

    pipeline = model.load_recorded(config.MODEL_FILE)
    scored = {
        side: serve.predict_frame(pipeline, frame[spec.columns], spec)
        for side, frame in (("ref", ref), ("cur", cur))
    }
    limit, bins = p.drift.prediction_psi_threshold, p.drift.bins
    quantities: list[tuple[str, str, str]] = []  # (name, kind, column of the scored frames)
    if p.is_classification:
        quantities.append(("predicted class", stats.CATEGORICAL, "y_pred"))
        classes = [c for c in scored["ref"].columns if c.startswith(PROBA_PREFIX)]
        quantities += [(column, stats.NUMERIC, column) for column in classes]
    else:
        quantities.append(("predicted value", stats.NUMERIC, "y_pred"))
    findings = []
    for name, kind, column in quantities:
        ref_values, cur_values = scored["ref"][column], scored["cur"][column]
        if kind == stats.CATEGORICAL:
            score = stats.psi_categorical(ref_values, cur_values)
        else:
            score = stats.psi(
                ref_values.to_numpy(dtype=float), cur_values.to_numpy(dtype=float), bins
            )
        reasons = _psi_reason(score, psi_noise(ref_values, cur_values, bins), limit)
        findings.append(Finding(name, kind, score, "", None, 0.0, 0.0, bool(reasons), reasons))
    return findings


def _scoring_model(reference: str) -> tuple[Any, data.FeatureSpec, str]:
    """(pipeline, spec, label) of the model to judge labelled new rows with: the reference
    revision's own model (by default the one in production), else the workspace's."""
    if not Path(reference).is_file():
        from gitops_ml.registry import models

        try:
            loaded = models.load(reference)
            return loaded.pipeline, loaded.spec, f"the model of {loaded.source.label}"
        except UserError:
            pass  # a revision with no model in reach: the workspace's, said in the report
    from gitops_ml.artifact import model

    return (
        model.load_recorded(config.MODEL_FILE),
        data.FeatureSpec.load(),
        f"the workspace model ({config.MODEL_FILE})",
    )


def quality_on_new_rows(
    ref: pd.DataFrame, cur: pd.DataFrame, reference: str, p: params.Params
) -> dict[str, Any] | None:
    """ML Test Score Mo7: when CURRENT carries labels, the primary metric of the model on
    CURRENT's rows that REFERENCE does not hold, against `gate.floor`. None: no labels."""
    import numpy as np

    from gitops_ml.evaluation import gate, metrics, predict

    target = p.data.target
    if target not in cur.columns or cur[target].isna().all():
        return None
    pipeline, spec, label = _scoring_model(reference)
    columns = [c for c in [*spec.columns, target] if c in ref.columns and c in cur.columns]
    seen = np.isin(data.row_hashes(cur, columns), data.row_hashes(ref, columns))
    new = cur[~seen & cur[target].notna().to_numpy()].reset_index(drop=True)
    primary = p.evaluate.primary_metric
    result: dict[str, Any] = {
        "model": label,
        "metric": primary,
        "rows": len(new),
        "value": None,
        "floor": p.gate.floor,
        "failed_floor": False,
        "bar": "floor" if HIGHER_IS_BETTER.get(primary, True) else "ceiling",
    }
    if new.empty:
        return result
    scored = predict.score(pipeline, new, spec)
    value = metrics.primary_value(scored, primary, p.data.positive_class)
    result["value"] = float(value)
    if p.gate.floor is not None:
        floor_only = p.gate.model_copy(update={"max_latency_growth": None, "max_size_growth": None})
        result["failed_floor"] = not gate.check(primary, {primary: value}, None, floor_only).passed
    return result


def _num(value: float | None, spec: str = ".3f") -> str:
    return "–" if value is None or not math.isfinite(value) else format(value, spec)


def render_markdown(report: dict[str, Any]) -> str:
    features, predictions = report["features"], report["predictions"]
    drifted = [f["name"] for f in features + predictions if f["drifted"]]
    verdict = (
        f"**Drift detected** in {len(drifted)} of {len(features) + len(predictions)} quantities: "
        + ", ".join(f"`{n}`" for n in drifted)
        if drifted
        else "**No drift** above the thresholds in `params.yaml` (`drift:`)."
    )
    quality = report.get("quality") or {}
    if quality.get("failed_floor"):
        verdict = (
            f"**Quality past the {quality['bar']}**: {quality['metric']} "
            f"{_num(quality['value'], '.4f')} on {quality['rows']} new labelled rows "
            f"(`gate.floor` {quality['floor']}). " + verdict
        )
    lines = [
        "# Drift report",
        "",
        f"Reference: {_what(report)} ({report['rows_reference']} rows). "
        f"Current: `{report['current']}` ({report['rows_current']} rows).",
        "",
        verdict,
        *(
            [
                "",
                "**Nothing new to compare**: reference and current hold the same rows. New data "
                "reaches the monitor when `data.dvc` on the default branch changes, or set "
                "CURRENT (the workflow's `current` input or the repository variable "
                "`DRIFT_CURRENT`) to where fresh data lands (docs/data-and-model-trust.md).",
            ]
            if report.get("same_data")
            else []
        ),
        "",
        *_quality_lines(report.get("quality")),
        "## Predictions of the current model",
        "",
        "| quantity | PSI | drifted | why |",
        "|---|---:|:---:|---|",
    ]
    for f in predictions:
        why = "; ".join(f["reasons"])
        lines.append(
            f"| {f['name']} | {_num(f['psi'])} | {'yes' if f['drifted'] else ''} | {why} |"
        )
    lines += [
        "",
        "## Features (top movers first)",
        "",
        "| feature | kind | PSI | test | p-value | missing ref → cur | drifted | why |",
        "|---|---|---:|---|---:|---|:---:|---|",
    ]
    for f in features:
        missing = f"{f['missing_ref']:.1%} → {f['missing_cur']:.1%}"
        why = "; ".join(f["reasons"])
        lines.append(
            f"| {f['name']} | {f['kind']} | {_num(f['psi'])} | {f['test']} | "
            f"{_num(f['pvalue'], '.2g')} | {missing} | {'yes' if f['drifted'] else ''} | {why} |"
        )
    t = report["thresholds"]
    lines += [
        "",
        f"Thresholds: PSI > {t['psi_threshold']} above the PSI expected by chance ((bins - 1)"
        f" x (1/rows_ref + 1/rows_cur)), KS p < {t['ks_pvalue']}, chi-square p < "
        f"{t['chi2_pvalue']}, missing-rate change > {t['max_missing_rate_change']}, prediction "
        f"PSI > {t['prediction_psi_threshold']}; {t['bins']} quantile bins.",
        "",
    ]
    return "\n".join(lines)


def _quality_lines(quality: dict[str, Any] | None) -> list[str]:
    if quality is None:
        return []
    lines = ["## Quality on new labelled rows", ""]
    metric, rows = quality["metric"], quality["rows"]
    if not rows:
        lines.append(
            f"CURRENT has labels but no row that the reference lacks: {metric} not measured."
        )
    else:
        bar = quality["bar"]
        word = (
            f"**{'below' if bar == 'floor' else 'above'} the {bar}**"
            if quality["failed_floor"]
            else f"within the {bar}"
        )
        lines.append(
            f"{quality['model'].capitalize()} scores {metric} {_num(quality['value'], '.4f')} on "
            f"{rows} new labelled rows: {word} {quality['floor']} (`gate.floor`)."
        )
    return [*lines, ""]


def _what(report: dict[str, Any]) -> str:
    described = report.get("reference_is")
    ref = f"`{report['reference']}`"
    return ref if not described or described == report["reference"] else f"{described}, {ref}"


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


def compare(
    reference: str, current: str, p: params.Params, described: str | None = None
) -> dict[str, Any]:
    """The whole comparison as one JSON-ready mapping."""
    ref, cur = read_reference(reference, p), read_current(current, p)
    spec = data.FeatureSpec.load() if config.FEATURES_FILE.is_file() else None
    if spec is None:
        spec = data.resolve_features(ref, p)
    _need_columns(ref, spec.columns, f"REFERENCE {reference}")
    _need_columns(cur, spec.columns, f"CURRENT {current}")
    features = feature_findings(ref, cur, spec.columns, p.drift)
    predictions = prediction_findings(ref, cur, p, spec) if config.MODEL_FILE.is_file() else []
    quality = quality_on_new_rows(ref, cur, reference, p) if config.MODEL_FILE.is_file() else None
    below = bool(quality and quality["failed_floor"])
    report = {
        "reference": reference,
        "reference_is": described or reference,
        "same_data": ref.equals(cur),
        "current": current,
        "rows_reference": len(ref),
        "rows_current": len(cur),
        "drifted": below or any(f.drifted for f in features + predictions),
        "quality": quality,
        "thresholds": p.drift.model_dump(),
        "predictions": [asdict(f) for f in predictions],
        "features": [asdict(f) for f in features],
    }
    safe: dict[str, Any] = _json_safe(report)
    return safe


def main(argv: list[str]) -> int:
    from gitops_ml.core.atomic import write_text

    p = params.load()
    parser = commands.parser(
        "drift", "Compare feature and prediction distributions of two data revisions."
    )
    parser.add_argument(
        "--reference",
        help="git revision or data file (default: the production model's training data)",
    )
    parser.add_argument("--current", default=p.data.path, help="data file (default: data.path)")
    parser.add_argument("--markdown", type=Path, default=MD_FILE)
    parser.add_argument("--json", type=Path, default=JSON_FILE)
    args = parser.parse_args(argv)
    reference, described = (args.reference, None) if args.reference else default_reference()
    report = compare(reference, args.current, p, described)
    write_text(args.json, json.dumps(report, indent=2, sort_keys=True) + "\n")
    write_text(args.markdown, render_markdown(report))
    drifted = [f["name"] for f in report["predictions"] + report["features"] if f["drifted"]]
    quality = report.get("quality") or {}
    if quality.get("failed_floor"):
        drifted.insert(0, f"{quality['metric']} on new labelled rows (past gate.floor)")
    if drifted:
        print(f"drift: DETECTED in {', '.join(drifted)}; see {args.markdown}", file=sys.stderr)
        return 1
    print(f"drift: none above thresholds; see {args.markdown}")
    return 0
