"""The statistics behind the report's significance line and drift table, against known values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from gitops_ml.core import stats


def _labels(n: int, accuracy: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.random(n) < 0.5
    pred = np.where(rng.random(n) < accuracy, y, ~y)
    return y, pred


def _accuracy_difference(y, base, pr):
    return lambda rows: float(np.mean(pr[rows] == y[rows]) - np.mean(base[rows] == y[rows]))


def test_identical_models_give_an_interval_containing_zero_read_as_noise():
    y, pred = _labels(300, 0.8, seed=1)
    result = stats.paired_bootstrap(_accuracy_difference(y, pred, pred.copy()), len(y))
    assert result.low <= 0.0 <= result.high
    assert result.reading == "within noise"
    assert result.n == 300 and result.resamples == 1000 and result.paired


def test_models_that_swap_a_few_mistakes_are_within_noise():
    y, base = _labels(300, 0.8, seed=1)
    right, wrong = np.flatnonzero(base == y)[:4], np.flatnonzero(base != y)[:4]
    pr = base.copy()
    pr[right], pr[wrong] = ~pr[right], ~pr[wrong]  # 4 new mistakes, 4 fixed: same accuracy
    result = stats.paired_bootstrap(_accuracy_difference(y, base, pr), len(y))
    assert result.difference == 0.0
    assert result.low < 0.0 < result.high and result.reading == "within noise"


def test_clearly_better_model_gives_an_interval_above_zero():
    y, base = _labels(300, 0.7, seed=2)
    pr = np.where(np.random.default_rng(4).random(300) < 0.95, y, ~y)
    result = stats.paired_bootstrap(_accuracy_difference(y, base, pr), len(y))
    assert result.low > 0.0
    assert result.reading == "PR better"
    assert result.difference == pytest.approx(np.mean(pr == y) - np.mean(base == y))


def test_lower_is_better_metric_reads_a_positive_difference_as_worse():
    y, base = _labels(300, 0.7, seed=2)
    pr = np.where(np.random.default_rng(4).random(300) < 0.95, y, ~y)
    error_rise = _accuracy_difference(y, pr, base)  # PR's error rate minus base's, > 0
    result = stats.paired_bootstrap(lambda r: -error_rise(r), 300, higher_is_better=False)
    assert result.low > 0.0 and result.reading == "PR worse"


def test_bootstrap_is_reproducible_for_a_seed_and_changes_with_it():
    y, base = _labels(200, 0.75, seed=5)
    _, pr = _labels(200, 0.8, seed=6)
    metric = _accuracy_difference(y, base, pr)
    first = stats.paired_bootstrap(metric, 200, seed=7)
    assert stats.paired_bootstrap(metric, 200, seed=7) == first
    assert stats.paired_bootstrap(metric, 200, seed=8) != first


def test_pairing_gives_a_tighter_interval_than_independent_resamples():
    y, base = _labels(400, 0.8, seed=9)
    pr = base.copy()
    pr[:10] = y[:10]  # PR fixes a few of base's mistakes, nothing else changes
    paired = stats.paired_bootstrap(_accuracy_difference(y, base, pr), 400)
    unpaired = stats.unpaired_bootstrap(
        lambda r: float(np.mean(base[r] == y[r])), 400, lambda r: float(np.mean(pr[r] == y[r])), 400
    )
    assert not unpaired.paired
    assert paired.difference == pytest.approx(unpaired.difference)
    assert (paired.high - paired.low) < (unpaired.high - unpaired.low) / 3


def test_metric_undefined_on_every_resample_is_not_computable():
    result = stats.paired_bootstrap(lambda rows: float("nan"), 50)
    assert result.reading == "not computable" and result.resamples == 0


def test_mcnemar_counts_discordant_rows_and_matches_the_textbook_formula():
    base = np.array([True] * 60 + [False] * 40)
    pr = base.copy()
    pr[:5] = False  # base right, PR wrong: b = 5
    pr[60:90] = True  # base wrong, PR right: c = 30
    result = stats.mcnemar(base, pr)
    assert (result.b, result.c) == (5, 30)
    assert result.statistic == pytest.approx((abs(5 - 30) - 1) ** 2 / 35)
    assert result.pvalue == pytest.approx(scipy_stats.chi2.sf(result.statistic, 1))
    assert result.pvalue < 0.001 and not result.exact


def test_mcnemar_on_identical_predictions_finds_nothing():
    correct = np.array([True, False, True, True])
    result = stats.mcnemar(correct, correct)
    assert (result.b, result.c, result.pvalue) == (0, 0, 1.0)


def test_mcnemar_uses_the_exact_binomial_test_for_few_discordant_rows():
    base = np.array([True, True, False, False, True])
    pr = np.array([False, True, True, True, True])
    result = stats.mcnemar(base, pr)
    assert result.exact and result.pvalue == pytest.approx(scipy_stats.binomtest(1, 3, 0.5).pvalue)


def test_psi_is_zero_for_identical_samples_and_grows_with_the_shift():
    sample = np.random.default_rng(0).normal(size=1000)
    assert stats.psi(sample, sample) == 0.0
    small, large = stats.psi(sample, sample + 0.2), stats.psi(sample, sample + 1.0)
    assert 0.0 < small < 0.1 < 0.25 < large


def test_psi_matches_a_hand_computed_value():
    reference = np.array([1.0, 2.0, 3.0, 4.0])  # 2 bins split at the median 2.5
    current = np.array([1.0, 1.0, 1.0, 4.0])  # 3/4 below, 1/4 above
    expected = (0.75 - 0.5) * math.log(0.75 / 0.5) + (0.25 - 0.5) * math.log(0.25 / 0.5)
    assert stats.psi(reference, current, bins=2) == pytest.approx(expected)


def test_psi_stays_finite_when_the_current_sample_empties_a_bin():
    assert math.isfinite(stats.psi(np.arange(100.0), np.full(100, 500.0)))
    assert math.isfinite(stats.psi(np.ones(50), np.zeros(50)))  # constant reference


def test_psi_ignores_missing_values_and_is_nan_only_for_an_empty_side():
    reference = np.array([1.0, 2.0, np.nan, 3.0])
    assert stats.psi(reference, reference) == 0.0
    assert math.isnan(stats.psi(reference, np.array([np.nan, np.nan])))


def test_categorical_psi_and_chi_square_see_a_new_category():
    reference = pd.Series(["a", "b"] * 100)
    current = pd.Series(["a", "b", "c", "c"] * 50)
    assert stats.psi_categorical(reference, reference) == 0.0
    assert stats.psi_categorical(reference, current) > 0.25
    statistic, pvalue = stats.chi2(reference, current)
    assert statistic > 0 and pvalue < 1e-6
    assert stats.chi2(reference, reference) == (0.0, 1.0)


def test_ks_matches_scipy_and_ignores_missing_values():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=200), rng.normal(0.5, size=200)
    expected = scipy_stats.ks_2samp(a, b)
    with_nan = np.append(a, np.nan)
    assert stats.ks(with_nan, b) == pytest.approx((expected.statistic, expected.pvalue))


def test_column_drift_puts_the_top_mover_first_and_reports_missing_rates():
    rng = np.random.default_rng(11)
    reference = pd.DataFrame(
        {
            "still": rng.normal(size=400),
            "moved": rng.normal(size=400),
            "colour": rng.choice(["red", "blue"], 400),
            "only_ref": 1.0,
        }
    )
    current = reference.drop(columns="only_ref").assign(moved=lambda f: f["moved"] + 2.0)
    current.loc[:99, "still"] = np.nan
    result = stats.column_drift(reference, current)
    assert result[0].column == "moved"
    assert {d.column for d in result} == {"still", "moved", "colour"}
    by_name = {d.column: d for d in result}
    assert by_name["still"].missing_ref == 0.0 and by_name["still"].missing_cur == 0.25
    assert by_name["colour"].kind == stats.CATEGORICAL and by_name["colour"].chi2_pvalue == 1.0
    assert by_name["moved"].kind == stats.NUMERIC and by_name["moved"].ks_pvalue < 1e-10
    assert by_name["colour"].ks_stat is None and by_name["moved"].chi2_stat is None


def test_psi_sees_a_shift_of_a_few_valued_column_whose_point_masses_sit_on_quantile_edges() -> None:
    reference = np.array([1.0, 0.0, 0.0])
    assert stats.psi(reference, np.array([3.0, 2.0, 2.0]), bins=2) > 1.0
    assert stats.psi(np.array([1.0, 1.0, 0.0]), np.array([0.0, 0.0, 0.0]), bins=2) > 1.0
    assert stats.psi(reference, reference.copy(), bins=2) == 0.0
