"""A data PR's section: added rows, their drift, and where BASE's split rows went."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gitops_ml.core.split import stable_hashes
from gitops_ml.core.stats import ColumnDrift
from gitops_ml.review import sections
from gitops_ml.review.datadiff import DataDiff, RowChanges, SplitOverlap, split_overlap


def _hashes(values: list[int]) -> np.ndarray:
    return stable_hashes(pd.DataFrame({"v": values}), ["v"], seed=0)


def test_split_overlap_counts_where_base_rows_went() -> None:
    base = (_hashes([1, 2, 3, 4, 5, 6]), _hashes([7, 8]))
    pr = (_hashes([1, 2, 3, 4, 7, 9]), _hashes([5, 6, 8, 10]))
    overlap = split_overlap(base, pr, "random")
    assert overlap == SplitOverlap(
        base_test=2, still_test=1, test_to_train=1, train_to_test=2, pr_test=4, pr_method="random"
    )


def test_data_section_shows_added_rows_drift_and_a_leak_warning_with_the_fix() -> None:
    diff = DataDiff(
        modified=["data/x.csv"],
        rows=[("raw data", 100, 150)],
        drift=[ColumnDrift("age", "numeric", 0.53, 0.0, 0.0, ks_stat=0.4, ks_pvalue=2e-12)],
        row_changes=RowChanges(added=50, removed=0, unchanged=100, columns=4),
        overlap=SplitOverlap(20, 9, 11, 12, 30, "random"),
    )
    text = sections.data_section(diff)
    assert "**50 added or changed**, 0 removed or changed, 100 unchanged" in text
    assert "**Drift of the 50 added or changed rows against BASE's data**" in text
    assert "| `age` | numeric | 0.5300 | KS 2e-12 |" in text
    assert "BASE's test rows still in the PR's test split: 9 of 20" in text
    assert "BASE's train rows in the PR's test split: 12" in text
    assert "⚠️ **12 rows BASE trained on are test rows of the PR**" in text
    assert "`split.method: stable`" in text


def test_data_section_without_leak_or_added_rows_says_so_and_warns_nothing() -> None:
    diff = DataDiff(
        row_changes=RowChanges(added=0, removed=10, unchanged=90, columns=4),
        overlap=SplitOverlap(20, 18, 0, 0, 18, "stable"),
    )
    text = sections.data_section(diff)
    assert "No rows were added or changed, so there is no drift to show." in text
    assert "BASE's train rows in the PR's test split: 0" in text
    assert "⚠️" not in text


def test_a_stable_split_that_moved_rows_asks_what_changed() -> None:
    text = sections.data_section(DataDiff(overlap=SplitOverlap(20, 15, 5, 3, 20, "group")))
    assert "The `group` split moved them" in text and "split.method: stable" not in text
