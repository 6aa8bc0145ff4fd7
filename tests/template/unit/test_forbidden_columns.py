"""contract.forbidden_columns: column names that must never reach the model (personal data)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gitops_ml.checks import contract
from gitops_ml.core import data, params
from gitops_ml.core.errors import UserError, UserErrors
from gitops_ml.datasets import bundled
from tests.conftest import FIXTURE_PARAMS

PII = "(?i)^(name|e_?mail|phone|ssn)$"


def make_params(forbidden: list[str], drop: list[str] | None = None) -> params.Params:
    return params.parse(
        {
            "data": {"path": "data/x.csv", "target": "y", "task": "binary", "drop": drop or []},
            "contract": {"min_rows": 10, "forbidden_columns": forbidden},
            "model": {"estimator": "sklearn.dummy.DummyClassifier"},
            "evaluate": {"primary_metric": "accuracy"},
        }
    )


def frame(*extra: str) -> pd.DataFrame:
    n = 20
    columns = {"size": np.linspace(1.0, 2.0, n), "y": np.where(np.arange(n) % 2, "a", "b")}
    columns.update({name: [f"{name}-{i}" for i in range(n)] for name in extra})
    return pd.DataFrame(columns)


def enforce(df: pd.DataFrame, p: params.Params) -> None:
    contract.enforce(df, p, data.resolve_features(df, p))


def test_every_matching_column_is_refused_with_file_pattern_and_fix() -> None:
    with pytest.raises(UserErrors) as raised:
        enforce(frame("Email", "SSN", "phone_model"), make_params([PII]))
    errors = raised.value.errors
    assert [e.field for e in errors] == ["Email", "SSN"]  # phone_model: anchored, no match
    for err in errors:
        assert err.file == "data/x.csv"
        assert repr(PII) in err.problem and "contract.forbidden_columns" in err.problem
        assert "data.drop" in err.fix and repr(err.field) in err.fix


def test_a_column_named_in_data_drop_passes() -> None:
    enforce(frame("email"), make_params([PII], drop=["email"]))


def test_without_patterns_nothing_is_refused() -> None:
    enforce(frame("email"), make_params([]))


def test_the_first_matching_pattern_is_named() -> None:
    with pytest.raises(UserError) as raised:
        enforce(frame("customer_email"), make_params(["^zip$", "email", "mail"]))
    assert raised.value.field == "customer_email"
    assert "'email'" in raised.value.problem


def test_an_invalid_regular_expression_is_a_params_error() -> None:
    with pytest.raises(UserError) as raised:
        make_params(["(unclosed"])
    assert raised.value.field == "contract.forbidden_columns[0]"
    assert "not a regular expression" in raised.value.problem


def test_the_shipped_default_refuses_personal_data_but_not_the_sample_columns() -> None:
    shipped = params.load(FIXTURE_PARAMS)
    sample = bundled.frame()
    assert shipped.contract.forbidden_columns, "params.yaml ships a personal-data pattern"
    assert contract.forbidden_columns(list(sample.columns), shipped, "sample") == []
    refused = contract.forbidden_columns(["email", "Phone", "ssn"], shipped, "sample")
    assert [e.field for e in refused] == ["email", "Phone", "ssn"]
