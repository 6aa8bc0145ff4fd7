"""Statistics for comparing two models or two datasets: bootstrap, McNemar, PSI, KS, chi-square.

Shared by the PR report (is a metric change more than noise? did the data move?) and the
drift check. Every random draw comes from a seeded generator so reports are byte-reproducible;
every drift score is finite for non-empty samples so tables never show `inf`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from numpy.typing import NDArray

EPSILON = 1e-4  # floor on bin proportions so PSI stays finite when a bin is empty
NUMERIC = "numeric"
CATEGORICAL = "categorical"


@dataclass(frozen=True)
class Interval:
    """Bootstrap estimate of a difference (PR - base) of one metric."""

    difference: float  # on all rows, not a bootstrap mean
    low: float
    high: float
    n: int  # rows (paired) or rows of the smaller side (unpaired)
    resamples: int  # resamples that gave a finite value
    reading: str  # "within noise" | "PR better" | "PR worse" | "not computable"
    confidence: float = 0.95
    paired: bool = True


def _reading(low: float, high: float, higher_is_better: bool) -> str:
    if not (math.isfinite(low) and math.isfinite(high)):
        return "not computable"
    if low > 0:
        return "PR better" if higher_is_better else "PR worse"
    if high < 0:
        return "PR worse" if higher_is_better else "PR better"
    return "within noise"


def _interval(
    point: float,
    draws: list[float],
    n: int,
    higher_is_better: bool,
    confidence: float,
    paired: bool,
) -> Interval:
    values = np.asarray(draws, dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0 or not math.isfinite(point):
        low = high = float("nan")
    else:
        tail = (1.0 - confidence) / 2.0 * 100.0
        low, high = (float(v) for v in np.percentile(values, [tail, 100.0 - tail]))
    reading = _reading(low, high, higher_is_better)
    return Interval(float(point), low, high, n, int(values.size), reading, confidence, paired)


def paired_bootstrap(
    metric: Callable[[NDArray[Any]], float],
    n: int,
    *,
    higher_is_better: bool = True,
    resamples: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> Interval:
    """Bootstrap the difference PR - base over rows both models scored.

    `metric(rows)` returns the difference on the given row indices (with repeats), so the
    same resample is applied to both models: that pairing removes the row-to-row noise
    both share, which makes the interval much tighter than two independent ones.
    """
    everything = np.arange(n)
    rng = np.random.default_rng(seed)
    draws = [metric(rng.integers(0, n, n)) for _ in range(resamples)] if n else []
    return _interval(metric(everything), draws, n, higher_is_better, confidence, paired=True)


def unpaired_bootstrap(
    metric_base: Callable[[NDArray[Any]], float],
    n_base: int,
    metric_pr: Callable[[NDArray[Any]], float],
    n_pr: int,
    *,
    higher_is_better: bool = True,
    resamples: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> Interval:
    """Bootstrap PR - base when the two models scored different rows (data or split changed).

    Each side is resampled on its own; the interval is wider because nothing cancels.
    """
    rng = np.random.default_rng(seed)
    draws = []
    if n_base and n_pr:
        for _ in range(resamples):
            base = metric_base(rng.integers(0, n_base, n_base))
            draws.append(metric_pr(rng.integers(0, n_pr, n_pr)) - base)
    point = metric_pr(np.arange(n_pr)) - metric_base(np.arange(n_base))
    n = min(n_base, n_pr)
    return _interval(point, draws, n, higher_is_better, confidence, paired=False)


@dataclass(frozen=True)
class McNemar:
    """McNemar's test on paired correctness: do the models err on different rows more than chance?"""

    b: int  # base right, PR wrong
    c: int  # base wrong, PR right
    statistic: float  # chi-square with continuity correction
    pvalue: float  # exact binomial when b + c < 25, chi-square otherwise
    exact: bool


def mcnemar(correct_base: NDArray[Any], correct_pr: NDArray[Any]) -> McNemar:
    """Rows where only one model is right carry all the evidence; agreement says nothing."""
    from scipy import stats

    base = np.asarray(correct_base, dtype=bool)
    pr = np.asarray(correct_pr, dtype=bool)
    b = int(np.sum(base & ~pr))
    c = int(np.sum(~base & pr))
    discordant = b + c
    if discordant == 0:
        return McNemar(b, c, 0.0, 1.0, exact=True)
    statistic = float((abs(b - c) - 1) ** 2 / discordant) if abs(b - c) > 1 else 0.0
    if discordant < 25:
        pvalue = float(stats.binomtest(b, discordant, 0.5).pvalue)
        return McNemar(b, c, statistic, min(pvalue, 1.0), exact=True)
    return McNemar(b, c, statistic, float(stats.chi2.sf(statistic, df=1)), exact=False)


def _psi_from_counts(ref_counts: NDArray[Any], cur_counts: NDArray[Any]) -> float:
    ref = np.maximum(ref_counts / ref_counts.sum(), EPSILON)
    cur = np.maximum(cur_counts / cur_counts.sum(), EPSILON)
    return float(max(np.sum((cur - ref) * np.log(cur / ref)), 0.0))


def _finite(values: NDArray[Any]) -> NDArray[Any]:
    array = np.asarray(values, dtype=float)
    finite: NDArray[Any] = array[np.isfinite(array)]
    return finite


def psi(reference: NDArray[Any], current: NDArray[Any], bins: int = 10) -> float:
    """Population stability index over quantile bins of `reference` (missing values ignored).

    Quantile bins give each bin about the same reference mass, so a skewed column still gets
    resolution where its data are; NaN only when one side has no values at all.
    """
    ref, cur = _finite(reference), _finite(current)
    if ref.size == 0 or cur.size == 0:
        return float("nan")
    values = np.unique(ref)
    if values.size <= bins:
        # Few distinct values (flags, counts): one bin per value plus one for unseen values.
        # Quantile edges would sit on the point masses and could hide a shift entirely.
        ref_idx = np.searchsorted(values, ref)
        pos = np.minimum(np.searchsorted(values, cur), values.size - 1)
        cur_idx = np.where(values[pos] == cur, pos, values.size)
        size = values.size + 1
    else:
        edges = np.unique(np.quantile(ref, np.linspace(0.0, 1.0, bins + 1)[1:-1]))
        ref_idx = np.searchsorted(edges, ref, side="right")
        cur_idx = np.searchsorted(edges, cur, side="right")
        size = edges.size + 1
    ref_counts = np.bincount(ref_idx, minlength=size)
    cur_counts = np.bincount(cur_idx, minlength=size)
    return _psi_from_counts(ref_counts.astype(float), cur_counts.astype(float))


def _category_counts(reference: pd.Series, current: pd.Series) -> tuple[NDArray[Any], NDArray[Any]]:
    ref = reference.dropna().astype(str).value_counts()
    cur = current.dropna().astype(str).value_counts()
    categories = sorted(set(ref.index) | set(cur.index))
    return (
        ref.reindex(categories, fill_value=0).to_numpy(dtype=float),
        cur.reindex(categories, fill_value=0).to_numpy(dtype=float),
    )


def psi_categorical(reference: pd.Series, current: pd.Series) -> float:
    """PSI with one bin per category; a category seen on one side only counts with EPSILON."""
    ref, cur = _category_counts(reference, current)
    if ref.sum() == 0 or cur.sum() == 0:
        return float("nan")
    return _psi_from_counts(ref, cur)


def ks(reference: NDArray[Any], current: NDArray[Any]) -> tuple[float, float]:
    """Two-sample Kolmogorov-Smirnov statistic and p-value (missing values ignored)."""
    from scipy import stats

    ref, cur = _finite(reference), _finite(current)
    if ref.size == 0 or cur.size == 0:
        return float("nan"), float("nan")
    result = stats.ks_2samp(ref, cur)
    return float(result.statistic), float(result.pvalue)


def chi2(reference: pd.Series, current: pd.Series) -> tuple[float, float]:
    """Chi-square test that both samples share one category distribution."""
    from scipy import stats

    ref, cur = _category_counts(reference, current)
    if ref.sum() == 0 or cur.sum() == 0:
        return float("nan"), float("nan")
    if ref.size < 2:
        return 0.0, 1.0
    statistic, pvalue, _, _ = stats.chi2_contingency(np.vstack([ref, cur]), correction=False)
    return float(statistic), float(pvalue)


@dataclass(frozen=True)
class ColumnDrift:
    """How far one column moved between a reference and a current sample."""

    column: str
    kind: str  # "numeric" | "categorical"
    psi: float
    missing_ref: float
    missing_cur: float
    ks_stat: float | None = None
    ks_pvalue: float | None = None
    chi2_stat: float | None = None
    chi2_pvalue: float | None = None

    @property
    def missing_change(self) -> float:
        return self.missing_cur - self.missing_ref


def is_numeric(series: pd.Series) -> bool:
    """Numbers are binned; booleans and everything else are treated as categories."""
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _missing_rate(series: pd.Series) -> float:
    return float(series.isna().mean()) if len(series) else 0.0


def _one_column(name: str, ref: pd.Series, cur: pd.Series, bins: int) -> ColumnDrift:
    missing = (_missing_rate(ref), _missing_rate(cur))
    if is_numeric(ref) and is_numeric(cur):
        ref_values, cur_values = ref.to_numpy(dtype=float), cur.to_numpy(dtype=float)
        stat, pvalue = ks(ref_values, cur_values)
        score = psi(ref_values, cur_values, bins)
        return ColumnDrift(name, NUMERIC, score, *missing, ks_stat=stat, ks_pvalue=pvalue)
    stat, pvalue = chi2(ref, cur)
    score = psi_categorical(ref, cur)
    return ColumnDrift(name, CATEGORICAL, score, *missing, chi2_stat=stat, chi2_pvalue=pvalue)


def column_drift(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    columns: list[str] | None = None,
    bins: int = 10,
) -> list[ColumnDrift]:
    """Drift of every column both frames share (or of `columns`), top movers first.

    Sorted by PSI, then by missing-rate change, then by name, so the order is stable.
    """
    names = columns if columns is not None else [c for c in reference if c in current]
    results = [_one_column(str(c), reference[c], current[c], bins) for c in names]

    def key(d: ColumnDrift) -> tuple[float, float, str]:
        score = d.psi if math.isfinite(d.psi) else -1.0
        return (-score, -abs(d.missing_change), d.column)

    return sorted(results, key=key)
