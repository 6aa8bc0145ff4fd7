"""The serving contract row by row, on fixture params and a hand-made batch (no model)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from gitops_ml.checks import serving_contract
from gitops_ml.core import params
from gitops_ml.core.data import FeatureSpec
from gitops_ml.core.errors import UserError, UserErrors

TRAIN = pd.DataFrame(
    {
        "size": [1.0, 2.0, 3.0, np.inf, 5.0],  # inf is not part of the range
        "weight": [10.0, np.nan, 30.0, 40.0, 50.0],  # had missing values
        "city": ["a", "b", "a", "b", "a"],
        "y": [0, 1, 0, 1, 0],
    }
)
SPEC = FeatureSpec(["size", "weight"], ["city"], "y").profiled(TRAIN)
CATEGORIES = {"city": {"a", "b", "__missing__"}}


def fixture_params(tmp_path: Path, **sections: dict[str, Any]) -> params.Params:
    raw: dict[str, Any] = {
        "data": {"path": "data/x.csv", "target": "y", "task": "binary"},
        "model": {"estimator": "sklearn.linear_model.LogisticRegression"},
        "evaluate": {"primary_metric": "roc_auc"},
        **sections,
    }
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(raw))
    return params.load(path)


def test_prepare_profiles_finite_ranges_and_the_columns_never_missing() -> None:
    assert SPEC.ranges == {"size": [1.0, 5.0], "weight": [10.0, 50.0]}
    assert SPEC.complete == ["size", "city"]


def test_each_rule_names_its_rows_and_flag_lists_them_per_row(tmp_path: Path) -> None:
    p = fixture_params(tmp_path, serving={"on_violation": "flag", "range_margin": 0.5})
    batch = pd.DataFrame(
        {
            # range [1, 5], width 4, margin 0.5: [-1, 7] is accepted
            "size": [7.0, 7.01, -np.inf, np.nan, -1.0],
            "weight": [10.0, 20.0, 30.0, 40.0, 50.0],
            "city": ["a", "b", "c", "a", "b"],
        }
    )
    found = serving_contract.violations(batch, SPEC, p, CATEGORIES)
    assert found.count() == 3
    flags = serving_contract.enforce(batch, SPEC, p, CATEGORIES, "new.csv").flags
    assert flags is not None and flags[0] == "" and flags[4] == ""
    assert flags[1].startswith("size: outside the training range [1, 5]")
    assert (
        flags[2]
        == "size: infinite value (training refuses infinities); city: a category never seen in training"
    )
    assert flags[3] == "size: missing, and the column had no missing value in training"


def test_refuse_raises_every_broken_rule_with_rows_values_and_fix(tmp_path: Path) -> None:
    p = fixture_params(tmp_path, contract={"max_missing_fraction": 0.5})
    batch = pd.DataFrame(
        {"size": [1.0, 100.0, 100.0], "weight": [np.nan, np.nan, 1.0], "city": ["a", "a", "a"]}
    )
    with pytest.raises(UserErrors) as raised:
        serving_contract.enforce(batch, SPEC, p, CATEGORIES, "new.csv")
    rendered = [e.render() for e in raised.value.errors]
    assert rendered[0].startswith(
        "new.csv: size: outside the training range [1, 5] by more than serving.range_margin "
        "0.5 of its width: 2 of 3 rows; rows (0-based): [1, 2]; values: ['100.0']"
    )
    assert (
        "weight: missing in more than contract.max_missing_fraction 0.5 of the batch" in rendered[1]
    )
    assert all("\n  fix: " in text for text in rendered)
    clean = batch.assign(size=[1.0, 2.0, 3.0], weight=[1.0, 2.0, np.nan])
    outcome = serving_contract.enforce(clean, SPEC, p, CATEGORIES, "new.csv")
    assert outcome.flags is None and outcome.summary() == ""


def test_the_schema_file_rules_apply_to_served_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("contract.yaml").write_text(
        yaml.safe_dump(
            {
                "columns": {
                    "weight": {"dtype": "numeric", "nullable": False, "min": 0, "max": 45},
                    "city": {"dtype": "categorical", "categories": ["a"]},
                }
            }
        )
    )
    p = fixture_params(
        tmp_path, contract={"schema_file": "contract.yaml"}, serving={"range_margin": None}
    )
    batch = pd.DataFrame({"size": [1.0, 2.0], "weight": [np.nan, 46.0], "city": ["a", "b"]})
    with pytest.raises(UserError) as raised:
        serving_contract.enforce(batch, SPEC, p, CATEGORIES, "new.csv")
    text = str(raised.value)
    assert (
        "weight: missing (not nullable in contract.yaml): 1 of 2 rows; rows (0-based): [0]" in text
    )
    assert "weight: outside [0.0, 45.0] (contract.yaml): 1 of 2 rows; rows (0-based): [1]" in text
    assert "city: a category not listed in contract.yaml" in text
    assert "fix: fix the value upstream, or widen the rule in contract.yaml after review" in text


UNSEEN = pd.DataFrame(
    {
        "size": [1.0, 7.5, 3.0, 4.0],  # row 1 beyond the range margin
        "weight": [10.0, 20.0, 30.0, 40.0],
        "city": ["a", "b", "zurich", "oslo"],
    }
)


def test_unseen_categories_follow_their_own_policy_per_row(tmp_path: Path) -> None:
    refuse = fixture_params(tmp_path, serving={"on_violation": "flag", "unseen_category": "refuse"})
    with pytest.raises(UserError) as raised:  # refused although the range rule only flags
        serving_contract.enforce(UNSEEN, SPEC, refuse, CATEGORIES, "new.csv")
    assert (
        "new.csv: city: a category never seen in training: 2 of 4 rows; rows (0-based): [2, 3]; "
        "values: ['zurich', 'oslo']" in raised.value.render()
    )
    assert "size" not in raised.value.render()

    flag = fixture_params(tmp_path, serving={"unseen_category": "flag", "range_margin": None})
    outcome = serving_contract.enforce(UNSEEN, SPEC, flag, CATEGORIES, "new.csv")
    assert outcome.flags == ["", "", *["city: a category never seen in training"] * 2]
    assert outcome.summary() == "2 with unseen categories (city: 2)"

    unknown = fixture_params(
        tmp_path, serving={"on_violation": "flag", "unseen_category": "unknown"}
    )
    outcome = serving_contract.enforce(UNSEEN, SPEC, unknown, CATEGORIES, "new.csv")
    assert outcome.flags is not None and outcome.flags[1].startswith("size: outside")
    assert outcome.flags[2:] == ["", ""]  # scored as unknown: not a violation
    assert outcome.summary() == "2 with unseen categories (city: 2)"


def test_unseen_categories_default_to_the_contract_policy(tmp_path: Path) -> None:
    p = fixture_params(tmp_path, serving={"range_margin": None})
    assert p.serving.unseen_category is None and p.serving.unseen_policy == "refuse"
    with pytest.raises(UserError, match="city: a category never seen"):
        serving_contract.enforce(UNSEEN, SPEC, p, CATEGORIES, "new.csv")
    p = fixture_params(tmp_path, serving={"on_violation": "flag", "range_margin": None})
    assert serving_contract.enforce(UNSEEN, SPEC, p, CATEGORIES, "new.csv").flags is not None


@pytest.mark.parametrize(
    ("names", "problem"),
    [
        (["id", "id"], "columns listed twice: ['id']"),
        (["y_pred"], "would clash with the prediction columns"),
        (["proba_yes"], "would clash with the prediction columns"),
    ],
)
def test_passthrough_names_that_would_clash_are_refused(
    tmp_path: Path, names: list[str], problem: str
) -> None:
    with pytest.raises(UserError) as raised:
        fixture_params(tmp_path, serving={"passthrough": names})
    assert raised.value.field == "serving.passthrough" and problem in raised.value.problem
