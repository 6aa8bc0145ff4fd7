"""Scale benchmark: wall time and peak memory of every pipeline stage at two data sizes.

`make benchmark-scale` writes a synthetic dataset at each size (`gitops_ml.datasets.synthetic`),
points a scratch copy of params.yaml at it, and runs each stage as its own process, just
as `dvc repro` does, so start-up costs and memory are those a user would see. Peak RSS
comes from the kernel's accounting of that one child (`os.wait4`). The figures go to
stdout and to benchmarks/results/scale.json; the exit status is 1 when a target is missed.

Targets: the largest size takes at most 12x the smallest size's time (near linear for
10x the rows), and no stage's peak RSS at the largest size exceeds 4x the in-memory size
of the data. At small sizes the interpreter and its libraries (~200 MB) dominate RSS, so
the memory target is judged where the data dominates.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import yaml

from gitops_ml.core import hook
from measure import measured

ROOT = Path(__file__).resolve().parents[1]
TEAM = hook.package(ROOT / "pyproject.toml")  # the team's package, whatever its name
RESULTS = ROOT / "benchmarks" / "results" / "scale.json"
STAGES = ("prepare", "train", "evaluate")
MAX_TIME_RATIO = 12.0
MAX_RSS_RATIO = 4.0


def run_measured(args: list[str], cwd: Path) -> tuple[float, float, str]:
    """Run one child process; return (wall seconds, peak RSS in MB, its output)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), DVC_NO_ANALYTICS="1")
    wall, rss, code, output = measured(args, cwd, env)
    if code != 0:
        raise SystemExit(f"{' '.join(args)} failed ({code}):\n{output}")
    return wall, rss, output.strip()


def data_megabytes(path: Path) -> float:
    """In-memory size of the dataset as the pipeline reads it (pandas, deep)."""
    import pandas as pd

    return float(pd.read_parquet(path).memory_usage(deep=True).sum()) / 1e6


def write_params(work: Path, data_path: str) -> None:
    params = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    params["data"].update(path=data_path, format="auto", target="diagnosis", task="binary")
    params["data"]["positive_class"] = "malignant"
    params["data"]["features"] = {"numeric": [], "categorical": []}  # infer from dtypes
    params["data"]["drop"] = []
    (work / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")


def bench_size(rows: int, seed: int, work: Path) -> dict:
    data_rel = f"data/synthetic_{rows}.parquet"
    py = sys.executable
    result: dict = {"rows": rows, "stages": {}}
    gen = run_measured(
        [py, "-m", "gitops_ml", "sample-data", "--rows", str(rows), "--seed", str(seed)], work
    )
    result["generate"] = {"seconds": round(gen[0], 2), "peak_rss_mb": round(gen[1], 1)}
    result["data_mb"] = round(data_megabytes(work / data_rel), 1)
    result["file_mb"] = round((work / data_rel).stat().st_size / 1e6, 1)
    write_params(work, data_rel)
    for stage in STAGES:
        wall, rss, output = run_measured([py, "-m", f"{TEAM}.stages.{stage}"], work)
        result["stages"][stage] = {"seconds": round(wall, 2), "peak_rss_mb": round(rss, 1)}
        print(f"  {rows:>9,} {stage:<9} {wall:7.1f} s {rss:8.0f} MB   {output.splitlines()[-1]}")
    result["seconds"] = round(sum(s["seconds"] for s in result["stages"].values()), 2)
    result["peak_rss_mb"] = max(s["peak_rss_mb"] for s in result["stages"].values())
    result["rss_over_data"] = round(result["peak_rss_mb"] / result["data_mb"], 2)
    metrics = json.loads((work / "metrics" / "metrics.json").read_text(encoding="utf-8"))
    result["roc_auc"] = round(metrics["roc_auc"], 4)
    return result


def summarise(runs: list[dict]) -> dict:
    small, large = runs[0], runs[-1]
    per_stage = {
        s: round(large["stages"][s]["seconds"] / small["stages"][s]["seconds"], 2) for s in STAGES
    }
    time_ratio = round(large["seconds"] / small["seconds"], 2)
    return {
        "rows_ratio": round(large["rows"] / small["rows"], 2),
        "time_ratio": time_ratio,
        "time_ratio_per_stage": per_stage,
        "rss_over_data_at_largest": large["rss_over_data"],
        "targets": {"max_time_ratio": MAX_TIME_RATIO, "max_rss_over_data": MAX_RSS_RATIO},
        "time_ok": time_ratio <= MAX_TIME_RATIO,
        "memory_ok": large["rss_over_data"] <= MAX_RSS_RATIO,
    }


def print_table(runs: list[dict], summary: dict) -> None:
    print()
    print(f"{'rows':>10} {'data MB':>8} " + " ".join(f"{s + ' s':>11} {'MB':>6}" for s in STAGES))
    for run in runs:
        cells = " ".join(
            f"{run['stages'][s]['seconds']:>11.1f} {run['stages'][s]['peak_rss_mb']:>6.0f}"
            for s in STAGES
        )
        print(f"{run['rows']:>10,} {run['data_mb']:>8.0f} {cells}")
    print()
    for run in runs:
        print(
            f"{run['rows']:>10,} rows: total {run['seconds']:.1f} s, peak RSS "
            f"{run['peak_rss_mb']:.0f} MB = {run['rss_over_data']:.2f}x data, roc_auc {run['roc_auc']}"
        )
    ok = {True: "ok", False: "MISSED"}
    print(
        f"time ratio {runs[-1]['rows']:,}/{runs[0]['rows']:,} rows: {summary['time_ratio']:.2f} "
        f"(target <= {MAX_TIME_RATIO:g}: {ok[summary['time_ok']]}); per stage "
        + ", ".join(f"{s} {r:.2f}" for s, r in summary["time_ratio_per_stage"].items())
    )
    print(
        f"peak RSS / data size at {runs[-1]['rows']:,} rows: {summary['rss_over_data_at_largest']:.2f}"
        f" (target <= {MAX_RSS_RATIO:g}: {ok[summary['memory_ok']]})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--keep", action="store_true", help="keep the scratch folders")
    args = parser.parse_args(argv)
    sizes = sorted(args.rows)
    if len(sizes) < 2 or sizes[0] < 50:
        parser.error("give at least two sizes of 50 rows or more")
    runs = []
    print(f"{'rows':>11} {'stage':<9} {'wall':>9} {'peak RSS':>11}")
    for rows in sizes:
        work = Path(tempfile.mkdtemp(prefix=f"bench-scale-{rows}-"))
        try:
            runs.append(bench_size(rows, args.seed, work))
        finally:
            if args.keep:
                print(f"  kept {work}")
            else:
                shutil.rmtree(work, ignore_errors=True)
    summary = summarise(runs)
    print_table(runs, summary)
    from gitops_ml.core.atomic import write_text

    payload = {"machine": {"cpus": os.cpu_count()}, "runs": runs, "summary": summary}
    write_text(RESULTS, json.dumps(payload, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0 if summary["time_ok"] and summary["memory_ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
