"""`make train-cost BASE=<rev>`: does the PR's model cost more to train than BASE's?

Fit time and peak memory depend on the machine, so a figure recorded on another machine
(or committed) says nothing here. Both models are therefore fitted now, on this machine,
on the same data (the workspace's prepared train split): once with BASE's `model:`
section of params.yaml, once with the workspace's. Each side fits in its own Python
process (started once, asked to fit REPEAT times), so its peak memory is its own, and the
fits alternate (BASE, PR, PR, BASE, ...) so that a busy machine slows both sides alike.
When the two `model:` sections are the same, both sides would be the same fit: nothing
is refit and the report says so; a result for the same inputs is reused (gitops_ml.core.reuse). Each side keeps its fastest fit (a busy
machine only ever adds time, so the fastest is the cleanest measure of the fit's own cost)
and its median peak memory. The child times `pipeline.fit` alone: start-up and reading the
split are the same on both sides.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from typing import Any, TypeGuard

from gitops_ml.core import commands, config, params
from gitops_ml.core.config import TRAIN_COST_FILE as MARKDOWN_FILE
from gitops_ml.core.errors import UserError, exit_on_user_error
from gitops_ml.core.params import GateParams, Params
from gitops_ml.evaluation.gate import is_finite_number

JSON_FILE = MARKDOWN_FILE.with_suffix(".json")
CHILD = "gitops_ml.review.train_cost"  # `python -m` this module: one fit, JSON on stdout
DEFAULT_REPEAT = 3
SIDES = {"base": "BASE", "head": "PR"}
FIX = "make training cheaper, or raise gate.{key} in params.yaml and give the reason in the pull request"


@dataclass(frozen=True)
class Figure:
    """One cost of training, BASE against the PR, and the gate's verdict on it."""

    name: str  # fit_seconds | peak_rss_mb
    label: str
    unit: str
    key: str  # the gate: key holding the limit
    base: float | None
    head: float | None
    limit: float | None  # allowed growth as a fraction; None: no rule
    ratio: float | None
    verdict: str  # pass | FAIL | not gated | not compared
    reason: str

    @property
    def failed(self) -> bool:
        return self.verdict == "FAIL"

    def message(self) -> str:
        """The failure, with both values, the limit and the fix, for the log and Markdown."""
        assert self.limit is not None and self.ratio is not None
        return (
            f"{self.label} grew {self.ratio:.2f}x, past the limit of {1 + self.limit:.2f}x "
            f"(gate.{self.key} {self.limit:g}): BASE {self.base:.4g} {self.unit} -> "
            f"PR {self.head:.4g} {self.unit}\n  fix: {FIX.format(key=self.key)}"
        )


def _positive(value: object) -> TypeGuard[float]:
    return is_finite_number(value) and value > 0


def judge(
    name: str,
    label: str,
    unit: str,
    key: str,
    base: float | None,
    head: float | None,
    limit: float | None,
    floor: tuple[str, float] | None = None,
) -> Figure:
    """Lower is better: only growth beyond `limit` fails, and never a PR value under `floor`.

    `floor` is (gate key, value): a cost so small that its ratio is noise, not a regression.
    """

    def figure(ratio: float | None, verdict: str, reason: str) -> Figure:
        return Figure(name, label, unit, key, base, head, limit, ratio, verdict, reason)

    if not (_positive(base) and _positive(head)):
        return figure(None, "not compared", "not measured on one side")
    ratio = head / base
    if limit is None:
        return figure(ratio, "not gated", f"gate.{key} is null")
    if floor is not None and head < floor[1]:
        return figure(ratio, "pass", f"PR under gate.{floor[0]} {floor[1]:g} {unit}")
    if ratio - 1.0 > limit:
        return figure(ratio, "FAIL", f"grew past {1 + limit:.2f}x")
    return figure(ratio, "pass", f"within {1 + limit:.2f}x")


def judge_all(summary: dict[str, dict[str, float | None]], rules: GateParams) -> list[Figure]:
    """The two figures the gate knows: fit time (with its floor) and peak memory."""
    base, head = summary["base"], summary["head"]
    floor = ("min_train_seconds", rules.min_train_seconds)
    return [
        judge(
            "fit_seconds",
            "fit time",
            "s",
            "max_train_time_growth",
            base.get("fit_seconds"),
            head.get("fit_seconds"),
            rules.max_train_time_growth,
            floor,
        ),
        judge(
            "peak_rss_mb",
            "peak memory",
            "MB",
            "max_train_memory_growth",
            base.get("peak_rss_mb"),
            head.get("peak_rss_mb"),
            rules.max_train_memory_growth,
        ),
    ]


# --- measuring ----------------------------------------------------------------------------


@exit_on_user_error
def _child_main() -> None:
    """A fitting process for one side: params on the first line of stdin, then one fit, as
    the train stage builds it (the builder pyproject.toml names), per `fit` line; JSON per fit on stdout.

    The split is read once; each fit times `pipeline.fit` alone. Peak memory is this
    process's (the same measure the train stage keeps), so each side has its own process.
    """
    from gitops_ml.core import data
    from gitops_ml.core.data import FeatureSpec
    from gitops_ml.core.estimator import fixed_threads
    from gitops_ml.core.hook import build_pipeline
    from gitops_ml.evaluation import resources

    p = params.parse(json.loads(sys.stdin.readline()), "params (from train-cost)")
    spec = FeatureSpec.load()
    frame = data.read_parquet(config.TRAIN_FILE, columns=[*spec.columns, spec.target])
    target = frame.pop(spec.target)
    for line in sys.stdin:
        if line.strip() != "fit":
            continue
        pipeline = build_pipeline(p, spec)
        with fixed_threads(p.model.threads):  # the train stage's thread count
            start = time.perf_counter()
            pipeline.fit(frame, target)
            seconds = time.perf_counter() - start
        peak = resources.peak_rss_mb()
        print(
            json.dumps({"fit_seconds": seconds, "peak_rss_mb": peak, "rows": len(target)}),
            flush=True,
        )


class Fitter:
    """One side's fitting process: started once, asked to fit `repeat` times."""

    def __init__(self, p: Params, source: str) -> None:
        self.source = source
        self.proc = subprocess.Popen(
            [sys.executable, "-m", CHILD],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._send(json.dumps(p.model_dump(mode="json")))

    def _send(self, line: str) -> None:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(line + "\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass  # the child has died: `fit` reports why

    def fit(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        self._send("fit")
        line = self.proc.stdout.readline()
        if not line.strip():
            said = (self.proc.stderr.read() if self.proc.stderr else "").strip() or "(no output)"
            self.close()
            why = " ".join(x.strip() for x in said.splitlines()[-6:]).removeprefix("error: ")
            fix = (
                "correct the model: section (`make check`)"
                if self.source == str(config.PARAMS_FILE)
                else "pass a BASE whose model: section fits the workspace's data"
            )
            raise UserError(self.source, "model", f"this model cannot be fitted here: {why}", fix)
        return dict(json.loads(line))

    def close(self) -> None:
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()
        self.proc.wait()
        if self.proc.stderr is not None:
            self.proc.stderr.close()


def measure(sides: dict[str, tuple[Params, str]], repeat: int) -> dict[str, list[dict[str, Any]]]:
    """`repeat` rounds, BASE and PR alternating (ABBA...), so drift in the machine's speed
    falls on both sides alike."""
    runs: dict[str, list[dict[str, Any]]] = {side: [] for side in sides}
    fitters = {side: Fitter(*sides[side]) for side in sides}
    try:
        for round_ in range(repeat):
            order = list(sides) if round_ % 2 == 0 else list(reversed(sides))
            for side in order:
                run = fitters[side].fit()
                runs[side].append(run)
                print(
                    f"train-cost: {SIDES[side]} fit {len(runs[side])}/{repeat}: "
                    f"{run['fit_seconds']:.3f} s, peak {_fmt(run.get('peak_rss_mb'), 'MB')}",
                    file=sys.stderr,
                )
    finally:
        for fitter in fitters.values():
            fitter.close()
    return runs


def _summary(runs: list[dict[str, Any]], name: str) -> float | None:
    """Fit time: the fastest run; peak memory: the median (load does not inflate it)."""
    values: list[float] = [r[name] for r in runs if _positive(r.get(name))]
    if not values:
        return None
    return min(values) if name == "fit_seconds" else statistics.median(values)


# --- reading the two sides ----------------------------------------------------------------


def base_model_section(base_rev: str) -> Any:
    """BASE's `model:` section as git stores it (None when BASE has no params.yaml or none)."""
    from gitops_ml.review.base import Side

    raw = Side(base_rev, "BASE").yaml(config.PARAMS_FILE)
    return raw.get("model") if isinstance(raw, dict) else None


def with_model(workspace: dict[str, Any], model: Any, source: str) -> Params:
    """The workspace's params with another `model:` section, validated like params.yaml."""
    return params.parse({**workspace, "model": model}, source)


def _require_prepared() -> None:
    config.require_outputs(
        config.TRAIN_FILE,
        config.FEATURES_FILE,
        reader="train-cost fits both models on the prepared train split",
    )


# --- output -------------------------------------------------------------------------------


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    return f"{value:,.3f} s" if unit == "s" else f"{value:,.0f} {unit}"


_MARK = {"pass": "✅ pass", "FAIL": "❌ FAIL", "not gated": "➖ not gated"}


def markdown(result: dict[str, Any], figures: list[Figure]) -> str:
    passed = result["passed"]
    if result["base"] is None:
        return (
            "### Training cost: not compared\n\n"
            f"{result['note']}: nothing to compare the PR's training against.\n"
        )
    if not figures:  # the same model: section on both sides
        return f"### Training cost: passed\n\n> {result['note']}.\n"
    lines = [
        f"### Training cost: {'passed' if passed else 'FAILED'}",
        "",
        f"BASE's (`{result['base']['rev'][:12]}`) and the PR's `model:` params, each fitted "
        f"{result['repeat']} time(s) in a process of its own on the workspace's train split "
        f"({result['rows']:,} rows), alternately on this machine. Time is the fastest "
        "`pipeline.fit`; memory is the fitting process's median peak RSS.",
        "",
        "| figure | BASE | PR | ratio | limit | verdict |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for f in figures:
        ratio = "—" if f.ratio is None else f"{f.ratio:.2f}x"
        limit = "none" if f.limit is None else f"{1 + f.limit:.2f}x"
        mark = _MARK.get(f.verdict, f"➖ {f.verdict}")
        lines.append(
            f"| {f.label} | {_fmt(f.base, f.unit)} | {_fmt(f.head, f.unit)} | {ratio} | "
            f"{limit} | {mark} ({f.reason}) |"
        )
    failed = [f for f in figures if f.failed]
    if failed:
        lines += ["", *[f"- {f.message()}".replace("\n  fix:", "\n  **Fix**:") for f in failed]]
    return "\n".join(lines) + "\n"


def _write(result: dict[str, Any], figures: list[Figure]) -> None:
    from gitops_ml.core.atomic import write_text

    write_text(JSON_FILE, json.dumps(result, indent=2) + "\n")
    write_text(MARKDOWN_FILE, markdown(result, figures))


def run(base_rev: str, repeat: int) -> tuple[dict[str, Any], list[Figure]]:
    """Measure both sides and judge them; the result is what report/train_cost.json holds."""
    workspace = params.read_yaml(config.PARAMS_FILE)
    head = params.parse(workspace, str(config.PARAMS_FILE))
    base_model = base_model_section(base_rev)
    if base_model is None:
        note = f"BASE ({base_rev[:12]}) has no params.yaml with a model: section"
        return {"base": None, "head": None, "passed": True, "note": note, "figures": []}, []
    source = f"params.yaml at {base_rev[:12]}"
    base = with_model(workspace, base_model, source)
    _require_prepared()
    if base.model == head.model:
        note = (
            f"`model:` is unchanged since BASE ({base_rev[:12]}): both sides would be the same "
            "fit on the same split, so nothing was refit"
        )
        return {
            "base": {"rev": base_rev},
            "head": {"rev": "workspace"},
            "same_model": True,
            "passed": True,
            "note": note,
            "figures": [],
        }, []
    runs = measure({"base": (base, source), "head": (head, str(config.PARAMS_FILE))}, repeat)
    summary = {
        side: {name: _summary(r, name) for name in ("fit_seconds", "peak_rss_mb")}
        for side, r in runs.items()
    }
    figures = judge_all(summary, head.gate)
    result: dict[str, Any] = {
        "repeat": repeat,
        "rows": runs["head"][0]["rows"],
        "same_model": base.model == head.model,
        "base": {"rev": base_rev, "model": base.model.model_dump(mode="json")},
        "head": {"rev": "workspace", "model": head.model.model_dump(mode="json")},
        "figures": [asdict(f) for f in figures],
        "passed": not any(f.failed for f in figures),
    }
    for side in ("base", "head"):
        result[side].update(summary[side])
        result[side]["runs"] = runs[side]
    return result, figures


def _repeat(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def main(argv: list[str]) -> int:
    from gitops_ml.review.base import resolve_base

    parser = commands.parser(
        "train-cost",
        "fit BASE's and the workspace's model: here, alternately; exit 1 when the "
        "fit time or peak memory grew past the gate: limits",
    )
    parser.add_argument(
        "--base",
        default=None,
        help="git revision whose model: section to compare with (default: merge base with "
        "origin/main, else main)",
    )
    parser.add_argument(
        "--repeat", type=_repeat, default=DEFAULT_REPEAT, help="fits per side (default 3)"
    )
    args = parser.parse_args(argv)
    base_rev = resolve_base(args.base)
    from gitops_ml.core import reuse

    settings = {
        "base_model": base_model_section(base_rev),
        "head_model": params.read_yaml(config.PARAMS_FILE).get("model"),
        "repeat": args.repeat,
        "machine": [platform.machine(), os.cpu_count()],  # times are this kind of machine's
    }
    digest = reuse.key([config.TRAIN_FILE, config.FEATURES_FILE], settings)
    return reuse.run_cached(
        "train-cost",
        digest,
        [JSON_FILE, MARKDOWN_FILE],
        lambda: _measure_and_write(base_rev, args.repeat),
        MARKDOWN_FILE,
    )


def _measure_and_write(base_rev: str, repeat: int) -> int:
    result, figures = run(base_rev, repeat)
    _write(result, figures)
    if not figures:
        print(f"train-cost: {result['note']}")
        return 0
    for f in figures:
        ratio = "—" if f.ratio is None else f"{f.ratio:.2f}x"
        print(
            f"train-cost: {f.label}: BASE {_fmt(f.base, f.unit)}, PR {_fmt(f.head, f.unit)} "
            f"({ratio}): {f.verdict} ({f.reason})"
        )
    for f in figures:
        if f.failed:
            print(f"train-cost FAILED: {f.message()}", file=sys.stderr)
    print(f"train-cost: wrote {MARKDOWN_FILE} and {JSON_FILE}")
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    _child_main()
