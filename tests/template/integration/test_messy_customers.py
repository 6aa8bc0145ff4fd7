"""A messy customer table adopted with params edits only: `make init` names every column's
role and every refusal at once, the fixes are params keys, and the pipeline then runs."""

from __future__ import annotations

import pytest

from tests.conftest import Project
from tests.template.support.messy import customers

pytestmark = pytest.mark.slow

FIRST_EDIT = {
    "data.path": "data/customers.csv",
    "data.target": "Churn",
    "data.positive_class": "Yes",
    "evaluate.slices": [{"column": "Contract"}],
    "gate.floor": 0.6,
    "gate.min_slice_metric": None,
    "gate.max_slice_gap": None,
    "model_tests.invariance": [
        {"column": "MonthlyCharges", "noise": 0.001, "max_changed_fraction": 0.1}
    ],
    "model_tests.directional": [],
    "model_tests.required_features": ["tenure"],
}
ROLE_FIXES = {
    "data.drop": ["customerID", "notes"],
    "data.na_values": [" ", "?"],
    "data.dates": {"signup_date": ["year", "month", "dayofweek", "age_days"]},
    "data.date_reference": "2025-01-01",
}


def test_messy_customers_go_from_refusals_to_a_trained_model_by_params_alone(
    template: Project,
) -> None:
    (template.root / "data").mkdir(exist_ok=True)
    customers(1500, seed=0).to_csv(template.root / "data" / "customers.csv", index=False)
    template.set_params(**FIRST_EDIT)

    refused = template.make("init", check=False)
    assert refused.returncode != 0
    for column, fix in [
        ("customerID", "data.drop: [customerID]"),
        ("signup_date", "data.dates: {signup_date: [year, month, dayofweek]}"),
        ("TotalCharges", "data.na_values"),
        ("notes", "data.drop: [notes]"),
    ]:
        assert f"data/customers.csv: {column}: " in refused.stderr, refused.stderr
        assert fix in refused.stderr
    assert "Traceback" not in refused.stderr

    template.set_params(**ROLE_FIXES)
    out = template.make("init").stdout
    rows = {line.split()[0]: line.split()[1] for line in out.splitlines() if line.startswith("  ")}
    expected = {
        "customerID": "dropped",
        "signup_date": "date",
        "signup_date__age_days": "derived",
        "tenure": "numeric",
        "TotalCharges": "numeric",
        "Contract": "categorical",
        "country": "constant",
        "notes": "dropped",
        "Churn": "target",
    }
    assert {name: rows.get(name) for name in expected} == expected
    assert "7 numeric and 2 categorical features" in out

    template.dvc("add", "data")
    template.make("repro")
    spec = (template.root / "artifacts" / "prepared" / "features.json").read_text()
    assert '"signup_date__age_days"' in spec and '"customerID"' not in spec
    assert template.metrics()["roc_auc"] >= 0.6
    tested = template.make("test-model").stdout  # the skew test reads raw rows as serving does
    assert "PASS  train/serve skew" in tested
