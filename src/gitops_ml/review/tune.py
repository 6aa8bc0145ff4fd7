"""`make tune-check` (ML Test Score M3): are the committed hyperparameters at least as good
as each one-at-a-time neighbour from `tune.params`, in k-fold CV on the train split?"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from gitops_ml.core import commands, config, params
from gitops_ml.core.config import TUNE_CHECK_FILE as TUNE_MD  # shown in the PR comment
from gitops_ml.core.data import FeatureSpec
from gitops_ml.core.executor import where
from gitops_ml.core.params import Params
from gitops_ml.evaluation import gate
from gitops_ml.review import search
from gitops_ml.review.refit import source
from gitops_ml.review.search import Folds


@dataclass
class Candidate(search.CvScores):
    """The committed setting (name None) or one hyperparameter moved to one value."""

    name: str | None
    value: Any
    scores: list[float] = field(default_factory=list)

    @property
    def label(self) -> str:
        return "(committed)" if self.name is None else f"{self.name}={self.value!r}"


def check_tune_section(p: Params) -> dict[str, Any]:
    """Every tune.params name is a hyperparameter of the estimator; return committed values."""
    defaults = search.estimator_defaults(p, "tune.params", p.tune.params)
    return {name: p.model.params.get(name, defaults[name]) for name in p.tune.params}


def candidates(p: Params, committed: dict[str, Any]) -> list[Candidate]:
    """The committed setting first, then each value of each hyperparameter on its own."""
    out = [Candidate(None, None)]
    for name, values in p.tune.params.items():
        for value in dict.fromkeys(values):  # in order, without repeats
            if value != committed[name]:
                out.append(Candidate(name, value))
    return out


def folds(p: Params, train: pd.DataFrame, target: str) -> Folds:
    """Seeded k-fold split of the train split (search's folds, with tune.cv)."""
    return search.folds(p, train, target, p.tune.cv, "tune.cv")


def cross_validate(
    p: Params,
    spec: FeatureSpec,
    train: str | pd.DataFrame,
    cands: list[Candidate],
    target: pd.DataFrame | None = None,
) -> list[Candidate]:
    """Score every candidate on every fold with the search engine, where search.scheduler
    (or DASK_SCHEDULER_ADDRESS) and search.n_jobs say; `train` is a frame or a split's path."""
    frame = train if isinstance(train, pd.DataFrame) else target
    assert frame is not None, "a path needs the target column for the folds"
    scored = [search.Scored({} if c.name is None else {c.name: c.value}) for c in cands]
    cv = folds(p, frame, spec.target)
    search.score_all(p, spec, train, scored, cv, where(p), "tune")
    for cand, done in zip(cands, scored, strict=True):
        cand.scores = done.scores
    return cands


def lift(primary: str, cand: Candidate, committed: Candidate) -> float:
    """How much better the candidate's mean CV score is (rounded: a tie is a tie in floats too)."""
    return round(gate.better_by(primary, cand.mean, committed.mean), 12)


def winners(primary: str, cands: list[Candidate], tolerance: float) -> list[Candidate]:
    """Neighbours whose mean CV score beats the committed one by more than `tolerance`, best first."""
    committed = next(c for c in cands if c.name is None)
    better = [c for c in cands if c.name is not None and lift(primary, c, committed) > tolerance]
    return sorted(better, key=lambda c: -lift(primary, c, committed))


def tune_table(primary: str, cands: list[Candidate], tolerance: float) -> list[str]:
    committed = next(c for c in cands if c.name is None)
    lines = [
        f"| setting | mean CV {primary} | std | better than committed by | verdict |",
        "|---|---:|---:|---:|---|",
    ]
    for c in cands:
        by = lift(primary, c, committed)
        verdict = "" if c.name is None else ("**better**" if by > tolerance else "ok")
        shown = "" if c.name is None else f"{by:+.4f}"
        lines.append(f"| `{c.label}` | {c.mean:.4f} | {c.std:.4f} | {shown} | {verdict} |")
    return lines


def main(argv: list[str]) -> int:
    parser = commands.parser(
        "tune-check",
        "exit 1 when a one-at-a-time change of a hyperparameter in tune.params "
        "beats the committed setting by more than tune.tolerance (k-fold CV on the train split)",
    )
    parser.add_argument("--out", type=Path, default=TUNE_MD, help="Markdown result")
    args = parser.parse_args(argv)
    from gitops_ml.core.atomic import write_text

    p = params.load()
    if not p.tune.params:
        text = "## Tuning check\n\nNothing to check: `tune.params` in params.yaml is empty.\n"
        write_text(args.out, text)  # replaces an older run's verdict
        print("tune-check: nothing to check (tune.params in params.yaml is empty)")
        return 0
    from gitops_ml.core import reuse

    digest = reuse.key(
        [config.TRAIN_FILE, config.FEATURES_FILE],
        {
            "model": p.model.model_dump(mode="json"),
            "tune": p.tune.model_dump(mode="json"),
            "seed": p.seed,
            "primary_metric": p.evaluate.primary_metric,
            "data": {"task": p.data.task, "positive_class": p.data.positive_class},
        },
    )
    # The estimator (and scikit-learn) is imported only to check and fit: a result kept
    # for these same params was checked when it was made.
    status = reuse.run_cached(
        "tune-check",
        digest,
        [args.out],
        lambda: _tune(p, check_tune_section(p), args.out),
        args.out,
    )
    if status:
        print("tune-check: FAILED (see above)", file=sys.stderr)
    return status


def _tune(p: Params, committed: dict[str, Any], out: Path) -> int:
    """Cross-validate the candidates, write the Markdown verdict, return the exit status."""
    from gitops_ml.core import data
    from gitops_ml.core.atomic import write_text

    spec = FeatureSpec.load()
    config.require_outputs(
        config.TRAIN_FILE, reader="the model variants are fitted and scored on it"
    )
    train = data.read_parquet(config.TRAIN_FILE, columns=[spec.target])  # the folds' only need
    cands = candidates(p, committed)
    primary, tolerance = p.evaluate.primary_metric, p.tune.tolerance
    cross_validate(p, spec, source(config.TRAIN_FILE), cands, target=train)
    found = winners(primary, cands, tolerance)
    fits = len(cands) * p.tune.cv
    head = (
        f"{len(cands)} settings x {p.tune.cv} folds = {fits} fits on {len(train)} train rows; "
        f"tolerance {tolerance}"
    )
    lines = ["## Tuning check", "", head, "", *tune_table(primary, cands, tolerance), ""]
    if found:
        best = found[0]
        verdict = (
            f"FAILED: `{best.label}` beats the committed hyperparameters by "
            f"{lift(primary, best, cands[0]):+.4f} mean CV {primary} "
            f"(tolerance {tolerance})"
        )
        fix = (
            f"fix: set model.params.{best.name}: {best.value!r} in params.yaml, "
            "or widen tune.tolerance"
        )
        lines += [verdict, "", fix]
    else:
        verdict = (
            f"PASSED: no candidate beats the committed hyperparameters by more than {tolerance}"
        )
        lines.append(verdict)
    text = "\n".join(lines) + "\n"
    write_text(out, text)
    print(text, end="")
    if found:
        print(f"tune-check: {verdict}", file=sys.stderr)
    return 1 if found else 0
