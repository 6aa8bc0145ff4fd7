"""`make tune-check` in a real trained repository: the committed hyperparameters pass, a bad
one fails naming the better value, and a wrong name stops before any fit."""

from __future__ import annotations

import pytest

from tests.conftest import Project

pytestmark = pytest.mark.slow


@pytest.fixture
def trained(trained: Project) -> Project:
    """21 small refits: one OpenMP thread each is faster than two on a busy machine, where
    threads wait for each other (the product itself keeps the default)."""
    trained.env["OMP_NUM_THREADS"] = "1"
    return trained


def test_the_templates_committed_hyperparameters_pass_the_tuning_check(trained: Project) -> None:
    result = trained.make("tune-check")
    assert "7 settings x 3 folds = 21 fits on 456 train rows; tolerance 0.005" in result.stdout
    assert "| `(committed)` |" in result.stdout and "| `max_leaf_nodes=31` |" in result.stdout
    assert "PASSED: no candidate beats the committed hyperparameters" in result.stdout
    written = (trained.root / "report/tune_check.md").read_text()
    assert written.startswith("## Tuning check") and "PASSED" in written


def test_a_badly_tuned_hyperparameter_fails_and_names_the_better_value(trained: Project) -> None:
    trained.set_params(**{"model.params.learning_rate": 0.001, "model.params.max_iter": 10})
    result = trained.cli("tune-check", check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "| `learning_rate=0.2` |" in result.stdout and "| **better** |" in result.stdout
    assert "FAILED: `learning_rate=0.2` beats the committed hyperparameters by +0." in result.stdout
    assert (
        "fix: set model.params.learning_rate: 0.2 in params.yaml, or widen tune.tolerance"
    ) in result.stdout
    assert "tune-check: FAILED" in result.stderr


def test_a_hyperparameter_the_estimator_lacks_stops_tune_check_and_make_check(
    trained: Project,
) -> None:
    trained.set_params(**{"tune.params": {"learning_rte": [0.05]}})
    result = trained.cli("tune-check", check=False)
    assert result.returncode == 2
    assert "params.yaml: tune.params.learning_rte: HistGradientBoostingClassifier has no" in (
        result.stderr
    )
    assert "use one of: " in result.stderr and "learning_rate" in result.stderr
    check = trained.cli("check", check=False)  # caught before any work starts, too
    assert check.returncode == 2 and "tune.params.learning_rte" in check.stderr
