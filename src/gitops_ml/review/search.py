"""`make search`: a hyperparameter search over `search.params`, by seeded k-fold CV on the
train split, with the pipeline the train stage builds. Also the engine of `make tune-check`,
which scores the committed setting's one-at-a-time neighbours the same way.

Each fit is a `refit.Fit` (candidate x fold) that `gitops_ml.core.executor` runs in-process,
on local processes or on a Dask cluster; folds come from the seed and the estimator's
random_state from `seed`, so every place gives the same scores and the same winner.
The table goes to artifacts/search/search.json (git-ignored: a search is a question, the
answer enters the repository as model.params, via `WRITE=1`).
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from gitops_ml.core import commands, config, params
from gitops_ml.core.data import FeatureSpec
from gitops_ml.core.errors import UserError
from gitops_ml.core.executor import Where, run_all, where
from gitops_ml.core.params import Distribution, Params
from gitops_ml.evaluation import gate
from gitops_ml.review.refit import Fit, run_fit, source, with_hyper

if TYPE_CHECKING:
    from numpy.typing import NDArray

SEARCH_DIR = Path("artifacts/search")
SEARCH_JSON = SEARCH_DIR / "search.json"
Folds = list[tuple["NDArray[Any]", "NDArray[Any]"]]


class CvScores:
    """Mean and spread of `scores` (one per fold), for every kind of candidate."""

    scores: list[float]

    @property
    def mean(self) -> float:
        return float(np.mean(self.scores))

    @property
    def std(self) -> float:
        return float(np.std(self.scores))


@dataclass
class Scored(CvScores):
    """One candidate setting and its per-fold scores, fit times and the workers that ran it."""

    changes: dict[str, Any]
    scores: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    workers: list[str] = field(default_factory=list)
    rows: int = 0  # train rows per fit (halving rounds use fewer)


def folds(p: Params, train: pd.DataFrame, target: str, k: int, key: str) -> Folds:
    """Seeded k-fold split of the train split, stratified by class for classification.

    Only the target column is needed: the client never holds the features."""
    from sklearn.model_selection import KFold, StratifiedKFold

    smallest = int(train[target].value_counts().min()) if p.is_classification else len(train)
    if smallest < k:  # a fold without some class has no ROC AUC, and sklearn only warns
        what = "the smallest class has" if p.is_classification else "the train split has"
        raise UserError(
            "params.yaml",
            key,
            f"cannot make {k} folds: {what} {smallest} rows in the train split",
            f"lower {key} to at most {max(2, smallest)}",
        )
    splitter_cls = StratifiedKFold if p.is_classification else KFold
    splitter = splitter_cls(n_splits=k, shuffle=True, random_state=p.seed)
    return list(splitter.split(train, train[target]))


def score_all(
    p: Params,
    spec: FeatureSpec,
    train: str | pd.DataFrame,
    cands: Sequence[Scored],
    cv: Folds,
    place: Where,
    section: str,
    metric: str | None = None,
    rows: int | None = None,
) -> None:
    """Fill each candidate's scores: one Fit per candidate and fold, run where `place` says.

    `rows` fits on a seeded subset of each fold's train rows (successive halving)."""
    fits = []
    for fold, (fit_idx, val_idx) in enumerate(cv):
        used = fit_idx if rows is None else _subset(fit_idx, rows, p.seed + fold)
        for cand in cands:
            variant = with_hyper(p, cand.changes) if cand.changes else p
            fits.append(Fit(variant, spec, train, train, used, val_idx, metric=metric))
    outcomes = run_all(run_fit, fits, place)
    for i, outcome in enumerate(outcomes):
        cand = cands[i % len(cands)]
        if outcome.error is not None:
            refused(cand.changes, outcome.error, p, section)
        cand.scores.append(outcome.value)
        cand.seconds.append(outcome.seconds)
        cand.workers.append(outcome.worker)
        used_rows = fits[i].fit_rows
        cand.rows = 0 if used_rows is None else len(used_rows)
    undefined = [label(c.changes) for c in cands if not np.isfinite(c.mean)]
    if undefined:
        raise UserError(
            "params.yaml",
            f"{section}.cv",
            f"{metric or p.evaluate.primary_metric} is undefined on some fold for "
            f"{', '.join(undefined)}",
            "use fewer folds so that each holds every class, or more data",
        )


def refused(changes: dict[str, Any], problem: str, p: Params, section: str) -> None:
    key = f"{section}.params" + (f".{next(iter(changes))}" if len(changes) == 1 else "")
    shown = (
        repr(next(iter(changes.values())))
        if len(changes) == 1
        else ", ".join(f"{k}={v!r}" for k, v in changes.items())
    )
    raise UserError(
        "params.yaml",
        key,
        f"candidate {shown} is refused by {p.model.estimator}: {problem}",
        "remove it or use a value the estimator accepts",
    )


def _subset(idx: NDArray[Any], rows: int, seed: int) -> NDArray[Any]:
    if rows >= len(idx):
        return idx
    picked = np.random.default_rng(seed).choice(len(idx), size=rows, replace=False)
    return idx[np.sort(picked)]


def label(changes: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in changes.items()) or "(committed)"


def estimator_defaults(p: Params, key: str, names: Iterable[str]) -> dict[str, Any]:
    """The estimator's hyperparameters and defaults; a name it lacks is an error at `key`."""
    from gitops_ml.core.estimator import estimator_class

    cls = estimator_class(p.model.estimator)
    defaults: dict[str, Any] = cls().get_params(deep=False)
    for name in names:
        if name not in defaults:
            raise UserError(
                "params.yaml",
                f"{key}.{name}",
                f"{cls.__name__} has no hyperparameter {name!r}",
                f"use one of: {', '.join(sorted(defaults))}",
            )
    return defaults


def check_search_section(p: Params) -> dict[str, Any]:
    """Every search.params name is a hyperparameter of the estimator, and a range is only
    given for a numeric one; return the estimator's defaults."""
    defaults = estimator_defaults(p, "search.params", p.search.params)
    for name, space in p.search.params.items():
        current = p.model.params.get(name, defaults[name])
        if isinstance(space, Distribution) and isinstance(current, (str, bool)):
            raise UserError(
                "params.yaml",
                f"search.params.{name}",
                f"a {space.distribution} range needs a numeric hyperparameter, and "
                f"{name} is {current!r}",
                "give a list of values instead, e.g. [a, b]",
            )
    return defaults


def _plain(value: Any) -> Any:
    """numpy scalars from the samplers as plain Python values (for YAML, JSON and sklearn)."""
    return value.item() if isinstance(value, np.generic) else value


def candidates(p: Params) -> list[dict[str, Any]]:
    """The settings to try, in a seeded order: the grid, or n_iter draws from the space."""
    from sklearn.model_selection import ParameterGrid, ParameterSampler

    space = p.search.params
    if not space:
        return [{}]
    ranges = any(isinstance(s, Distribution) for s in space.values())
    if p.search.method == "grid" or (p.search.method == "halving" and not ranges):
        return [{k: _plain(v) for k, v in c.items()} for c in ParameterGrid(_lists(space))]
    from scipy import stats

    dists: dict[str, Any] = {}
    for name, s in space.items():
        if not isinstance(s, Distribution):
            dists[name] = s
        elif s.distribution == "uniform":
            dists[name] = stats.uniform(s.low, s.high - s.low)
        elif s.distribution == "loguniform":
            dists[name] = stats.loguniform(s.low, s.high)
        else:
            dists[name] = stats.randint(int(s.low), int(s.high) + 1)
    n = p.search.n_iter
    if not ranges:  # every value listed: at most the whole grid, without repeats
        n = min(n, math.prod(len(v) for v in _lists(space).values()))
    sampled = ParameterSampler(dists, n_iter=n, random_state=p.seed)
    return [{k: _plain(c[k]) for k in space} for c in sampled]


def _lists(space: dict[str, Any]) -> dict[str, list[Any]]:
    return {k: list(v) for k, v in space.items() if not isinstance(v, Distribution)}


def better(metric: str, a: float, b: float) -> float:
    return gate.better_by(metric, a, b)


def ranked(metric: str, cands: list[Scored]) -> list[Scored]:
    """Best first; ties keep the candidates' order (the order of the grid or the draws)."""
    return sorted(cands, key=lambda c: -better(metric, c.mean, 0.0))


def search(
    p: Params, spec: FeatureSpec, train: str | pd.DataFrame, target: pd.DataFrame, place: Where
) -> tuple[list[Scored], list[dict[str, Any]]]:
    """Score every candidate (grid, random) or run successive halving; all rounds' records."""
    metric = p.search.scoring or p.evaluate.primary_metric
    cv = folds(p, target, spec.target, p.search.cv, "search.cv")
    cands = [Scored(c) for c in candidates(p)]
    if p.search.method != "halving" or len(cands) == 1:
        score_all(p, spec, train, cands, cv, place, "search", metric)
        return cands, [_record(c, 0) for c in cands]
    factor = p.search.factor
    rounds = max(1, math.ceil(math.log(len(cands), factor)))
    full = min(len(i) for i, _ in cv)
    records: list[dict[str, Any]] = []
    alive = cands
    for r in range(rounds):
        rows = max(full // factor ** (rounds - 1 - r), 2 * p.search.cv)
        for cand in alive:
            cand.scores, cand.seconds, cand.workers = [], [], []
        score_all(p, spec, train, alive, cv, place, "search", metric, rows=rows)
        records += [_record(c, r) for c in alive]
        if r < rounds - 1:
            alive = ranked(metric, alive)[: max(1, math.ceil(len(alive) / factor))]
    return alive, records


def _record(c: Scored, round_: int) -> dict[str, Any]:
    return {
        "params": c.changes,
        "round": round_,
        "train_rows_per_fit": c.rows,
        "mean": c.mean,
        "std": c.std,
        "scores": c.scores,
        "fit_seconds_mean": float(np.mean(c.seconds)),
    }


def table(metric: str, records: list[dict[str, Any]]) -> list[str]:
    lines = [
        f"| rank | setting | round | mean CV {metric} | std | fit s |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for r in records:
        lines.append(
            f"| {r['rank']} | `{label(r['params'])}` | {r['round']} | {r['mean']:.4f} "
            f"| {r['std']:.4f} | {r['fit_seconds_mean']:.2f} |"
        )
    return lines


def write_winner(path: Path, changes: dict[str, Any]) -> None:
    """Set model.params.<name> for each winning value in params.yaml, as `make exp` does:
    only those values' characters change, and the result is validated before it is
    written."""
    from gitops_ml.core.params_edit import Assignment
    from gitops_ml.review.experiment import edit

    edit(path, [Assignment(("model", "params", name), v) for name, v in changes.items()])


def main(argv: list[str]) -> int:
    parser = commands.parser(
        "search",
        "hyperparameter search over search.params by k-fold CV on the train split; "
        "fits run on local processes or the Dask cluster at DASK_SCHEDULER_ADDRESS",
    )
    parser.add_argument("--out", type=Path, default=SEARCH_JSON, help="JSON table")
    parser.add_argument(
        "--write", action="store_true", help="write the winner into params.yaml model.params"
    )
    args = parser.parse_args(argv)
    from gitops_ml.core import data
    from gitops_ml.core.atomic import write_text

    p = params.load()
    check_search_section(p)
    if not p.search.params:
        raise UserError(
            "params.yaml",
            "search.params",
            "nothing to search: no hyperparameter is listed",
            "add hyperparameters of model.estimator, e.g. `search: {params: {C: [0.1, 0.3, 1.0, 3.0]}}`",
        )
    spec = FeatureSpec.load()
    config.require_outputs(config.TRAIN_FILE, reader="the search cross-validates on it")
    target = data.read_parquet(config.TRAIN_FILE, columns=[spec.target])
    place = where(p)
    metric = p.search.scoring or p.evaluate.primary_metric
    print(f"search: {p.search.method} on {len(target)} train rows; fits run {place.label}")
    final, records = search(p, spec, source(config.TRAIN_FILE), target, place)
    order = ranked(metric, final)
    best = order[0]
    last = max(r["round"] for r in records)
    for r in records:
        in_final = r["round"] == last
        r["rank"] = (
            next(i for i, c in enumerate(order, 1) if c.changes == r["params"])
            if (in_final)
            else None
        )
    records.sort(key=lambda r: (-r["round"], r["rank"] or 0))
    workers = sorted({w for c in final for w in c.workers})
    result = {
        "method": p.search.method,
        "scoring": metric,
        "folds": p.search.cv,
        "train_rows": len(target),
        "seed": p.seed,
        "ran_on": place.label,
        "workers": workers,
        "best": {"params": best.changes, "mean": best.mean, "std": best.std},
        "candidates": records,
    }
    write_text(args.out, json.dumps(result, indent=2, sort_keys=False) + "\n")
    for line in table(metric, [r for r in records if r["rank"] is not None]):
        print(line)
    print(f"best: {label(best.changes)} (mean CV {metric} {best.mean:.4f} +/- {best.std:.4f})")
    print(f"search: table in {args.out}")
    if args.write:
        write_winner(config.PARAMS_FILE, best.changes)
        print(f"search: wrote {label(best.changes)} into params.yaml model.params")
    else:
        print("search: `make search WRITE=1` writes the winner into params.yaml model.params")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
