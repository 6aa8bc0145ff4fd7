"""`python -m gitops_ml report|gate`: the PR report and the quality gate against BASE.

Both commands share `compare`, and they share its one measurement: `make report` keeps the
verdict in report/verdict.json under the hash of what it compared (BASE's commit, the
workspace's params, lock, metrics, model and splits), and `make gate` on the same inputs
decides from it instead of timing both models again. So the verdict at the top of
report.md is exactly what `make gate` decides, latency included; any other input is
compared afresh.
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
from typing import TYPE_CHECKING, Any

from gitops_ml.core import config, params
from gitops_ml.core.atomic import write_text
from gitops_ml.core.errors import UserError
from gitops_ml.review.base import Side, resolve_base

if TYPE_CHECKING:
    import pandas as pd

    from gitops_ml.evaluation.significance import Significance
    from gitops_ml.review.compare import Comparison

REPORT_FILE = Path("report.md")
PNG_DIR = Path("report")
VERDICT_FILE = Path("report") / "verdict.json"
_COMPARED = (
    config.PARAMS_FILE,
    Path("dvc.lock"),
    config.METRICS_FILE,
    config.BASELINES_FILE,
    config.SLICES_FILE,
    config.MODEL_FILE,
    config.PREDICTIONS_FILE,
    config.PREPARED_DIR,
)


def _compared_key(base_rev: str) -> str:
    from gitops_ml.core import reuse
    from gitops_ml.registry import git

    return reuse.key(_COMPARED, {"base": git.commit_of(base_rev) or base_rev})


def _keep_verdict(base_rev: str, passed: bool, lines: list[str]) -> None:
    import json

    record = {"key": _compared_key(base_rev), "passed": passed, "lines": lines}
    write_text(VERDICT_FILE, json.dumps(record, indent=2) + "\n")


def _kept_verdict(base_rev: str) -> dict[str, Any] | None:
    """The verdict `make report` kept for exactly these inputs, or None."""
    import json

    try:
        record: dict[str, Any] = json.loads(VERDICT_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if record.get("key") == _compared_key(base_rev) else None


def _verdict_lines(cmp: Comparison) -> list[str]:
    return [cmp.result.verdict, *(f"  note: {n}" for n in cmp.notes + cmp.result.notes)]


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


def _predictions(cmp: Comparison) -> list[pd.DataFrame | None]:
    import pandas as pd

    frames: list[pd.DataFrame | None] = []
    for side in (cmp.base, cmp.pr):
        data = side.dvc_bytes(config.PREDICTIONS_FILE)
        frames.append(None if data is None else pd.read_parquet(io.BytesIO(data)))
    return frames


def _significance(cmp: Comparison, p: params.Params) -> tuple[Significance | None, list[str]]:
    from gitops_ml.evaluation.metrics import HIGHER_IS_BETTER
    from gitops_ml.evaluation.significance import significance

    notes: list[str] = []
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
    """The Markdown, whether the gate passed, and seconds spent waiting on the DVC CLI.
    The gate's verdict is kept for `make gate` (report/verdict.json)."""
    from gitops_ml.review import charts, quality_section, sections
    from gitops_ml.review.compare import compare
    from gitops_ml.review.datadiff import data_changed, data_diff

    p = params.load()
    cmp = compare(base_rev, p)  # times both models: nothing else may compete for the CPU yet
    if cmp.pr_metrics:
        _keep_verdict(base_rev, cmp.result.passed, _verdict_lines(cmp))
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
    from gitops_ml.review.compare import compare

    args = _parser("gate", "apply the quality gate against BASE").parse_args(argv)
    base_rev = resolve_base(args.base)
    kept = _kept_verdict(base_rev)
    if kept is not None:
        print("\n".join(kept["lines"]))
        print("  note: decided from make report's measurement of these same inputs")
        return 0 if kept["passed"] else 1
    p = params.load()
    cmp = compare(base_rev, p)
    if not cmp.pr_metrics:
        raise UserError(
            str(config.METRICS_FILE), "(file)", "no metrics in the workspace", "run `make repro`"
        )
    lines = _verdict_lines(cmp)
    _keep_verdict(base_rev, cmp.result.passed, lines)
    print("\n".join(lines))
    return 0 if cmp.result.passed else 1
