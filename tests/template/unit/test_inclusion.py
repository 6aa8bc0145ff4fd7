"""Inclusion checks (ML Test Score M7): rates per group of a sensitive slice and the
equal-opportunity gate rule, on hand-made predictions whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest

from gitops_ml.core import params
from gitops_ml.core.errors import UserError
from gitops_ml.core.params import GateParams
from gitops_ml.evaluation import gate
from gitops_ml.evaluation.metrics import Scored
from gitops_ml.evaluation.quality import group_rates


def _scored(y_true: list[str], y_pred: list[str]) -> Scored:
    return Scored(np.array(y_true), np.array(y_pred), None, ["no", "yes"])


def test_group_rates_count_selection_true_and_false_positives() -> None:
    rates = group_rates(
        _scored(["yes", "yes", "yes", "yes", "no", "no"], ["yes", "yes", "yes", "no", "yes", "no"]),
        "yes",
    )
    assert rates == {"selection_rate": round(4 / 6, 6), "tpr": 0.75, "fpr": 0.5}


def test_a_group_without_positives_has_no_true_positive_rate() -> None:
    rates = group_rates(_scored(["no", "no"], ["yes", "no"]), "yes")
    assert rates["tpr"] is None and rates["fpr"] == 0.5


SLICES = {
    "sex": {
        "f": {"rows": 40, "roc_auc": 0.9, "tpr": 0.95, "fpr": 0.1, "selection_rate": 0.5},
        "m": {"rows": 50, "roc_auc": 0.9, "tpr": 0.70, "fpr": 0.1, "selection_rate": 0.4},
        "x": {"rows": 3, "roc_auc": 0.9, "tpr": 0.0, "fpr": 0.0, "selection_rate": 0.0},
    }
}


def _verdict(limit: float | None, slices: dict, min_rows: int = 30) -> gate.GateResult:
    result = gate.GateResult()
    rules = GateParams(max_opportunity_gap=limit, min_slice_rows=min_rows)
    gate.check_quality(result, "roc_auc", None, slices, rules, ("sex",))
    return result


def test_opportunity_gap_ignores_groups_below_min_slice_rows() -> None:
    gap, best, worst = gate.opportunity_gaps(SLICES, ("sex",), 30)["sex"]
    assert (round(gap, 6), best, worst) == (0.25, "f", "m")
    gap, _, worst = gate.opportunity_gaps(SLICES, ("sex",), 1)["sex"]
    assert worst == "x" and gap == pytest.approx(0.95)


def test_the_gate_fails_beyond_the_gap_and_passes_within_it() -> None:
    failed = _verdict(0.2, SLICES)
    assert not failed.passed
    assert "true-positive rate differs by 0.2500 between groups of the sensitive column sex" in (
        failed.verdict
    )
    assert _verdict(0.3, SLICES).passed
    assert _verdict(None, SLICES).passed  # the rule is off


def test_a_sensitive_column_missing_from_the_slices_file_fails_with_the_fix() -> None:
    result = _verdict(0.3, {})
    assert not result.passed and "run `make repro`" in result.verdict


def test_too_few_large_groups_is_a_note_not_a_pass_or_failure() -> None:
    result = _verdict(0.1, SLICES, min_rows=45)
    assert result.passed and "equal opportunity not gated" in result.notes[0]


def _params(task: str, sensitive: bool) -> dict:
    metric = "rmse" if task == "regression" else "roc_auc"
    return {
        "data": {"path": "data/x.csv", "target": "y", "task": task},
        "model": {"estimator": "sklearn.linear_model.LogisticRegression"},
        "evaluate": {
            "primary_metric": metric,
            "slices": [{"column": "sex", "sensitive": sensitive}],
        },
        "gate": {"max_opportunity_gap": 0.1},
    }


def test_the_opportunity_rule_needs_a_binary_task_and_a_sensitive_slice() -> None:
    assert params.parse(_params("binary", True)).evaluate.sensitive_columns == ("sex",)
    with pytest.raises(UserError) as err:
        params.parse(_params("binary", False))
    assert "no evaluate.slices entry has `sensitive: true`" in str(err.value)
    with pytest.raises(UserError) as err:
        params.parse(_params("regression", True))
    assert "need a binary task" in str(err.value) and "params.yaml" in str(err.value)
