"""Properties of the drift statistics, for any sample hypothesis can think of."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gitops_ml.core import stats

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
samples = arrays(np.float64, st.integers(min_value=1, max_value=300), elements=finite)
bins = st.integers(min_value=2, max_value=20)
labels = st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=1, max_size=200)

settings.register_profile("drift", max_examples=60, deadline=None)
settings.load_profile("drift")


@given(samples, bins)
def test_psi_of_a_sample_against_itself_is_zero(sample: np.ndarray, n_bins: int) -> None:
    assert stats.psi(sample, sample, n_bins) == 0.0


@given(st.integers(min_value=0, max_value=2**32 - 1), st.integers(200, 2000), bins)
def test_psi_grows_as_a_normal_sample_shifts_further(seed: int, size: int, n_bins: int) -> None:
    sample = np.random.default_rng(seed).normal(size=size)
    values = [stats.psi(sample, sample + k, n_bins) for k in (0.0, 0.5, 1.0, 2.0, 4.0)]
    assert values[0] == 0.0 < values[1]
    # Non-decreasing: once every value is past the top edge, PSI saturates.
    assert all(a <= b + 1e-12 for a, b in itertools.pairwise(values))


# Distinct values, so that a shift of 2x the range moves every value (a constant sample
# has a range of zero); few-valued samples are pinned in tests/template/unit/test_stats.py.
distinct = arrays(np.float64, st.integers(2, 300), elements=finite, unique=True)


@given(distinct, bins)
def test_psi_of_a_shift_past_the_reference_range_is_large(sample: np.ndarray, n_bins: int) -> None:
    shifted = sample + 2.0 * float(np.ptp(sample))  # every value lands in the top bin
    assert stats.psi(sample, shifted, n_bins) > 0.5


@given(samples, samples, bins)
def test_psi_is_finite_and_non_negative_even_with_empty_bins(
    reference: np.ndarray, current: np.ndarray, n_bins: int
) -> None:
    squashed = np.full_like(current, reference.max() + 1.0)  # every value in the top bin
    for cur in (current, squashed):
        value = stats.psi(reference, cur, n_bins)
        assert math.isfinite(value) and value >= 0.0


@given(samples)
def test_psi_ignores_missing_values_and_is_nan_only_when_a_side_is_empty(
    sample: np.ndarray,
) -> None:
    with_gaps = np.concatenate([sample, [np.nan, np.inf]])
    assert stats.psi(sample, with_gaps) == 0.0
    assert math.isnan(stats.psi(sample, np.array([np.nan])))


@given(labels, labels)
def test_categorical_psi_is_zero_on_itself_and_finite_with_unseen_categories(
    ref: list[str], cur: list[str]
) -> None:
    reference, current = pd.Series(ref), pd.Series(cur)
    assert stats.psi_categorical(reference, reference) == 0.0
    value = stats.psi_categorical(reference, pd.concat([current, pd.Series(["never-seen"])]))
    assert math.isfinite(value) and value > 0.0


@given(samples)
def test_ks_and_chi2_see_no_difference_between_identical_samples(sample: np.ndarray) -> None:
    statistic, pvalue = stats.ks(sample, sample)
    assert statistic == 0.0 and pvalue == 1.0
    as_labels = pd.Series(np.round(sample).astype(int).astype(str))
    chi_stat, chi_p = stats.chi2(as_labels, as_labels)
    assert chi_stat == 0.0 and math.isclose(chi_p, 1.0)


def test_a_small_batch_of_the_same_distribution_is_not_drift_but_a_shifted_one_is() -> None:
    """50 rows in 10 bins show a PSI near the usual 0.2 alarm by chance alone."""
    from gitops_ml.core import params
    from gitops_ml.monitoring import drift

    rng = np.random.default_rng(7)
    ref = pd.DataFrame({"x": rng.normal(size=2000)})
    rules = params.DriftParams()
    chance = []
    for seed in range(20):
        batch = pd.DataFrame({"x": np.random.default_rng(seed).normal(size=50)})
        (finding,) = drift.feature_findings(ref, batch, ["x"], rules)
        chance.append((finding.psi, finding.drifted))
    assert max(psi for psi, _ in chance) > rules.psi_threshold  # raw PSI alone would alarm
    assert not any(drifted for _, drifted in chance)
    shifted = pd.DataFrame({"x": np.random.default_rng(99).normal(loc=1.5, size=50)})
    (finding,) = drift.feature_findings(ref, shifted, ["x"], rules)
    assert finding.drifted and "expected by chance" in finding.reasons[0]


def test_quality_on_new_rows_reads_as_a_ceiling_for_error_metrics() -> None:
    from gitops_ml.monitoring.drift import _quality_lines

    quality = {
        "model": "the model of v1.0.0",
        "metric": "rmse",
        "rows": 40,
        "value": 61.5,
        "floor": 55.0,
        "failed_floor": True,
        "bar": "ceiling",
    }
    text = "\n".join(_quality_lines(quality))
    assert "scores rmse 61.5000 on 40 new labelled rows: **above the ceiling** 55.0" in text
    assert "within the ceiling" in "\n".join(_quality_lines({**quality, "failed_floor": False}))
