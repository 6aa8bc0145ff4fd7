"""A messy table adopted end to end with params alone, then a data pull request on it.

The whole path a new team walks: a raw customer CSV (ids, dates, numbers as text with
blank markers, a Yes/No target at 20 % positives) -> `make init` names every column's role
-> `make repro` -> a branch that appends new customers -> the report and a fresh gate
agree, and the stable split keeps every existing row on its side.
"""

from __future__ import annotations

import pandas as pd
import pytest

from tests.conftest import Project
from tests.template.integration.test_messy_customers import FIRST_EDIT, ROLE_FIXES
from tests.template.support.messy import customers

pytestmark = pytest.mark.slow

FIRST_ROWS, ADDED_ROWS = 1500, 300
STABLE_SPLIT = {"split.method": "stable", "split.key": "customerID", "split.stratify": False}


def _split_rows(project: Project) -> dict[str, set[int]]:
    prepared = project.root / "artifacts" / "prepared"
    return {
        part: set(pd.read_parquet(prepared / f"{part}.parquet", columns=["row_id"])["row_id"])
        for part in ("train", "test")
    }


def test_a_messy_table_is_adopted_by_params_alone_and_its_data_pr_is_judged_consistently(
    template: Project,
) -> None:
    data = template.root / "data" / "customers.csv"
    data.parent.mkdir(exist_ok=True)
    first = customers(FIRST_ROWS, seed=0)
    first.to_csv(data, index=False)
    fixes = {k: v for k, v in ROLE_FIXES.items() if k != "data.drop"}
    template.set_params(**FIRST_EDIT, **fixes, **STABLE_SPLIT, **{"data.drop": ["notes"]})

    init = template.make("init").stdout
    roles = {line.split()[0] for line in init.splitlines() if line.startswith("  ")}
    assert set(first.columns) <= roles, init  # every raw column is named with its role
    template.dvc("add", "data")
    template.make("repro")
    assert template.git("status", "--porcelain", "--", "src", "dvc.yaml").stdout == ""
    template.commit("Train on the customer table")
    before = _split_rows(template)

    template.git("checkout", "-q", "-b", "new-customers")
    added = customers(ADDED_ROWS, seed=1)
    assert not set(added["customerID"]) & set(first["customerID"])
    pd.concat([first, added], ignore_index=True).to_csv(data, index=False)
    template.dvc("add", "data")
    template.make("repro")
    template.commit("Three hundred new customers")
    after = _split_rows(template)
    for part in ("train", "test"):  # appended rows are numbered after the existing ones
        assert {r for r in after[part] if r < FIRST_ROWS} == before[part], part
    assert {r for r in after["test"] if r >= FIRST_ROWS}  # new rows are tested too

    template.make("report", "BASE=main")
    report = (template.root / "report.md").read_text()
    assert "BASE's train rows in the PR's test split: 0" in report
    assert f"**{ADDED_ROWS} added or changed**" in report
    reported = report.splitlines()[2].startswith("✅")
    (template.root / "report" / "verdict.json").unlink()  # the gate measures afresh
    gate = template.make("gate", "BASE=main", check=False)
    assert gate.returncode == (0 if reported else 1), (report.splitlines()[2], gate.stdout)
