"""`make model-card`: a Markdown model card for the current model, also the release notes.

Built from what the pipeline already wrote (params, dvc.lock, data.dvc, metrics, plot data,
test predictions) and from requirements.lock, with no timestamps: the same commit gives the
same card. Charts are Mermaid, which GitHub renders in releases without an image host.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any

import yaml

from gitops_ml.core import config, params
from gitops_ml.core.atomic import write_text
from gitops_ml.core.params import Params
from gitops_ml.evaluation.metrics import HIGHER_IS_BETTER
from gitops_ml.evaluation.significance import RESAMPLES
from gitops_ml.registry import git, lineage, settings, tags
from gitops_ml.registry.command import command_parser, gto_errors
from gitops_ml.registry.lineage import Snapshot

CARD_FILE = Path("model_card.md")
LOCK_FILE = Path("requirements.lock")
KEY_PACKAGES = ("scikit-learn", "numpy", "pandas", "pyarrow", "skops", "dvc", "gto")
ROC_GRID = [i / 10 for i in range(11)]


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}" if math.isfinite(value) else str(value)
    return str(value)


def _rows(path: Path) -> int | None:
    if not path.is_file():
        return None
    import pyarrow.parquet as pq

    return int(pq.ParquetFile(path).metadata.num_rows)


def primary_interval(p: Params) -> tuple[float, float, int] | None:
    """95% bootstrap interval of the primary metric over the test predictions (None: not pulled)."""
    if not config.PREDICTIONS_FILE.is_file():
        return None
    from gitops_ml.core import data, stats
    from gitops_ml.evaluation import metrics
    from gitops_ml.evaluation.significance import metric_on_rows

    scored = metrics.from_predictions(data.read_parquet(config.PREDICTIONS_FILE))
    positive = metrics.resolve_positive(scored.classes, p.data.positive_class)
    value = metric_on_rows(p.evaluate.primary_metric, scored, positive)
    n = len(scored.y_true)
    result = stats.paired_bootstrap(value, n, resamples=RESAMPLES, seed=p.seed)
    return result.low, result.high, n


def _section_data(snap: Snapshot, p: Params) -> list[str]:
    train, test = _rows(config.TRAIN_FILE), _rows(config.TEST_FILE)
    rows = (
        f"{train + test} ({train} train, {test} test)"
        if train is not None and test is not None
        else "not available (run `dvc pull`)"
    )
    lines = [
        "## Data",
        "",
        f"- Source: `{p.data.path}` (tracked by `{lineage.DATA_DVC}`)",
        f"- Rows: {rows}; test share {p.split.test_size}, stratified: {p.split.stratify}",
        f"- Data hash (md5): `{snap.data_md5}`",
        f"- Target: `{p.data.target}` ({p.data.task}"
        + (
            f", positive class `{p.data.positive_class}`)"
            if p.data.positive_class is not None
            else ")"
        ),
    ]
    return [*lines, ""]


def _section_features(p: Params) -> list[str]:
    spec: dict[str, Any] = {}
    if config.FEATURES_FILE.is_file():
        spec = json.loads(config.FEATURES_FILE.read_text(encoding="utf-8"))
    numeric = spec.get("numeric", p.data.features.numeric)
    categorical = spec.get("categorical", p.data.features.categorical)
    lines = ["## Features", ""]
    lines.append(f"- Numeric ({len(numeric)}): " + (", ".join(f"`{c}`" for c in numeric) or "none"))
    lines.append(
        f"- Categorical ({len(categorical)}): "
        + (", ".join(f"`{c}`" for c in categorical) or "none")
    )
    if p.data.drop:
        lines.append("- Dropped: " + ", ".join(f"`{c}`" for c in p.data.drop))
    return [*lines, ""]


def _section_params(p: Params) -> list[str]:
    model = p.model.model_dump()
    body = yaml.safe_dump({"seed": p.seed, "model": model}, sort_keys=False).rstrip()
    return [
        "## Parameters",
        "",
        f"Estimator `{p.model.estimator}`:",
        "",
        "```yaml",
        body,
        "```",
        "",
    ]


def _section_metrics(snap: Snapshot, p: Params) -> list[str]:
    primary = p.evaluate.primary_metric
    interval = primary_interval(p)
    lines = [
        "## Metrics (test split)",
        "",
        "| metric | value | 95% interval | better |",
        "|---|---:|---|---|",
    ]
    for name, value in snap.metrics.items():
        ci = ""
        if name == primary:
            ci = (
                f"{_fmt(interval[0])} – {_fmt(interval[1])}"
                if interval
                else "not available (run `dvc pull`)"
            )
        better = "higher" if HIGHER_IS_BETTER.get(name, True) else "lower"
        shown = f"**{_fmt(value)}**" if name == primary else _fmt(value)
        lines.append(
            f"| {name}{' (primary)' if name == primary else ''} | {shown} | {ci} | {better} |"
        )
    if interval:
        lines += [
            "",
            f"Interval: percentile bootstrap of {primary} over the {interval[2]} test rows, {RESAMPLES} resamples, seed {p.seed}.",
        ]
    return [*lines, ""]


def _bar_chart(snap: Snapshot) -> list[str]:
    scores = {
        k: v
        for k, v in snap.metrics.items()
        if isinstance(v, (int, float)) and 0.0 <= v <= 1.0 and k in HIGHER_IS_BETTER
    }
    if not scores:
        return []
    return [
        "```mermaid",
        "xychart-beta",
        '    title "Test metrics"',
        f"    x-axis [{', '.join(scores)}]",
        '    y-axis "score" 0 --> 1',
        f"    bar [{', '.join(f'{v:.4f}' for v in scores.values())}]",
        "```",
        "",
    ]


def _plot_points(path: Path, key: str) -> list[dict[str, Any]]:
    """DVCLive writes some plots as a bare list and others under the plot's name."""
    data = json.loads(path.read_text(encoding="utf-8"))
    points: list[dict[str, Any]] = data.get(key, []) if isinstance(data, dict) else data
    return points


def roc_on_grid(points: list[dict[str, float]]) -> list[float]:
    """TPR at fixed FPR steps (the ROC step function), so a line chart with even x spacing is honest."""
    return [
        max((pt["tpr"] for pt in points if pt["fpr"] <= x + 1e-12), default=0.0) for x in ROC_GRID
    ]


def _roc_chart() -> list[str]:
    path = config.PLOTS_DIR / "sklearn" / "roc.json"
    if not path.is_file():
        return []
    points = _plot_points(path, "roc")
    return [
        "```mermaid",
        "xychart-beta",
        '    title "ROC curve (test split)"',
        f'    x-axis "false positive rate" [{", ".join(f"{x:.1f}" for x in ROC_GRID)}]',
        '    y-axis "true positive rate" 0 --> 1',
        f"    line [{', '.join(f'{y:.3f}' for y in roc_on_grid(points))}]",
        "```",
        "",
    ]


def confusion_table(pairs: list[dict[str, str]]) -> list[str]:
    labels = sorted({str(p["actual"]) for p in pairs} | {str(p["predicted"]) for p in pairs})
    counts = {(a, b): 0 for a in labels for b in labels}
    for pair in pairs:
        counts[(str(pair["actual"]), str(pair["predicted"]))] += 1
    lines = [
        "| actual \\ predicted | " + " | ".join(labels) + " |",
        "|---" * (len(labels) + 1) + "|",
    ]
    lines += [f"| {a} | " + " | ".join(str(counts[(a, b)]) for b in labels) + " |" for a in labels]
    return [*lines, ""]


def _section_charts(snap: Snapshot) -> list[str]:
    lines = ["## Charts", "", *_bar_chart(snap), *_roc_chart()]
    path = config.PLOTS_DIR / "sklearn" / "confusion_matrix.json"
    if path.is_file():
        pairs = _plot_points(path, "confusion_matrix")
        lines += ["Confusion matrix (test split):", "", *confusion_table(pairs)]
    return lines if len(lines) > 2 else []


def environment(lock_text: str) -> list[str]:
    """Pinned versions of the key packages for this Python, from requirements.lock."""
    from packaging.requirements import InvalidRequirement, Requirement

    pins = []
    for line in lock_text.splitlines():
        text = line.rstrip(" \\").strip()
        if not text or text.startswith(("#", "-")):
            continue
        try:
            req = Requirement(text)
        except InvalidRequirement:
            continue
        if req.name in KEY_PACKAGES and (req.marker is None or req.marker.evaluate()):
            pins.append(f"{req.name}{req.specifier}")
    return sorted(pins)


def _section_lineage(snap: Snapshot, tag: str | None) -> list[str]:
    lines = [
        "## Lineage",
        "",
        f"- Commit: `{snap.commit}`" + ("" if _clean() else " (with uncommitted changes)"),
    ]
    lines.append(f"- Registered as: `{tag}`" if tag else "- Registered as: not registered")
    lines += ["- Pipeline outputs (`dvc.lock`):", "", "| output | md5 |", "|---|---|"]
    lines += [f"| `{path}` | `{md5}` |" for path, md5 in sorted(snap.outs.items())]
    lines.append("")
    if LOCK_FILE.is_file():
        text = LOCK_FILE.read_text(encoding="utf-8")
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        lines.append(
            f"- Environment: `{LOCK_FILE}` sha256 `{digest}`; "
            + ", ".join(f"`{pin}`" for pin in environment(text))
        )
    return [*lines, ""]


def _clean() -> bool:
    tracked = [
        lineage.DVC_LOCK,
        lineage.DATA_DVC,
        str(config.PARAMS_FILE),
        str(config.METRICS_FILE),
    ]
    return not git.out("status", "--porcelain", "--", *tracked)


def build() -> str:
    """The card for the working tree's model (committed facts plus pulled outputs when present)."""
    conf = settings.load()
    p = params.load()
    snap = lineage.snapshot(None, conf)
    own = tags.at_commit(snap.artifact.name, snap.commit) if _clean() else None
    title = f"{snap.artifact.name} {own.version}" if own else f"{snap.artifact.name} (unregistered)"
    lines = [f"# Model card: {title}", ""]
    if snap.artifact.desc:
        lines += [snap.artifact.desc, ""]
    lines += ["## Intended use", "", conf.intended_use.strip(), ""]
    lines += _section_data(snap, p) + _section_features(p) + _section_params(p)
    lines += (
        _section_metrics(snap, p)
        + _section_charts(snap)
        + _section_lineage(snap, own.tag if own else None)
    )
    return "\n".join(lines).rstrip() + "\n"


def write(path: Path = CARD_FILE) -> Path:
    write_text(path, build())
    return path


def main(argv: list[str]) -> int:
    command_parser(
        "model-card", "Write model_card.md for the current model.", lambda p: None
    ).parse_args(argv)
    with gto_errors():
        print(f"model card: wrote {write()}")
    return 0
