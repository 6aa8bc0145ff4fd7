"""`make init` and `make check` report every independent problem in one run, and the
model tests' messages name the key to change, with numbers that are never rounded away."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from gitops_ml.checks import init, model_tests, preflight
from gitops_ml.core import params
from gitops_ml.core.data import FeatureSpec
from gitops_ml.core.errors import UserError, UserErrors
from tests.template.support.messy import customers

ROLE_FIXES = {
    "na_values": [" ", "?"],
    "drop": ["customerID", "notes"],
    "dates": {"signup_date": ["year", "month"]},
}


def _project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **data_keys: Any) -> Path:
    """A folder with data/customers.csv and a params.yaml for it; the working directory."""
    (tmp_path / "data").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    customers(400, seed=11).to_csv(tmp_path / "data" / "customers.csv", index=False)
    raw = {
        "data": {
            "path": "data/customers.csv",
            "target": "Churn",
            "task": "binary",
            "positive_class": "Yes",
            **data_keys,
        },
        "model": {"estimator": "sklearn.linear_model.LogisticRegression"},
        "evaluate": {"primary_metric": "roc_auc", "slices": [{"column": "Contract"}]},
        "model_tests": {"invariance": [{"column": "MonthlyCharges"}]},
    }
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def test_init_prints_every_column_with_its_role(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = init.run(_project(tmp_path, monkeypatch, **ROLE_FIXES))
    text = "\n".join(lines)
    assert "400 rows, 5 numeric and 2 categorical features" in lines[0]
    for column, role in [
        ("customerID", "dropped"),
        ("signup_date", "date"),
        ("signup_date__year", "derived"),
        ("tenure", "numeric"),
        ("TotalCharges", "numeric"),
        ("Contract", "categorical"),
        ("country", "constant"),
        ("notes", "dropped"),
        ("Churn", "target"),
    ]:
        assert any(line.split()[:2] == [column, role] for line in lines), (column, text)


def test_init_reports_refusals_with_the_contract_and_model_test_problems_of_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _project(tmp_path, monkeypatch, drop=["notes"])
    raw = yaml.safe_load(path.read_text())
    raw["model_tests"]["invariance"] = [{"column": "TotalCharges"}, {"column": "Contract"}]
    raw["evaluate"]["slices"] = [{"column": "tenure_months"}]
    raw["contract"] = {"min_rows": 1000}
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(UserErrors) as caught:
        init.run(path)
    fields = [e.field for e in caught.value.errors]
    assert {"customerID", "signup_date", "TotalCharges"} <= set(fields)  # refused columns
    assert "(table)" in fields  # the contract on the rest: min_rows
    assert "model_tests.invariance[1].column" in fields  # Contract is not numeric
    assert "evaluate.slices[0].column" in fields  # a misspelt slice column
    # TotalCharges is reported once, as dirty numbers, not again as "not a feature"
    assert "model_tests.invariance[0].column" not in fields
    out = capsys.readouterr().out
    assert "customerID" in out and "unique per row (400 of 400 values)" in out


def test_check_reports_a_misspelt_target_and_a_misspelt_feature_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _project(tmp_path, monkeypatch, features={"numeric": ["tenure_months"]})
    raw = yaml.safe_load(path.read_text())
    raw["data"]["target"] = "churn"
    p = params.parse(raw)
    with pytest.raises(UserErrors) as caught:
        preflight.check_columns(p)
    fields = [e.field for e in caught.value.errors]
    assert fields[:2] == ["data.target='churn'", "data.features"]


def test_check_names_a_misspelt_split_key_with_the_other_column_problems(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _project(tmp_path, monkeypatch, features={"numeric": ["tenure_months"]})
    raw = yaml.safe_load(path.read_text())
    raw["split"] = {"method": "group", "key": "customerId"}
    p = params.parse(raw)
    with pytest.raises(UserErrors) as caught:
        preflight.check_columns(p)
    fields = [e.field for e in caught.value.errors]
    assert fields == ["data.features", "split.key='customerId'"]
    assert "did you mean 'customerID'?" in caught.value.errors[1].problem
    raw["data"]["features"] = {"numeric": ["tenure"]}
    raw["split"]["key"] = "customerID"
    preflight.check_columns(params.parse(raw))  # the key of a group split need not be a feature


def test_check_counts_the_roles_from_the_first_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = params.load(_project(tmp_path, monkeypatch, **ROLE_FIXES))
    summary = preflight.role_summary(p)
    assert summary is not None
    assert summary.startswith("columns in the first 400 rows: 3 numeric, 2 categorical, 2 derived")
    unfixed = params.load(_project(tmp_path / "unfixed", monkeypatch))
    note = preflight.role_summary(unfixed)
    assert note is not None and "not used: customerID (id)" in note
    assert note.endswith("(4 to decide: run `make init`)")


def test_a_model_test_on_a_model_without_numeric_features_says_what_to_do() -> None:
    p = params.parse(
        {
            "data": {"path": "data/x.csv", "target": "y", "task": "binary"},
            "model": {"estimator": "sklearn.linear_model.LogisticRegression"},
            "evaluate": {"primary_metric": "roc_auc"},
            "model_tests": {"invariance": [{"column": "x"}]},
        }
    )
    with pytest.raises(UserError) as caught:
        model_tests.validate(p, FeatureSpec([], ["colour"], "y"))
    assert caught.value.fix == "the model has no numeric features: remove the entry"
    assert "use one of: " not in caught.value.render()


class _OneFlip:
    """A stand-in model whose second prediction run changes exactly one row."""

    def __init__(self) -> None:
        self.calls = 0

    def predict(self, frame: pd.DataFrame) -> np.ndarray[Any, Any]:
        self.calls += 1
        labels = np.zeros(len(frame), dtype=np.int64)
        labels[0] = self.calls > 1
        return labels


def test_one_changed_prediction_in_many_fails_with_the_count_and_the_key() -> None:
    rows = 200_000
    p = params.parse(
        {
            "data": {"path": "data/x.csv", "target": "y", "task": "binary"},
            "model": {"estimator": "sklearn.linear_model.LogisticRegression"},
            "evaluate": {"primary_metric": "roc_auc"},
            "model_tests": {"invariance": [{"column": "x"}]},
        }
    )
    test = pd.DataFrame({"x": np.linspace(0.0, 1.0, rows), "y": 0})
    subject = model_tests.Subject(p, _OneFlip(), FeatureSpec(["x"], [], "y"), test)
    (outcome,) = model_tests.invariance(subject)
    assert not outcome.passed
    assert outcome.detail.startswith(
        "1 of 200,000 predictions changed (0.0005%; allowed 0% by "
        "model_tests.invariance[0].max_changed_fraction)"
    )
    assert "raise model_tests.invariance[0].max_changed_fraction" in outcome.detail
    assert "(default 0.0) to at least 0.0001" in outcome.detail
