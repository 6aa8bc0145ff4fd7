"""`make predict` holds new rows to the training data's contract (docs/data-and-model-trust.md).

The rows are those an audit scored with exit 0 before serving checked anything: an
infinite value (training refuses infinities), -1e9 in a column trained on [6.98, 28.1],
and a missing value in a column that never had one.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from tests.conftest import Project

DATA = "data/breast_cancer.csv"


def audit_rows(project: Project) -> pd.DataFrame:
    rows = pd.read_csv(project.root / DATA).head(5).drop(columns=["diagnosis"])
    rows.loc[1, "mean_radius"] = np.inf
    rows.loc[2, "mean_texture"] = -1e9
    rows.loc[3, "worst_area"] = np.nan
    rows.to_csv(project.root / "new.csv", index=False)
    return rows


def predict(project: Project, *extra: str, check: bool = False):  # type: ignore[no-untyped-def]
    """make predict into scored.csv (replaced: FORCE=1)."""
    return project.make(
        "predict", "INPUT=new.csv", "OUTPUT=scored.csv", "FORCE=1", *extra, check=check
    )


def test_prepare_records_the_training_ranges_and_complete_columns(trained: Project) -> None:
    spec = json.loads((trained.root / "artifacts/prepared/features.json").read_text())
    train = pd.read_parquet(trained.root / "artifacts/prepared/train.parquet")
    assert spec["ranges"]["mean_radius"] == [train.mean_radius.min(), train.mean_radius.max()]
    assert set(spec["ranges"]) == set(spec["numeric"])
    assert set(spec["complete"]) == set(spec["numeric"])  # the sample has no missing value


def test_rows_that_break_the_contract_are_refused_with_rows_rules_and_fixes(
    trained: Project,
) -> None:
    audit_rows(trained)
    proc = predict(trained)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    err = proc.stderr
    assert "3 problem(s) found" in err
    assert (
        "new.csv: mean_radius: infinite value (training refuses infinities): 1 of 5 rows; rows (0-based): [1]"
        in err
    )
    assert "new.csv: mean_texture: outside the training range [" in err
    assert "rows (0-based): [2]; values: ['-1000000000.0']" in err
    assert "new.csv: worst_area: missing, and the column had no missing value in training" in err
    assert "fix: replace inf with a number" in err and "serving.range_margin" in err
    assert not (trained.root / "scored.csv").exists()


def test_flag_scores_every_row_and_names_what_each_broke(trained: Project) -> None:
    audit_rows(trained)
    trained.set_params(**{"serving.on_violation": "flag"})
    proc = predict(trained, check=True)
    assert "3 of 5 rows break the data contract" in proc.stderr
    scored = pd.read_csv(trained.root / "scored.csv", keep_default_na=False)
    assert len(scored) == 5 and np.isfinite(scored.filter(like="proba_").to_numpy(float)).all()
    flags = scored["contract_violations"].tolist()
    assert flags[0] == "" and flags[4] == ""
    assert flags[1].startswith("mean_radius: infinite value")
    assert flags[2].startswith("mean_texture: outside the training range")
    assert flags[3].startswith("worst_area: missing")


def test_the_range_rule_has_a_margin_and_can_be_turned_off(trained: Project) -> None:
    rows = pd.read_csv(trained.root / DATA).drop(columns=["diagnosis"])
    rows.to_csv(trained.root / "new.csv", index=False)
    predict(trained, check=True)  # every row of the data the model came from is accepted
    scored = pd.read_csv(trained.root / "scored.csv")
    assert "contract_violations" not in scored.columns and len(scored) == len(rows)

    rows = rows.head(3)
    rows.loc[0, "mean_texture"] = -1e9
    rows.to_csv(trained.root / "new.csv", index=False)
    assert "mean_texture: outside the training range" in predict(trained).stderr
    trained.set_params(**{"serving.range_margin": None})
    predict(trained, check=True)
