"""`python -m gitops_ml report|gate`: the PR report and the quality gate against BASE.

Both commands share `compare`, so the verdict line at the top of report.md is exactly what
`make gate` decides.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from gitops_ml import config, params
from gitops_ml.atomic import write_text
from gitops_ml.errors import UserError
from gitops_ml.report.base import Side, resolve_base

REPORT_FILE = Path("report.md")
PNG_DIR = Path("report")


def _parser(prog: str, about: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"python -m gitops_ml {prog}", description=about)
    parser.add_argument(
        "--base",
        default=None,
        help="git revision to compare with (default: merge base with origin/main, else main)",
    )
    return parser


@contextmanager
def _dvc_diffs(base_rev: str) -> Iterator[tuple[subprocess.Popen[str], subprocess.Popen[str]]]:
    """Run `dvc params diff` and `dvc metrics diff` in parallel with the report's own work;
    stopped, not orphaned, when the report fails before reading them."""
    dvc = str(Path(sys.executable).with_name("dvc"))
    if not Path(dvc).is_file():
        dvc = "dvc"
    procs = [
        subprocess.Popen(
            # Metrics: all of them, changed or not; params: only the changed ones (70 rows else).
            [dvc, kind, "diff", base_rev, *(["--all"] if kind == "metrics" else []), "--md"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for kind in ("params", "metrics")
    ]
    try:
        yield procs[0], procs[1]
    finally:  # after communicate() this only closes; on an error it stops them first
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()


def _predictions(cmp):  # type: ignore[no-untyped-def]
    import pandas as pd

    frames = []
    for side in (cmp.base, cmp.pr):
        data = side.dvc_bytes(config.PREDICTIONS_FILE)
        frames.append(None if data is None else pd.read_parquet(io.BytesIO(data)))
    return frames


def _significance(cmp, p):  # type: ignore[no-untyped-def]
    from gitops_ml.metrics import HIGHER_IS_BETTER
    from gitops_ml.report.significance import significance

    notes = []
    if cmp.base_metrics is None:
        return None, ["BASE has no metrics (first model)"]
    if cmp.changed_question:
        return None, [f"{cmp.changed_question} changed: the two models' rows are not comparable"]
    base, pr = _predictions(cmp)
    if base is None or pr is None:
        notes.append("predictions of " + ("BASE" if base is None else "the PR") + " are missing")
        return None, notes
    higher = HIGHER_IS_BETTER.get(cmp.primary, True)
    positive = p.data.positive_class
    return significance(cmp.primary, base, pr, positive, higher, p.seed), notes


def build_report(base_rev: str, png_dir: Path) -> tuple[str, bool, float]:
    """The Markdown, whether the gate passed, and seconds spent waiting on the DVC CLI."""
    from gitops_ml.report import charts, quality, sections
    from gitops_ml.report.compare import compare
    from gitops_ml.report.datadiff import data_changed, data_diff

    p = params.load()
    cmp = compare(base_rev, p)  # times both models: nothing else may compete for the CPU yet
    with _dvc_diffs(base_rev) as (params_proc, metrics_proc):
        sig, sig_notes = _significance(cmp, p)
        parts = [
            "# Model report",
            "",
            sections.verdict(cmp),
            "",
            *([f"> {note}" for note in cmp.notes] + [""] if cmp.notes else []),
            "## Metrics",
            "",
            sections.metrics_table(cmp),
            "",
            sections.significance_section(cmp, sig, sig_notes),
            "",
            quality.baselines_section(cmp.primary, cmp.quality.get("baselines"), p.gate),
            "",
            quality.slices_section(cmp.primary, cmp.quality.get("slices"), p.gate),
            "",
            quality.inclusion_section(
                cmp.quality.get("slices"), p.evaluate.sensitive_columns, p.data.task, p.gate
            ),
            "",
            quality.importance_section(cmp.primary, cmp.quality.get("importance")),
            "",
            sections.params_section(cmp),
            "",
        ]
        if cmp.base_metrics is not None and data_changed(cmp.base, cmp.pr, cmp.reran):
            diff = data_diff(cmp.base, cmp.pr, cmp.base_params, cmp.pr_params, p.drift.bins)
            parts += [sections.data_section(diff), ""]
        found = charts.curves(cmp.base, cmp.pr)
        chart_parts = [charts.mermaid_curve(c) for c in found]
        bars = charts.mermaid_bars(cmp.base_metrics, cmp.pr_metrics)
        chart_parts += [bars] if bars else []
        table = charts.confusion_table(
            charts.confusion_counts(cmp.base), charts.confusion_counts(cmp.pr)
        )
        if table:
            chart_parts += ["**Confusion matrix** (cells read BASE → PR):\n\n" + table]
        if chart_parts:
            parts += ["## Charts", "", "Grey: BASE. Blue: PR.", "", "\n\n".join(chart_parts), ""]
        charts.write_pngs(png_dir, found, cmp.base_metrics, cmp.pr_metrics)
        parts += [sections.pipeline_section(cmp), ""]
        problems = sorted(set(cmp.base.problems + cmp.pr.problems))
        if problems:
            parts += ["## Not available", "", *[f"- {x}" for x in problems], ""]
        waited = time.perf_counter()
        params_out = params_proc.communicate()[0]
        metrics_out = metrics_proc.communicate()[0]
        waited = time.perf_counter() - waited
        parts += [
            sections.details("dvc params diff", params_out),
            "",
            sections.details("dvc metrics diff", metrics_out),
            "",
        ]
    return "\n".join(parts), cmp.result.passed, waited


def report_main(argv: list[str]) -> int:
    parser = _parser("report", "write report.md comparing the workspace with BASE")
    parser.add_argument("--output", type=Path, default=REPORT_FILE, help="Markdown file to write")
    parser.add_argument("--png-dir", type=Path, default=PNG_DIR, help="folder for chart PNGs")
    args = parser.parse_args(argv)
    base_rev = resolve_base(args.base)
    start = time.perf_counter()
    text, passed, waited = build_report(base_rev, args.png_dir)
    write_text(args.output, text)
    total = time.perf_counter() - start
    dvc = waited + Side.dvc_seconds
    print(
        f"report: wrote {args.output} (gate {'passed' if passed else 'failed'}); "
        f"{total:.2f} s, of which {dvc:.2f} s in DVC calls",
        file=sys.stderr,
    )
    return 0


def gate_main(argv: list[str]) -> int:
    from gitops_ml.report.compare import compare

    args = _parser("gate", "apply the quality gate against BASE").parse_args(argv)
    base_rev = resolve_base(args.base)
    p = params.load()
    cmp = compare(base_rev, p)
    if not cmp.pr_metrics:
        raise UserError(
            str(config.METRICS_FILE), "(file)", "no metrics in the workspace", "run `make repro`"
        )
    print(cmp.result.verdict)
    for note in cmp.notes + cmp.result.notes:
        print(f"  note: {note}")
    return 0 if cmp.result.passed else 1
