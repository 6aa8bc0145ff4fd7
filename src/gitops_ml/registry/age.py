"""`make model-age`: how old the production model is, against `registry.max_model_age_days`.

A model trained on last year's data can be quietly wrong even when no input drifts, so
the monitor workflow checks its age too. The age counts from the version's registration
tag (`<model>@vX.Y.Z`, GTO), the date the model was accepted, not from its promotion:
promoting an old version does not make it younger. Production is the last stage in
`.gto`'s promotion order. Everything is read from git tags, so no model file is needed.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import datetime, timezone

from gitops_ml.registry import lineage, settings, tags
from gitops_ml.registry.command import append_summary, command_parser, gto_errors

SECONDS_PER_DAY = 86400


@dataclass(frozen=True)
class ModelAge:
    name: str
    stage: str
    version: str
    tag: str
    registered_at: datetime
    in_stage_since: datetime | None
    now: datetime
    limit_days: int | None

    @property
    def days(self) -> float:
        return (self.now - self.registered_at).total_seconds() / SECONDS_PER_DAY

    @property
    def stale(self) -> bool:
        return self.limit_days is not None and self.days > self.limit_days

    def summary(self) -> str:
        since = (
            f", in {self.stage} since {self.in_stage_since:%Y-%m-%d}" if self.in_stage_since else ""
        )
        head = (
            f"{self.name} {self.version} in {self.stage}: registered {self.registered_at:%Y-%m-%d} "
            f"({self.tag}), {self.days:.0f} days ago{since}"
        )
        if self.limit_days is None:
            return f"{head}; no limit set (registry.max_model_age_days)"
        if not self.stale:
            return f"{head}; within the limit of {self.limit_days} days"
        return (
            f"{head}; STALE: older than registry.max_model_age_days = {self.limit_days}\n"
            "  fix: retrain on recent data and register and promote the new version "
            "(docs/releases.md), or raise registry.max_model_age_days after review"
        )


def production_age(now: datetime | None = None) -> tuple[str, ModelAge | None]:
    """The production stage's name and its model's age; None when no version holds it."""
    conf = settings.load()
    name = lineage.current_artifact(conf).name
    stage, found = tags.in_production(name)
    if found is None:
        return stage, None
    return stage, ModelAge(
        name=name,
        stage=stage,
        version=str(found.version),
        tag=found.tag,
        registered_at=found.registered_at,
        in_stage_since=found.stage_since.get(stage),
        now=now or datetime.now(timezone.utc),
        limit_days=conf.max_model_age_days,
    )


def main(argv: list[str]) -> int:
    def build(p: argparse.ArgumentParser) -> None:
        p.add_argument("--summary", help="also append the verdict to this Markdown file")

    args = command_parser(
        "model-age", "Age of the production model against registry.max_model_age_days.", build
    ).parse_args(argv)
    with gto_errors():
        stage, age = production_age()
    text = age.summary() if age else f"no version is in {stage}: no production model to age"
    print(text)
    append_summary(args.summary, "Model age", f"```\n{text}\n```")
    return 1 if age and age.stale else 0
