"""The pure rules behind `make staleness-impact` and `make canary`: slope and agreement."""

from __future__ import annotations

import pytest

from gitops_ml.monitoring.age_impact import Row, slope_per
from gitops_ml.serving.canary import agreement


def row(age: float, change: float | None) -> Row:
    return Row("v1.0.0", "m@v1.0.0", "c", [], "", age, None, None, change, 0, 0)


def test_the_slope_is_least_squares_change_per_30_days_of_age() -> None:
    rows = [row(0, 0.0), row(30, -0.01), row(60, -0.02), row(90, None)]
    assert slope_per(rows) == pytest.approx(-0.01)
    assert slope_per([row(10, 0.0), row(40, -0.03), row(70, -0.03)]) == pytest.approx(-0.015)


def test_no_slope_without_two_scored_versions_of_different_ages() -> None:
    assert slope_per([row(5, 0.0)]) is None
    assert slope_per([row(5, 0.0), row(50, None)]) is None
    assert slope_per([row(5, 0.0), row(5, -0.1)]) is None


def test_classification_agreement_is_the_share_of_equal_labels() -> None:
    assert agreement(["a", "b", "a", "a"], ["a", "b", "b", "a"], True, 0.1) == 0.75
    assert agreement([1, 0], ["1", "0"], True, 0.1) == 1.0  # labels compared as text


def test_regression_agreement_is_relative_to_the_prod_predictions_scale() -> None:
    prod = [-10.0, 0.0, 10.0, 20.0]  # mean |prod| = 10: tolerance 0.1 allows +-1
    assert agreement([-9.5, 0.9, 11.5, 20.0], prod, False, 0.1) == 0.75
    assert agreement([-9.5, 0.9, 11.5, 20.0], prod, False, 0.2) == 1.0
    assert agreement([], [], False, 0.1) == 1.0
