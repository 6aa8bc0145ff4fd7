"""`make predict` keeps the caller's ids and handles unseen categories row by row.

The model is the clinic example's (categorical columns, HistGradientBoosting's native
category splits); the batch is six complete training rows with a customer id added, two of
them from a clinic the model never saw and one from an unknown region.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import REPO_ROOT, Project, copy_repository

pytestmark = pytest.mark.slow

DATA = "data/synthetic_1000.parquet"
IDS = ["C-101", "C-102", "C-103", "C-104", "C-105", "C-106"]


@pytest.fixture(scope="module")
def _clinic_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    example = REPO_ROOT / "examples" / "clinic-categorical" / "params.yaml"
    project = copy_repository(tmp_path_factory.mktemp("clinic") / "repo", params=example)
    project.make("sample-data", "ROWS=1000")
    project.dvc("repro")
    project.commit("clinic model")
    return project.root


@pytest.fixture
def clinic(tmp_path: Path, _clinic_source: Path) -> Project:
    project = Project.copied(_clinic_source, tmp_path / "repo")
    rows = pd.read_parquet(project.root / DATA).dropna().head(6).drop(columns=["diagnosis"])
    rows = rows.astype({c: object for c in rows.select_dtypes("category").columns})
    rows.insert(0, "customer_id", IDS)
    rows.iloc[1, rows.columns.get_loc("clinic")] = "clinic_new"
    rows.iloc[2, rows.columns.get_loc("clinic")] = "clinic_new"
    rows.iloc[2, rows.columns.get_loc("region")] = "atlantis"
    rows.to_csv(project.root / "new.csv", index=False)
    return project


def predict(project: Project, check: bool = False):  # type: ignore[no-untyped-def]
    return project.make("predict", "INPUT=new.csv", "OUTPUT=scored.csv", "FORCE=1", check=check)


def test_unseen_categories_are_refused_by_default_naming_rows_and_values(clinic: Project) -> None:
    proc = predict(clinic)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert (
        "new.csv: clinic: a category never seen in training: 2 of 6 rows; rows (0-based): [1, 2]; "
        "values: ['clinic_new']" in proc.stderr
    )
    assert "new.csv: region: a category never seen in training: 1 of 6 rows" in proc.stderr
    assert not (clinic.root / "scored.csv").exists()


def test_flag_scores_every_row_and_lists_the_unseen_category(clinic: Project) -> None:
    clinic.set_params(**{"serving.unseen_category": "flag"})
    proc = predict(clinic, check=True)
    assert "6 rows scored -> scored.csv; 2 with unseen categories (clinic: 2, region: 1)" in (
        proc.stdout
    )
    scored = pd.read_csv(clinic.root / "scored.csv", keep_default_na=False)
    flags = scored["contract_violations"].tolist()
    assert flags[0] == "" and flags[3:] == ["", "", ""]
    assert flags[1] == "clinic: a category never seen in training"
    assert flags[2] == (
        "clinic: a category never seen in training; region: a category never seen in training"
    )


def test_unknown_scores_the_rows_and_passthrough_keeps_the_ids(clinic: Project) -> None:
    clinic.set_params(
        **{"serving.unseen_category": "unknown", "serving.passthrough": ["customer_id", "batch"]}
    )
    proc = predict(clinic, check=True)
    assert (
        "predict: 6 rows scored -> scored.csv; 2 with unseen categories (clinic: 2, region: 1), "
        "scored as unknown (serving.unseen_category)" in proc.stdout
    )
    scored = pd.read_csv(clinic.root / "scored.csv")
    assert list(scored.columns[:4]) == ["row_id", "customer_id", "batch", "y_pred"]
    assert scored["customer_id"].tolist() == IDS
    new = pd.read_csv(clinic.root / "new.csv")
    assert scored["batch"].tolist() == new["batch"].tolist()
    assert "contract_violations" not in scored.columns
    proba = scored.filter(like="proba_").to_numpy(float)
    assert np.isfinite(proba).all() and np.allclose(proba.sum(axis=1), 1.0)


def test_a_passthrough_column_missing_from_the_input_is_named(clinic: Project) -> None:
    clinic.set_params(**{"serving.passthrough": ["customer_id", "account"]})
    proc = predict(clinic)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "new.csv: account: listed in serving.passthrough (params.yaml)" in proc.stderr
    assert "fix: add the column to the input, or remove it from serving.passthrough" in proc.stderr
    assert not (clinic.root / "scored.csv").exists()
