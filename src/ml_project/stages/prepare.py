"""prepare: raw data -> data contract -> seeded split (split.method) -> Parquet."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from gitops_ml.checks import contract
from gitops_ml.core import config, data, params, process, split
from gitops_ml.core.atomic import atomic_path
from gitops_ml.core.data import FeatureSpec
from gitops_ml.core.errors import exit_on_user_error


def _checked_parts(p: params.Params) -> tuple[FeatureSpec, pd.DataFrame, pd.DataFrame]:
    """Read, enforce the contract and split; the raw frame is freed on return."""
    frame = data.read_raw(p)
    spec = data.resolve_features(frame, p)
    contract.enforce(frame, p, spec)
    keep = [*spec.columns, spec.target]
    read = split.needed(keep, p)  # the split key is read, and dropped unless a feature
    if list(frame.columns) != read:
        frame = frame[read]
    train, test = split.split(frame, p, keep)
    return spec, train, test


def _write(part: pd.DataFrame, path: Path) -> None:
    with atomic_path(path) as tmp:
        part.to_parquet(tmp, index=False)


@exit_on_user_error
def main() -> None:
    p = params.load()
    spec, train, test = _checked_parts(p)
    spec = spec.profiled(train)
    summary = f"prepare: {len(train)} train / {len(test)} test rows, {len(spec.columns)} features"
    _write(train, config.TRAIN_FILE)
    del train  # one split in memory while the other is converted and written
    _write(test, config.TEST_FILE)
    spec.save()
    print(summary)


if __name__ == "__main__":
    process.run(main)
