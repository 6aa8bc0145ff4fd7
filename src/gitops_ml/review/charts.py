"""Charts a GitHub comment can show without an image host: Mermaid and Markdown tables.

The same curves also go to PNG files (matplotlib) beside the report, for the workflow to
upload as artifacts; the report itself never links to them. Curves come from the plot data
evaluate commits to git, so BASE's charts need no DVC cache.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gitops_ml.core import config
from gitops_ml.core.atomic import atomic_path
from gitops_ml.review.base import Side, finite

SKLEARN_PLOTS = config.PLOTS_DIR / "sklearn"
GRID = np.linspace(0.0, 1.0, 21)
COLORS = ("#9e9e9e", "#1f77b4")  # BASE grey, PR blue


@dataclass
class Curve:
    """One curve (ROC or precision-recall) of both sides; a side may be missing."""

    title: str
    x_label: str
    y_label: str
    base: list[tuple[float, float]] | None
    pr: list[tuple[float, float]] | None


def _points(side: Side, name: str, x: str, y: str) -> list[tuple[float, float]] | None:
    data = side.json(SKLEARN_PLOTS / f"{name}.json")
    if not isinstance(data, dict) or not isinstance(data.get(name), list):
        return None
    return [(float(p[x]), float(p[y])) for p in data[name] if finite(p.get(x)) and finite(p.get(y))]


# (plot file, title, x, y) of the curves drawn for binary tasks
CURVES = (
    ("roc", "ROC curve", "fpr", "tpr"),
    ("precision_recall", "Precision-recall curve", "recall", "precision"),
)
BARS_PNG = "metrics.png"


def png_name(title: str) -> str:
    return f"{title.split()[0].lower()}.png"


PNG_NAMES = (*(png_name(title) for _, title, _, _ in CURVES), BARS_PNG)  # every PNG written


def curves(base: Side, pr: Side) -> list[Curve]:
    found = []
    for name, title, x, y in CURVES:
        curve = Curve(title, x, y, _points(base, name, x, y), _points(pr, name, x, y))
        if curve.base or curve.pr:
            found.append(curve)
    return found


def on_grid(points: list[tuple[float, float]], roc: bool) -> list[float]:
    """Resample a curve onto GRID: ROC as the upper step, precision as interpolated precision."""
    xs = np.array([p[0] for p in points])
    ys = np.array([p[1] for p in points])
    out = []
    for g in GRID:
        mask = xs <= g + 1e-12 if roc else xs >= g - 1e-12
        out.append(float(ys[mask].max()) if mask.any() else 0.0)
    return out


def _numbers(values: list[float]) -> str:
    return "[" + ", ".join(f"{v:.3f}" for v in values) + "]"


def _header(title: str) -> list[str]:
    palette = ", ".join(COLORS)
    return [
        "```mermaid",
        "---",
        "config:",
        "  themeVariables:",
        "    xyChart:",
        f'      plotColorPalette: "{palette}"',
        "---",
        "xychart-beta",
        f'  title "{title}"',
    ]


def mermaid_curve(curve: Curve) -> str:
    roc = curve.x_label == "fpr"
    lines = _header(curve.title)
    lines += [f'  x-axis "{curve.x_label}" 0 --> 1', f'  y-axis "{curve.y_label}" 0 --> 1']
    for points in (curve.base, curve.pr):
        # An empty series keeps the colours fixed: grey is always BASE, blue always PR.
        lines.append(f"  line {_numbers(on_grid(points, roc) if points else [0.0] * len(GRID))}")
    lines.append("```")
    return "\n".join(lines)


def bar_metrics(base: dict[str, Any] | None, pr: dict[str, Any]) -> list[str]:
    """Metrics worth a bar: from the shared metric table, finite on both sides."""
    from gitops_ml.evaluation.metrics import METRICS

    base = base or {}
    return [n for n in METRICS if finite(pr.get(n)) and finite(base.get(n, 0.0))]


# Scores on a 0-1 scale (r2 at most 1) share an axis; an error in the target's own units
# (rmse, mae) or log_loss gets its own: on one axis, rmse 54 flattens r2 0.4 to nothing.
UNIT_SCALE = frozenset(
    {"accuracy", "balanced_accuracy", "f1", "roc_auc", "average_precision", "r2"}
)


def bar_groups(base: dict[str, Any] | None, pr: dict[str, Any]) -> list[list[str]]:
    """The bar metrics split into charts that each have one meaningful scale."""
    names = bar_metrics(base, pr)
    unit = [n for n in names if n in UNIT_SCALE]
    return ([unit] if unit else []) + [[n] for n in names if n not in UNIT_SCALE]


def _bar_values(
    base: dict[str, Any] | None, pr: dict[str, Any], names: list[str]
) -> tuple[list[float], list[float]]:
    old = [float((base or {}).get(n, math.nan)) for n in names]
    return old, [float(pr[n]) for n in names]


def mermaid_bars(base: dict[str, Any] | None, pr: dict[str, Any]) -> str | None:
    """One bar chart per scale (bar_groups), each with its own y-axis."""
    charts = []
    for names in bar_groups(base, pr):
        old, new = _bar_values(base, pr, names)
        values = [v for v in old + new if math.isfinite(v)]
        unit = names[0] in UNIT_SCALE
        low = min(0.0, *values)
        high = max(1.0, *values) if unit else max(values) * 1.1 or 1.0
        title = "Metrics" if unit else names[0]
        lines = _header(f"{title}: line BASE, bars PR")
        lines += [
            "  x-axis [" + ", ".join(f'"{n}"' for n in names) + "]",
            f'  y-axis "value" {low:.3g} --> {high:.3g}',
            f"  bar {_numbers(new)}",
        ]
        if base:
            lines.append(f"  line {_numbers([v if math.isfinite(v) else 0.0 for v in old])}")
        lines.append("```")
        charts.append("\n".join(lines))
    return "\n\n".join(charts) if charts else None


def confusion_counts(side: Side) -> Counter[tuple[str, str]] | None:
    data = side.json(SKLEARN_PLOTS / "confusion_matrix.json")
    if not isinstance(data, list):
        return None
    return Counter((str(row["actual"]), str(row["predicted"])) for row in data)


def confusion_table(
    base: Counter[tuple[str, str]] | None, pr: Counter[tuple[str, str]] | None
) -> str | None:
    """Markdown confusion matrix; each cell reads `BASE → PR`."""
    if pr is None:
        return None
    labels = sorted({label for pair in (*(base or {}), *pr) for label in pair})
    header = "| actual \\ predicted | " + " | ".join(f"`{x}`" for x in labels) + " |"
    lines = [header, "|---" + "|---:" * len(labels) + "|"]
    for actual in labels:
        cells = []
        for predicted in labels:
            new = pr.get((actual, predicted), 0)
            cells.append(f"{base.get((actual, predicted), 0)} → {new}" if base else str(new))
        lines.append(f"| `{actual}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _save(figure: Any, path: Path) -> None:
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png", dpi=100, metadata={"Software": None})


def write_pngs(
    folder: Path,
    found: list[Curve],
    base_metrics: dict[str, Any] | None,
    pr_metrics: dict[str, Any],
) -> list[Path]:
    """PNG versions of the charts, for the workflow's artifact upload."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    for curve in found:
        figure, axes = plt.subplots(figsize=(5, 4))
        for label, points, color in (("BASE", curve.base, COLORS[0]), ("PR", curve.pr, COLORS[1])):
            if points:
                xs, ys = zip(*points, strict=True)
                axes.plot(xs, ys, label=label, color=color, drawstyle="steps-post")
        axes.set(title=curve.title, xlabel=curve.x_label, ylabel=curve.y_label)
        axes.legend(loc="lower right" if curve.x_label == "fpr" else "lower left")
        path = folder / png_name(curve.title)
        _save(figure, path)
        plt.close(figure)
        written.append(path)
    groups = bar_groups(base_metrics, pr_metrics)
    if groups:
        widths = [max(1.0, 1.2 * len(names)) for names in groups]
        figure, panels = plt.subplots(
            1,
            len(groups),
            figsize=(max(4.0, sum(widths) + 1.0), 4),
            gridspec_kw={"width_ratios": widths},
            squeeze=False,
        )
        for axes, names in zip(panels[0], groups, strict=True):  # each its own y-axis
            old, new = _bar_values(base_metrics, pr_metrics, names)
            x = np.arange(len(names))
            if base_metrics:
                axes.bar(x - 0.2, old, 0.4, label="BASE", color=COLORS[0])
            axes.bar(x + 0.2, new, 0.4, label="PR", color=COLORS[1])
            axes.set_xticks(x, names, rotation=30, ha="right")
        panels[0][0].legend()
        figure.tight_layout()
        _save(figure, folder / BARS_PNG)
        plt.close(figure)
        written.append(folder / BARS_PNG)
    return written
