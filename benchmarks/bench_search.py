"""Search benchmark: one 24-candidate `make search`, in-process vs 2 local processes vs a
2-worker Dask cluster, on 100,000 synthetic rows.

`make benchmark-search` builds a scratch repository (`make sample-data ROWS=100000`, the
prepare stage only: a search needs the train split and the feature spec), then runs the same
grid three ways, each fit on one thread: `search.n_jobs: 1`, `search.n_jobs: 2`, and
`DASK_SCHEDULER_ADDRESS` pointing at a scheduler with two `--nthreads 1` workers started
here as separate processes (the test suite's helper). Figures: wall time, speed-up over
in-process, and overhead per task = (wall x workers - the fits' own seconds) / fits, i.e.
what shipping a task, reading the split in the worker and returning the score costs beyond
the fit. The three runs must agree score for score. Results go to stdout and to
benchmarks/results/search.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench_pr import ROOT, VENV, copy_tracked, env_for, git, make_args, run, set_param

sys.path.insert(0, str(ROOT))
from tests.template.support.dask_cluster import Cluster

RESULTS = ROOT / "benchmarks" / "results" / "search.json"
SPACE = {  # 4 x 3 x 2 = 24 candidates
    "method": "grid",
    "params": {
        "learning_rate": [0.03, 0.05, 0.1, 0.2],
        "max_leaf_nodes": [7, 15, 31],
        "max_iter": [50, 100],
    },
    "cv": 2,
}
# The search figures in docs/scaling.md are HistGradientBoosting's, the model it suggests at
# that size; the default linear model has one hyperparameter, too few to time a search with.
MODEL = {
    "estimator": "sklearn.ensemble.HistGradientBoostingClassifier",
    "params": {"learning_rate": 0.1, "max_iter": 100, "max_leaf_nodes": 15},
    "threads": 1,
}


def scratch(work: Path, rows: int) -> Path:
    """The template with `rows` synthetic rows, prepared (not trained)."""
    repo = work / "repo"
    copy_tracked(repo)
    env = env_for(repo)
    git(repo, "init", "-q", "-b", "main")
    run([*make_args(), "sample-data", f"ROWS={rows}"], repo, env)
    set_param(repo, "data.path", f"data/synthetic_{rows}.parquet")
    set_param(repo, "model", MODEL)
    set_param(repo, "tune.params", {})  # tune.params names the default model's hyperparameters
    set_param(repo, "search", SPACE)
    run([str(VENV / "bin" / "dvc"), "repro", "-q", "prepare"], repo, env)
    return repo


def search(repo: Path, extra_env: dict[str, str]) -> dict[str, Any]:
    env = {**env_for(repo), "OMP_NUM_THREADS": "1", **extra_env}
    wall, rss, _, _ = run([*make_args(), "search"], repo, env)
    result = json.loads((repo / "artifacts" / "search" / "search.json").read_text())
    fits = sum(len(c["scores"]) for c in result["candidates"])
    fit_seconds = sum(c["fit_seconds_mean"] * len(c["scores"]) for c in result["candidates"])
    return {
        "ran_on": result["ran_on"],
        "wall_s": round(wall, 2),
        "peak_rss_mb_client": round(rss, 1),
        "fits": fits,
        "fit_seconds_sum": round(fit_seconds, 2),
        "best": result["best"],
        "scores": [c["scores"] for c in result["candidates"]],
    }


def overhead(run_: dict[str, Any], workers: int) -> float:
    return round((run_["wall_s"] * workers - run_["fit_seconds_sum"]) / run_["fits"], 3)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        work = Path(tmp)
        repo = scratch(work, args.rows)
        set_param(repo, "search.n_jobs", 1)
        serial = search(repo, {})
        set_param(repo, "search.n_jobs", 2)
        local = search(repo, {})
        (work / "dask").mkdir()
        cluster = Cluster(work / "dask").start(workers=2)
        try:
            dask = search(repo, {"DASK_SCHEDULER_ADDRESS": cluster.address})
        finally:
            cluster.stop()
    same = serial["scores"] == local["scores"] == dask["scores"]
    rows = []
    for name, run_, workers in (
        ("serial", serial, 1),
        ("local x2", local, 2),
        ("dask x2", dask, 2),
    ):
        rows.append(
            {
                "how": name,
                "wall_s": run_["wall_s"],
                "speed_up": round(serial["wall_s"] / run_["wall_s"], 2),
                "overhead_s_per_task": overhead(run_, workers),
                "fits": run_["fits"],
                "fit_seconds_sum": run_["fit_seconds_sum"],
                "peak_rss_mb_client": run_["peak_rss_mb_client"],
            }
        )
    out = {
        "rows": args.rows,
        "candidates": 24,
        "folds": SPACE["cv"],
        "identical_scores": same,
        "best": serial["best"],
        "runs": rows,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2) + "\n")
    print("| how | wall s | speed-up | overhead s/task | fits |")
    print("|---|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['how']} | {r['wall_s']} | {r['speed_up']}x | {r['overhead_s_per_task']} "
            f"| {r['fits']} |"
        )
    print(f"identical scores: {same}; results: {RESULTS.relative_to(ROOT)}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
