"""The four split methods: random, stable, group and time, and their params checks."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from gitops_ml.core import data, params, split
from gitops_ml.core.config import ROW_ID
from gitops_ml.core.errors import UserError


def make_params(task: str = "binary", **split_params: Any) -> params.Params:
    metric = "rmse" if task == "regression" else "accuracy"
    if split_params.get("method", "random") != "random":
        split_params.setdefault("stratify", False)
    return params.parse(
        {
            "data": {"path": "x.csv", "target": "y", "task": task},
            "split": {"test_size": 0.25, **split_params},
            "model": {"estimator": "sklearn.dummy.DummyClassifier"},
            "evaluate": {"primary_metric": metric},
        }
    )


def frame(n: int = 400, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "customer": rng.integers(0, 60, size=n),
            "a": rng.normal(size=n),
            "city": rng.choice(["x", "y"], size=n),
            "y": np.where(rng.random(n) < 0.2, "rare", "common"),
        }
    )


def sides(train: pd.DataFrame, test: pd.DataFrame) -> dict[int, str]:
    """Each row number's side."""
    return {**dict.fromkeys(train[ROW_ID], "train"), **dict.fromkeys(test[ROW_ID], "test")}


def test_random_split_is_identical_for_the_same_seed_and_disjoint() -> None:
    p = make_params()
    train1, test1 = split.split(frame(), p)
    train2, test2 = split.split(frame(), p)
    pd.testing.assert_frame_equal(train1, train2)
    pd.testing.assert_frame_equal(test1, test2)
    assert set(train1[ROW_ID]).isdisjoint(test1[ROW_ID])
    assert len(train1) + len(test1) == 400


def test_random_split_keeps_class_proportions() -> None:
    source = frame()
    _, test = split.split(source, make_params())
    expected = (source["y"] == "rare").mean()
    assert abs((test["y"] == "rare").mean() - expected) < 0.02


def test_regression_split_spans_the_target_range() -> None:
    source = frame().assign(y=np.arange(400, dtype=float))
    _, test = split.split(source, make_params("regression"))
    assert test["y"].min() < 40 and test["y"].max() > 360


def test_appending_rows_moves_existing_rows_with_random_but_never_with_stable() -> None:
    old = frame()
    new = pd.concat([old, frame(100, seed=2)], ignore_index=True)
    keep = ["a", "city", "y"]
    for method, moved in (("random", True), ("stable", False)):
        p = make_params(method=method)
        before = sides(*split.split(old, p, keep))
        after = sides(*split.split(new, p, keep))
        changed = [row for row, side in before.items() if after[row] != side]
        assert bool(changed) is moved, method


def test_stable_split_on_an_id_survives_appends_and_a_change_of_dtype() -> None:
    old = frame().assign(id=np.arange(400))
    p = make_params(method="stable", key="id")
    before = sides(*split.split(old, p, ["a", "y"]))
    # an appended row with no id turns the id column into floats: no existing row may move
    extra = frame(50, seed=3).assign(id=[np.nan, *range(400, 449)])
    after = sides(*split.split(pd.concat([old, extra], ignore_index=True), p, ["a", "y"]))
    assert all(after[row] == side for row, side in before.items())
    assert 0.18 < list(before.values()).count("test") / 400 < 0.32  # about test_size


def test_stable_split_puts_duplicated_rows_on_one_side_and_follows_the_seed() -> None:
    rows = frame(200)
    doubled = pd.concat([rows, rows], ignore_index=True)
    _, test = split.split(doubled, make_params(method="stable"))
    firsts = set(test[ROW_ID][test[ROW_ID] < 200])
    assert firsts and {r + 200 for r in firsts} == set(test[ROW_ID][test[ROW_ID] >= 200])
    other = params.parse({**make_params(method="stable").model_dump(), "seed": 7})
    assert set(split.split(doubled, other)[1][ROW_ID]) != set(test[ROW_ID])


def test_group_split_never_puts_one_key_on_both_sides_and_drops_the_key() -> None:
    source = frame()
    p = make_params(method="group", key="customer")
    train, test = split.split(source, p, ["a", "city", "y"])
    assert "customer" not in train.columns and "customer" not in test.columns
    in_train = set(source.loc[train[ROW_ID], "customer"])
    in_test = set(source.loc[test[ROW_ID], "customer"])
    assert in_test and in_train and in_train.isdisjoint(in_test)


def test_time_split_holds_out_the_latest_rows_and_keeps_ties_together() -> None:
    days = pd.date_range("2024-01-01", periods=100, freq="D").strftime("%Y-%m-%d")
    source = pd.DataFrame({"when": np.repeat(days, 4), "a": np.arange(400.0), "y": "common"})
    source = source.sample(frac=1.0, random_state=0).reset_index(drop=True)  # any row order
    train, test = split.split(source, make_params(method="time", key="when"))
    assert len(test) == 100  # 25 whole days: the cut falls between two days
    assert source.loc[train[ROW_ID], "when"].max() < source.loc[test[ROW_ID], "when"].min()
    as_dates = source.assign(when=pd.to_datetime(source["when"]).dt.tz_localize("UTC"))
    _, same = split.split(as_dates, make_params(method="time", key="when"))
    assert list(same[ROW_ID]) == list(test[ROW_ID])  # parsed dates, time zone or not

    numbers = pd.DataFrame({"t": [6, 1, 2, 6, 3, 4, 6, 5], "y": "common"})
    _, test = split.split(numbers, make_params(method="time", key="t"))
    assert list(numbers.loc[test[ROW_ID], "t"]) == [6, 6, 6]  # 2 rows asked, 3 share the time


def test_time_split_refuses_values_that_are_not_times() -> None:
    source = pd.DataFrame({"when": ["2024-01-01", "soon", None, "2024-01-03"], "y": "common"})
    with pytest.raises(UserError) as missing:
        split.split(source, make_params(method="time", key="when"))
    assert missing.value.field == "split.key='when'" and "1 rows have no time" in (
        missing.value.problem
    )
    with pytest.raises(UserError) as text:
        split.split(source.dropna(), make_params(method="time", key="when"))
    assert "['soon']" in text.value.problem and "ISO dates" in text.value.fix


@pytest.mark.parametrize(
    ("split_params", "field", "words"),
    [
        ({"method": "group"}, "split.key", "is required by method 'group'"),
        ({"method": "time"}, "split.key", "is required by method 'time'"),
        ({"key": "customer"}, "split.key", "applies to methods stable, group and time"),
        ({"method": "stable", "key": "y"}, "split.key", "'y' is the target"),
        ({"method": "stable", "stratify": True}, "split.stratify", "approximately"),
        ({"method": "shuffled"}, "split.method", "'random', 'stable', 'group' or 'time'"),
    ],
)
def test_split_params_mistakes_name_the_key(
    split_params: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(UserError) as caught:
        params.parse(
            {
                "data": {"path": "x.csv", "target": "y", "task": "binary"},
                "split": split_params,
                "model": {"estimator": "sklearn.dummy.DummyClassifier"},
                "evaluate": {"primary_metric": "accuracy"},
            }
        )
    assert caught.value.file == "params.yaml" and caught.value.field == field
    assert words in caught.value.problem


def test_a_key_not_in_the_data_is_refused_with_the_closest_name() -> None:
    with pytest.raises(UserError) as caught:
        split.split(frame(), make_params(method="group", key="Customer_"))
    assert caught.value.field == "split.key='Customer_'"
    assert "did you mean 'customer'?" in caught.value.problem


def test_a_split_that_leaves_one_side_empty_names_the_key() -> None:
    source = frame().assign(shop="only one")
    with pytest.raises(UserError) as caught:
        split.split(source, make_params(method="group", key="shop"))
    assert caught.value.field == "split.key" and "has 1 distinct values" in caught.value.fix
    assert "split leaves" in caught.value.problem


def test_the_key_of_a_stable_or_group_split_is_no_inferred_feature_unless_listed() -> None:
    columns = list(frame().columns)
    assert "customer" not in data.feature_names(
        columns, make_params(method="group", key="customer")
    )
    assert "customer" in data.feature_names(columns, make_params(method="time", key="customer"))
    listed = params.parse(
        {
            **make_params(method="stable", key="customer").model_dump(),
            "data": {
                "path": "x.csv",
                "target": "y",
                "task": "binary",
                "features": {"numeric": ["customer", "a"]},
            },
        }
    )
    # listed, the key is a feature; the other columns are still inferred (data.features.infer)
    assert data.feature_names(columns, listed) == ["customer", "a", "city"]
