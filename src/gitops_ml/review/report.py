"""`make report`: report.md comparing the workspace (the PR) with BASE.

Its verdict is kept for `make gate` (gitops_ml.review.verdict), so the verdict at the top
of report.md is exactly what the gate decides.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from gitops_ml.core import config, params
from gitops_ml.core.atomic import write_text
from gitops_ml.review import verdict
from gitops_ml.review.base import Side, resolve_base

PNG_DIR = config.CI_DIR  # chart PNGs travel in the run's artifact beside comment.md


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


def build_report(base_rev: str, png_dir: Path) -> tuple[str, bool, float, bool]:
    """The Markdown, whether the gate passed, seconds spent waiting on the DVC CLI, and
    whether every output of both sides was found (a report that lacks some is not kept for
    reuse: the missing ones may be pulled later). The gate's verdict is kept for `make gate`
    (report/verdict.json)."""
    from gitops_ml.review import charts, quality_section, sections
    from gitops_ml.review.compare import compare
    from gitops_ml.review.datadiff import data_changed, data_diff

    p = params.load()
    cmp = compare(base_rev, p)  # times both models: nothing else may compete for the CPU yet
    if cmp.pr_metrics:
        verdict.keep(base_rev, cmp.result.passed, verdict.lines(cmp))
    with _dvc_diffs(base_rev) as (params_proc, metrics_proc):
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
            sections.significance_section(
                cmp, cmp.significance, cmp.significance_notes, p.gate.drop_rule
            ),
            "",
            quality_section.baselines_section(cmp.primary, cmp.quality.get("baselines"), p.gate),
            "",
            quality_section.slices_section(cmp.primary, cmp.quality.get("slices"), p.gate),
            "",
            quality_section.inclusion_section(
                cmp.quality.get("slices"), p.evaluate.sensitive_columns, p.data.task, p.gate
            ),
            "",
            quality_section.importance_section(cmp.primary, cmp.quality.get("importance")),
            "",
            sections.params_section(cmp),
            "",
        ]
        if cmp.base_metrics is not None and data_changed(
            cmp.base, cmp.pr, cmp.reran, cmp.pr_params
        ):
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
            sections.details("dvc params diff", sections.sorted_table(params_out)),
            "",
            sections.details("dvc metrics diff", sections.sorted_table(metrics_out)),
            "",
        ]
    return "\n".join(parts), cmp.result.passed, waited, not problems


def main(argv: list[str]) -> int:
    parser = verdict.parser("report", "write report.md comparing the workspace with BASE")
    parser.add_argument(
        "--output", type=Path, default=config.REPORT_FILE, help="Markdown file to write"
    )
    parser.add_argument("--png-dir", type=Path, default=PNG_DIR, help="folder for chart PNGs")
    args = parser.parse_args(argv)
    base_rev = resolve_base(args.base)
    complete = True

    def compute() -> int:
        nonlocal complete
        start = time.perf_counter()
        text, passed, waited, complete = build_report(base_rev, args.png_dir)
        write_text(args.output, text)
        total = time.perf_counter() - start
        dvc = waited + Side.dvc_seconds
        print(
            f"report: wrote {args.output} (gate {'passed' if passed else 'failed'}); "
            f"{total:.2f} s, of which {dvc:.2f} s in DVC calls",
            file=sys.stderr,
        )
        return 0

    # The same commits (the report names both) and the same workspace outputs give the same
    # report: a re-run restores it (latency as measured then, and it says so).
    from gitops_ml.core import reuse
    from gitops_ml.registry import git
    from gitops_ml.review.charts import PNG_NAMES

    pngs = [args.png_dir / name for name in PNG_NAMES]
    head = git.commit_of("HEAD") or ""
    digest = verdict.compared_key(base_rev, head=head, out=str(args.output), png=str(args.png_dir))
    outputs = [args.output, verdict.VERDICT_FILE, *pngs]
    return reuse.run_cached("report", digest, outputs, compute, args.output, lambda: complete)
