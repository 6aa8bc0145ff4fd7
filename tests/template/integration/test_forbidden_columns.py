"""The prepare stage refuses a personal-data column until data.drop names it."""

from __future__ import annotations

import pandas as pd

from tests.conftest import TEAM, Project

DATA = "data/breast_cancer.csv"


def test_prepare_refuses_a_forbidden_column_until_it_is_dropped(trained: Project) -> None:
    raw = pd.read_csv(trained.root / DATA)
    raw.insert(0, "email", [f"patient{i}@example.com" for i in range(len(raw))])
    raw.to_csv(trained.root / DATA, index=False)

    proc = trained.python("-m", f"{TEAM}.stages.prepare", check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert f"{DATA}: email: column name matches forbidden pattern" in proc.stderr
    assert "contract.forbidden_columns" in proc.stderr
    assert "fix: add 'email' to data.drop in params.yaml" in proc.stderr

    trained.set_params(**{"data.drop": ["email"]})
    done = trained.python("-m", f"{TEAM}.stages.prepare")
    assert "30 features" in done.stdout
