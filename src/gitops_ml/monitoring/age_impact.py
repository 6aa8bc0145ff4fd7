"""`make staleness-impact`: how a model's quality changes as it ages (ML Test Score M4).

Every registered version (newest first, or the last N) is loaded from the DVC cache or
remote and scored on today's test split, the one evaluate scores the current model on.
Each row compares that score with the primary metric the version had at registration
(`metrics/metrics.json` at its commit), and a least-squares slope over the versions turns
the changes into "metric change per 30 days of age".

Rows of today's test split that an old version was trained on, and the current model was
not, would flatter that version: they are dropped by hashing each row's feature values
(see docs/releases.md). `registry.max_staleness_drop` optionally fails the run when the
prod model (else the latest version) has lost more than that since its registration.
"""

from __future__ import annotations

import argparse
import io
import json
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from gitops_ml.core import config, params
from gitops_ml.core.atomic import write_text
from gitops_ml.core.errors import UserError
from gitops_ml.registry import git, lineage, models, settings, tags
from gitops_ml.registry.age import SECONDS_PER_DAY
from gitops_ml.registry.command import append_summary, command_parser, gto_errors

MARKDOWN_FILE = Path("staleness.md")
JSON_FILE = Path("staleness.json")
SLOPE_DAYS = 30


@dataclass
class Row:
    version: str
    tag: str
    commit: str
    stages: list[str]
    registered_at: str
    age_days: float
    at_registration: float | None
    today: float | None
    change: float | None
    rows_scored: int
    rows_excluded: int
    note: str = ""


@dataclass(frozen=True)
class Verdict:
    version: str
    stage: str | None  # None: no version in prod, the latest version was checked
    drop: float | None
    limit: float | None

    @property
    def passed(self) -> bool:
        if self.limit is None:
            return True
        return self.drop is not None and self.drop <= self.limit


def _finite(value: Any) -> float | None:
    from gitops_ml.evaluation.gate import is_finite_number

    return float(value) if is_finite_number(value) else None


def _old_train_overlap(reader: models.Reader, test: Any, train: Any, columns: list[str]) -> Any:
    """Mask of today's test rows the version trained on and today's model did not."""
    import numpy as np

    from gitops_ml.core import data

    # pyarrow reads a file object as well as a path: no temporary copy of the split
    payload = io.BytesIO(reader.read(config.TRAIN_FILE))
    old = data.read_parquet(payload, columns=columns)
    seen_by_old = np.isin(data.row_hashes(test, columns), data.row_hashes(old, columns))
    if all(c in train.columns for c in columns):
        seen_by_old &= ~np.isin(data.row_hashes(test, columns), data.row_hashes(train, columns))
    return seen_by_old


def score_version(
    found: tags.Registered,
    conf: settings.RegistrySettings,
    p: params.Params,
    test: Any,
    train: Any,
    now: datetime,
) -> Row:
    from gitops_ml.evaluation import metrics, predict

    primary = p.evaluate.primary_metric
    committed = git.show(found.commit, str(config.METRICS_FILE))
    at_registration = _finite(json.loads(committed).get(primary)) if committed else None
    age = (now - found.registered_at).total_seconds() / SECONDS_PER_DAY
    row = Row(
        version=str(found.version),
        tag=found.tag,
        commit=found.commit,
        stages=[],
        registered_at=found.registered_at.isoformat(timespec="seconds"),
        age_days=round(age, 2),
        at_registration=at_registration,
        today=None,
        change=None,
        rows_scored=0,
        rows_excluded=0,
    )
    loaded = models.load_source(models.of_version(found, conf))
    spec = loaded.spec
    missing = [c for c in [*spec.columns, spec.target] if c not in test.columns]
    if missing:
        row.note = f"not comparable: today's test split lacks {missing[:5]}"
        return row
    notes = []
    try:
        overlap = _old_train_overlap(loaded.reader, test, train, spec.columns)
    except UserError:
        notes.append("training rows not excluded (its train split is not in cache or remote)")
        overlap = None
    kept = test if overlap is None else test[~overlap]
    row.rows_excluded = 0 if overlap is None else int(overlap.sum())
    row.rows_scored = len(kept)
    if not len(kept):
        row.note = "not comparable: every test row was in its training data"
        return row
    scored = predict.score(loaded.pipeline, kept, spec)
    try:
        row.today = _finite(metrics.primary_value(scored, primary, p.data.positive_class))
    except ValueError as err:  # e.g. classes the old model never saw
        notes.append(f"not scored: {err}")
    if row.today is not None and at_registration is not None:
        row.change = row.today - at_registration
    row.note = "; ".join(notes)
    return row


def slope_per(rows: list[Row], days: float = SLOPE_DAYS) -> float | None:
    """Least-squares slope of the change against age, per `days`; None below two versions."""
    points = [(r.age_days, r.change) for r in rows if r.change is not None]
    if len(points) < 2:
        return None
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    if spread == 0:
        return None
    return days * sum((x - mean_x) * (y - mean_y) for x, y in points) / spread


def _fmt(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "n/a"
    return f"{value:+.4f}" if signed else f"{value:.4f}"


def markdown(result: dict[str, Any]) -> str:
    primary = result["primary_metric"]
    direction = "higher is better" if result["higher_is_better"] else "lower is better"
    lines = [
        f"# Staleness impact: {result['model']}",
        "",
        f"Each registered version scored on today's test split ({result['test_rows']} rows, "
        f"`{config.TEST_FILE}` at {result['commit'][:12]}); {primary}, {direction}. Rows a "
        "version was trained on (and today's model was not) are excluded from its score.",
        "",
    ]
    if not result["versions"]:
        return "\n".join([*lines, "No registered versions yet: nothing to compare.", ""])
    lines += [
        f"| version | stages | registered | age (days) | {primary} at registration "
        f"| {primary} today | change | rows scored | excluded | note |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in result["versions"]:
        lines.append(
            f"| {r['version']} | {', '.join(r['stages']) or '-'} | {r['registered_at'][:10]} "
            f"| {r['age_days']:.0f} | {_fmt(r['at_registration'])} | {_fmt(r['today'])} "
            f"| {_fmt(r['change'], signed=True)} | {r['rows_scored']} | {r['rows_excluded']} "
            f"| {r['note']} |"
        )
    slope = result["change_per_30_days"]
    lines.append("")
    if slope is None:
        lines.append(
            f"{primary} change per 30 days of age: n/a (needs two scored versions of different ages)"
        )
    else:
        lines.append(
            f"{primary} change per 30 days of age: {slope:+.4f} (least squares over "
            f"{sum(r['change'] is not None for r in result['versions'])} versions)"
        )
    lines += ["", result["verdict"], ""]
    return "\n".join(lines)


def _verdict_text(verdict: Verdict, primary: str) -> str:
    where = f"in {verdict.stage}" if verdict.stage else "latest (no version in prod)"
    head = f"{verdict.version} ({where})"
    if verdict.limit is None:
        return f"{head}: no limit set (registry.max_staleness_drop); report only"
    if verdict.drop is None:
        return f"{head}: FAILED: its {primary} today could not be compared with its registration"
    if verdict.passed:
        return (
            f"{head}: {primary} worse by {verdict.drop:+.4f} since registration, within "
            f"registry.max_staleness_drop = {verdict.limit}"
        )
    return (
        f"{head}: FAILED: {primary} worse by {verdict.drop:+.4f} since registration "
        f"(limit registry.max_staleness_drop = {verdict.limit})\n"
        "  fix: retrain on recent data and register and promote the new version "
        "(docs/releases.md), or raise the limit after review"
    )


def run(last: int | None = None, now: datetime | None = None) -> tuple[dict[str, Any], bool]:
    """Score the versions, write staleness.md and staleness.json; True when the limit holds."""
    from gitops_ml.core import data
    from gitops_ml.evaluation import gate
    from gitops_ml.evaluation.metrics import HIGHER_IS_BETTER

    if last is not None and last < 1:
        raise UserError("LAST", str(last), "must be a positive number of versions", "e.g. LAST=5")
    p = params.load()
    conf = settings.load()
    now = now or datetime.now(timezone.utc)
    name = lineage.current_artifact(conf).name
    config.require_outputs(
        config.TEST_FILE, config.TRAIN_FILE, reader="every version is scored on today's split"
    )
    test = data.read_parquet(config.TEST_FILE)
    train = data.read_parquet(config.TRAIN_FILE)
    primary = p.evaluate.primary_metric

    versions = list(reversed(tags.registered(name)))
    stage_order = tags.stages()
    prod_stage = stage_order[-1]
    prod = tags.in_stage(name, prod_stage) if versions else None
    target = prod or (str(versions[0].version) if versions else None)
    chosen = versions[:last] if last else versions
    if target and all(str(v.version) != target for v in chosen):
        chosen += [v for v in versions if str(v.version) == target]
    rows = [score_version(v, conf, p, test, train, now) for v in chosen]
    holders = {s: tags.in_stage(name, s) for s in stage_order} if versions else {}
    for r in rows:
        r.stages = [s for s, held in holders.items() if held == r.version]

    verdict = None
    if target:
        row = next(r for r in rows if r.version == target)
        drop = (
            -gate.better_by(primary, row.today, row.at_registration)
            if row.today is not None and row.at_registration is not None
            else None
        )
        verdict = Verdict(target, prod_stage if prod else None, drop, conf.max_staleness_drop)
    result = {
        "model": name,
        "primary_metric": primary,
        "higher_is_better": HIGHER_IS_BETTER.get(primary, True),
        "commit": git.resolve("HEAD"),
        "generated_at": now.isoformat(timespec="seconds"),
        "test_rows": len(test),
        "versions": [asdict(r) for r in rows],
        "change_per_30_days": slope_per(rows),
        "limit": None if verdict is None else {**asdict(verdict), "passed": verdict.passed},
        "verdict": _verdict_text(verdict, primary) if verdict else "no registered version",
    }
    write_text(JSON_FILE, json.dumps(result, indent=2) + "\n")
    write_text(MARKDOWN_FILE, markdown(result))
    return result, verdict is None or verdict.passed


def main(argv: list[str]) -> int:
    def build(p: argparse.ArgumentParser) -> None:
        p.add_argument("--last", type=int, help="only the newest N versions (default: all)")
        p.add_argument("--summary", help="also append staleness.md to this Markdown file")

    args = command_parser(
        "staleness-impact",
        "Score every registered version on today's test split: quality against age.",
        build,
    ).parse_args(argv)
    with gto_errors():
        result, passed = run(args.last)
    text = markdown(result)
    print(text)
    print(f"staleness-impact: wrote {MARKDOWN_FILE} and {JSON_FILE}")
    append_summary(args.summary, "Staleness impact", text)
    return 0 if passed else 1
