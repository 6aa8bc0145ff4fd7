"""Column roles, missing markers and date parts on generated messy customer tables.

Each test writes a table from tests/template/support/messy.py to a file and reads it back
through the project's readers, as prepare and `make predict` do.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from gitops_ml.core import columns, data, params
from gitops_ml.core.errors import UserError, UserErrors
from tests.template.support.messy import customers

CLEAN = {
    "na_values": [" ", "?"],
    "drop": ["customerID", "notes"],
    "dates": {"signup_date": ["year", "month", "dayofweek", "age_days"]},
    "date_reference": "2025-01-01",
}


def _params(path: Path, **data_keys: Any) -> params.Params:
    return params.parse(
        {
            "data": {
                "path": str(path),
                "target": "Churn",
                "task": "binary",
                "positive_class": "Yes",
                **data_keys,
            },
            "model": {"estimator": "sklearn.linear_model.LogisticRegression"},
            "evaluate": {"primary_metric": "roc_auc"},
        }
    )


def _csv(tmp_path: Path, frame: pd.DataFrame, name: str = "customers.csv") -> Path:
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def _problems(err: UserError) -> list[UserError]:
    return err.errors if isinstance(err, UserErrors) else [err]


def _roles(resolved: columns.Resolved) -> dict[str, tuple[str, str]]:
    return {c.name: (c.role, c.reason) for c in resolved.columns}


def test_every_column_of_a_messy_table_gets_a_role_and_a_reason(tmp_path: Path) -> None:
    p = _params(_csv(tmp_path, customers(500, seed=3)))
    roles = _roles(columns.resolve(data.read_raw(p), p))
    assert roles == {
        "customerID": ("id", "unique per row (500 of 500 values)"),
        "signup_date": ("date", "parses as dates (ISO)"),
        "tenure": ("numeric", "numbers (int64)"),
        "MonthlyCharges": ("numeric", "numbers (float64)"),
        "TotalCharges": ("numeric", "numbers, with some text values among them"),
        "Contract": ("categorical", "text: 3 distinct values"),
        "PaymentMethod": ("categorical", "text: 4 distinct values"),
        "country": ("constant", "one value only ('DE')"),
        "notes": ("text", roles["notes"][1]),
        "Churn": ("target", "data.target"),
    }
    assert roles["notes"][1].startswith("free text: 500 distinct values, mean ")


def test_inference_refuses_ids_dates_text_and_dirty_numbers_in_one_error(tmp_path: Path) -> None:
    p = _params(_csv(tmp_path, customers(500, seed=3)))
    with pytest.raises(UserErrors) as caught:
        data.resolve_features(data.read_raw(p), p)
    found = {e.field: e for e in caught.value.errors}
    assert set(found) == {"customerID", "signup_date", "TotalCharges", "notes"}
    assert "role id: unique per row" in found["customerID"].problem
    assert "data.drop: [customerID]" in found["customerID"].fix
    assert "data.features.categorical to keep it" in found["customerID"].fix
    assert "data.dates: {signup_date: [year, month, dayofweek]}" in found["signup_date"].fix
    assert "role text: free text" in found["notes"].problem
    dirty = found["TotalCharges"]
    assert "are not: [' ', '?']" in dirty.problem or "are not: ['?', ' ']" in dirty.problem
    assert 'data.na_values: [" ", "?"]' in dirty.fix or 'data.na_values: ["?", " "]' in dirty.fix
    assert "would make every number a category" in dirty.fix  # the trap is named, not offered


def test_params_fixes_resolve_every_refusal_and_dates_become_parts(tmp_path: Path) -> None:
    p = _params(_csv(tmp_path, customers(500, seed=3)), **CLEAN)
    resolved = columns.resolve(data.read_raw(p), p)
    assert resolved.problems == []
    parts = ["signup_date__year", "signup_date__month", "signup_date__dayofweek"]
    assert resolved.spec.numeric == [
        *parts,
        "signup_date__age_days",
        "tenure",
        "MonthlyCharges",
        "TotalCharges",
    ]
    assert resolved.spec.categorical == ["Contract", "PaymentMethod"]
    roles = _roles(resolved)
    assert roles["signup_date"] == (
        "date",
        "expanded by data.dates into year, month, dayofweek, age_days",
    )
    assert roles["signup_date__month"] == ("derived", "month of signup_date (data.dates)")
    assert roles["customerID"] == ("dropped", "listed under data.drop")
    summary = resolved.summary()
    assert summary.startswith("3 numeric, 2 categorical, 4 derived, 1 date, 1 constant")
    assert "not used: customerID (dropped), signup_date (date), country (constant)" in summary


def test_listing_one_column_keeps_inference_for_the_others(tmp_path: Path) -> None:
    path = _csv(tmp_path, customers(300, seed=1))
    listed = {**CLEAN, "features": {"categorical": ["PaymentMethod"]}}
    spec = data.resolve_features(data.read_raw(_params(path, **listed)), _params(path, **listed))
    assert "tenure" in spec.numeric and "Contract" in spec.categorical
    assert "PaymentMethod" in spec.categorical
    only = {**CLEAN, "features": {"categorical": ["PaymentMethod"], "infer": False}}
    p = _params(path, **only)
    resolved = columns.resolve(data.read_raw(p), p)
    assert resolved.spec.categorical == ["PaymentMethod"]
    assert resolved.spec.numeric == list(p.data.date_parts)  # asked for by data.dates
    assert _roles(resolved)["tenure"] == ("dropped", "not listed (data.features.infer: false)")
    with pytest.raises(UserError) as caught:
        _params(path, features={"infer": False})
    assert caught.value.field == "data.features.infer"
    assert "no feature is listed" in caught.value.problem


def test_a_listed_column_is_used_even_when_inference_would_refuse_it(tmp_path: Path) -> None:
    keys = {**CLEAN, "drop": ["notes"], "features": {"categorical": ["customerID"]}}
    p = _params(_csv(tmp_path, customers(200, seed=2)), **keys)
    assert "customerID" in data.resolve_features(data.read_raw(p), p).categorical


def test_sequential_integer_ids_are_refused_but_other_unique_integers_are_numbers() -> None:
    frame = customers(100, seed=4, numeric_id=True, date_column=None, text_column=None)
    found = columns.infer_one(frame["customerID"], "customerID", "x.csv")
    assert found[0].role == "id" and "sequential integers 1..100" in found[0].reason
    assert found[1] is not None and found[1].field == "customerID"
    spread = pd.Series(np.arange(100) * 7 + 3)
    assert columns.infer_one(spread, "amount", "x.csv")[0].role == "numeric"
    small = pd.Series([f"code{i}" for i in range(10)])  # ten unique values prove nothing
    assert columns.infer_one(small, "code", "x.csv")[0].role == "categorical"


def test_na_values_are_missing_in_csv_and_parquet_and_default_markers_stay(
    tmp_path: Path,
) -> None:
    frame = customers(200, seed=5, markers=(" ", "?", "N/A", "   "), marker_share=0.05)
    raw = frame["TotalCharges"]
    p = _params(_csv(tmp_path, frame), na_values=[" ", "?"])
    read = data.read_raw(p)["TotalCharges"]
    assert pd.api.types.is_float_dtype(read)
    assert read.isna().sum() == raw.isin([" ", "?", "N/A", "   "]).sum()  # "   " too: blank
    numbers = ~raw.isin([" ", "?", "N/A", "   "])
    assert np.allclose(read[numbers], raw[numbers].astype(float))
    parquet = tmp_path / "customers.parquet"
    frame.to_parquet(parquet, index=False)
    pq_read = data.read_raw(_params(parquet, na_values=[" ", "?", "N/A"]))["TotalCharges"]
    pd.testing.assert_series_equal(pq_read, read)
    untouched = data.read_raw(_params(parquet))["TotalCharges"]
    assert untouched.isin([" ", "?"]).sum() > 0  # nothing listed: the text stays
    only_question = data.read_raw(_params(_csv(tmp_path, frame), na_values=["?"]))
    assert (only_question["TotalCharges"] == " ").any()  # blanks only when " " is listed


def test_the_target_column_read_alone_also_honours_na_values(tmp_path: Path) -> None:
    frame = customers(100, seed=6)
    frame.loc[[3, 9], "Churn"] = "?"
    p = _params(_csv(tmp_path, frame), na_values=["?"])
    target = data.read_column(p, "Churn")
    assert target is not None and target.isna().sum() == 2


def test_date_parts_are_the_calendar_values_and_age_counts_from_the_reference(
    tmp_path: Path,
) -> None:
    frame = pd.DataFrame(
        {
            "seen": ["2024-03-05", "2024-12-31T23:00:00+02:00", None, "1970-01-02"],
            "Churn": ["a", "b", "a", "b"],
        }
    )
    path = _csv(tmp_path, frame)
    all_parts = ["year", "quarter", "month", "day", "dayofweek", "dayofyear", "hour"]
    p = _params(
        path,
        dates={"seen": [*all_parts, "epoch_days", "age_days"]},
        date_reference="2025-01-01",
    )
    got = data.read_table(path, "csv", p.data)
    assert list(got.columns) == [f"seen__{part}" for part in p.data.dates["seen"]] + ["Churn"]
    first = got.iloc[0]
    assert (first["seen__year"], first["seen__month"], first["seen__day"]) == (2024, 3, 5)
    assert (first["seen__quarter"], first["seen__dayofweek"], first["seen__dayofyear"]) == (
        1,
        1,
        65,
    )
    assert first["seen__age_days"] == 302.0
    assert got.loc[1, "seen__hour"] == 21.0  # zoned times are read in UTC
    assert got.loc[3, "seen__epoch_days"] == 1.0
    assert got.iloc[2].filter(like="seen__").isna().all()  # a missing date: missing parts
    assert (got.dtypes.drop("Churn") == "float64").all()


def test_a_value_that_is_no_date_is_named_with_the_fix(tmp_path: Path) -> None:
    frame = pd.DataFrame({"seen": ["2024-03-05", "unknown", "2024-04-01"], "Churn": [1, 0, 1]})
    p = _params(_csv(tmp_path, frame), dates={"seen": ["year"]})
    with pytest.raises(UserError) as caught:
        data.read_raw(p)
    assert caught.value.field == "seen"
    assert "1 value(s) are not dates: ['unknown'] in rows (0-based) [1]" in caught.value.problem
    assert "data.na_values" in caught.value.fix
    assert (
        data.read_raw(_params(p.data.path, dates={"seen": ["year"]}, na_values=["unknown"]))[
            "seen__year"
        ]
        .isna()
        .sum()
        == 1
    )


@pytest.mark.parametrize(
    ("keys", "field", "text"),
    [
        ({"dates": {"d": ["year", "week"]}}, "data.dates.d[1]", "'year'"),
        ({"dates": {"d": ["age_days"]}}, "data.dates", "set data.date_reference"),
        ({"dates": {"d": ["year"]}, "drop": ["d"]}, "data.dates", "keep it in one place"),
        ({"dates": {"d": []}}, "data.dates", "lists no parts"),
        ({"na_values": [1]}, "data.na_values[0]", "string"),
        (
            {"date_reference": date(2025, 1, 1)},
            "data.date_reference",
            'quoted: date_reference: "2025-01-01"',
        ),
        ({"date_reference": "1 Jan 2025"}, "data.date_reference", "YYYY-MM-DD"),
    ],
)
def test_date_and_marker_params_are_validated(keys: dict[str, Any], field: str, text: str) -> None:
    with pytest.raises(UserError) as caught:
        _params(Path("data/x.csv"), **keys)
    assert caught.value.field == field
    assert text in caught.value.render()


def test_serving_reads_raw_rows_into_the_same_columns_as_training(tmp_path: Path) -> None:
    from gitops_ml.serving import serve

    frame = customers(300, seed=7)
    p = _params(_csv(tmp_path, frame), **CLEAN)
    trained = data.read_raw(p)
    new_rows = _csv(tmp_path, frame.drop(columns="Churn").head(20), "new.csv")
    served = serve.read_input(new_rows, p)
    assert list(served.columns) == [c for c in trained.columns if c != "Churn"]
    pd.testing.assert_frame_equal(served, trained.drop(columns="Churn").head(20))


def test_a_listed_numeric_column_with_text_names_the_values_and_na_values(
    tmp_path: Path,
) -> None:
    from gitops_ml.checks import contract

    keys = {**CLEAN, "na_values": ["?"], "features": {"numeric": ["TotalCharges"]}}
    p = _params(_csv(tmp_path, customers(300, seed=8)), **keys)
    frame = data.read_raw(p)
    with pytest.raises(UserError) as caught:
        contract.enforce(frame, p, data.resolve_features(frame, p))
    err = caught.value
    assert err.field == "TotalCharges"
    blanks = int((frame["TotalCharges"] == " ").sum())
    assert err.problem.startswith(f"must hold numbers, but {blanks} of 300 values are not: [' ']")
    assert "found 0." not in err.problem and "data.na_values" in err.fix


def test_a_forbidden_column_is_left_to_the_contract_not_refused_as_an_id(tmp_path: Path) -> None:
    frame = customers(100, seed=9, date_column=None, text_numbers=None, text_column=None)
    frame = frame.rename(columns={"customerID": "email"})
    raw = _params(_csv(tmp_path, frame)).model_dump()
    p = params.parse({**raw, "contract": {"forbidden_columns": ["^email$"]}})
    resolved = columns.resolve(data.read_raw(p), p)
    assert resolved.problems == []  # contract.enforce names it as personal data
    assert "email" not in resolved.spec.columns


def test_the_key_of_a_stable_split_is_named_as_such_and_never_refused_as_an_id(
    tmp_path: Path,
) -> None:
    path = _csv(tmp_path, customers(300, seed=4))
    keys = {k: v for k, v in CLEAN.items() if k != "drop"}
    base = _params(path, **keys, drop=["notes"]).model_dump()
    keyed = params.parse({**base, "split": {"method": "stable", "key": "customerID"}})
    resolved = columns.resolve(data.read_raw(keyed), keyed)
    assert not resolved.problems
    assert _roles(resolved)["customerID"] == ("dropped", "key of the stable split (split.key)")
    assert "customerID" not in resolved.spec.columns
    # without the split, the same column is an id the inference refuses
    plain = params.parse({**base})
    assert any(
        "customerID" in str(e) for e in columns.resolve(data.read_raw(plain), plain).problems
    )
