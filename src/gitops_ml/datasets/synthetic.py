"""Synthetic data of any size with the sample's schema: for scale tests and benchmarks.

The 30 numeric columns are drawn per class from a multivariate log-normal fitted on the
embedded breast-cancer sample (so they keep its ranges, correlations and signal), eight
categorical columns have level probabilities that shift with the class (one is pure
noise), a few percent of values are missing and a few labels are flipped, so a model
learns something without the task being trivial. Everything is vectorised NumPy and
depends only on the seed: the same seed gives the same bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from gitops_ml.core.atomic import atomic_path

if TYPE_CHECKING:
    from numpy.typing import NDArray

TARGET = "diagnosis"
# name: (number of levels, how strongly the class shifts the level probabilities)
CATEGORICAL: dict[str, tuple[int, float]] = {
    "clinic": (12, 0.6),
    "scanner": (4, 0.3),
    "region": (9, 0.4),
    "age_band": (7, 0.9),
    "referral": (5, 0.5),
    "smoker": (2, 0.6),
    "family_history": (3, 0.8),
    "batch": (40, 0.0),  # high cardinality, no signal: the model must learn to ignore it
}
NUMERIC_MISSING = 0.02  # share of missing values in every fourth numeric column
CATEGORICAL_MISSING = 0.05
LABEL_NOISE = 0.03


def default_path(rows: int, suffix: str = "parquet") -> Path:
    return Path("data") / f"synthetic_{rows}.{suffix}"


def _class_models(
    seed_frame: pd.DataFrame,
) -> tuple[list[str], list[str], NDArray[Any], list[tuple[NDArray[Any], NDArray[Any]]]]:
    """Class labels, their prior, and per-class mean + Cholesky factor in log1p space."""
    numeric = [c for c in seed_frame.columns if c != TARGET]
    labels = sorted(seed_frame[TARGET].unique())
    prior = seed_frame[TARGET].value_counts(normalize=True)[labels].to_numpy()
    moments = []
    for label in labels:
        logs = np.log1p(seed_frame.loc[seed_frame[TARGET] == label, numeric].to_numpy())
        cov = np.cov(logs, rowvar=False) + np.eye(len(numeric)) * 1e-9
        moments.append((logs.mean(axis=0), np.linalg.cholesky(cov)))
    return numeric, labels, prior, moments


def _categorical(
    rng: np.random.Generator, classes: NDArray[Any], n_classes: int
) -> dict[str, pd.Categorical]:
    """Each column: base level probabilities, tilted per class by `strength`."""
    columns = {}
    for name, (levels, strength) in CATEGORICAL.items():
        base = rng.dirichlet(np.full(levels, 2.0))
        tilt = np.exp(strength * rng.standard_normal((n_classes, levels)))
        probs = base * tilt
        probs /= probs.sum(axis=1, keepdims=True)
        uniform = rng.random(len(classes))
        codes = np.empty(len(classes), dtype=np.int16)
        for k in range(n_classes):
            rows = classes == k
            cumulative = np.cumsum(probs[k])
            codes[rows] = np.minimum(np.searchsorted(cumulative, uniform[rows]), levels - 1)
        codes[rng.random(len(classes)) < CATEGORICAL_MISSING] = -1
        names = [f"{name}_{i:02d}" for i in range(levels)]
        # pandas-stubs wants an Index of categories (and, in 2.x for Python 3.10, codes as a
        # Sequence); pandas takes any list-like for both. 3.x reports call-overload, 2.x arg-type.
        columns[name] = pd.Categorical.from_codes(codes, categories=names)  # type: ignore[call-overload, arg-type, unused-ignore]
    return columns


def frame(rows: int, seed: int = 42) -> pd.DataFrame:
    """A synthetic table with the breast-cancer schema plus categorical columns."""
    from gitops_ml.datasets import bundled

    numeric, labels, prior, moments = _class_models(bundled.frame("breast_cancer"))
    rng = np.random.default_rng(seed)
    classes = rng.choice(len(labels), size=rows, p=prior)
    values = np.empty((rows, len(numeric)), dtype=np.float64)
    for k, (mean, chol) in enumerate(moments):
        idx = np.flatnonzero(classes == k)
        values[idx] = rng.standard_normal((len(idx), len(numeric))) @ chol.T + mean
    np.expm1(values, out=values)
    np.maximum(values, 0.0, out=values)
    for j in range(0, len(numeric), 4):
        values[rng.random(rows) < NUMERIC_MISSING, j] = np.nan
    out: pd.DataFrame = pd.DataFrame(values, columns=numeric)
    for name, column in _categorical(rng, classes, len(labels)).items():
        out[name] = column
    flip = rng.random(rows) < LABEL_NOISE
    observed = np.where(flip, len(labels) - 1 - classes, classes)
    out[TARGET] = np.asarray(labels, dtype=object)[observed]
    out[TARGET] = out[TARGET].astype(str)
    return out


def write(rows: int, seed: int = 42, path: Path | None = None) -> Path:
    """Write the table atomically; Parquet (dictionary-encoded categoricals) unless `.csv`."""
    path = Path(path) if path is not None else default_path(rows)
    table = frame(rows, seed)
    with atomic_path(path) as tmp:
        if path.suffix.lower() == ".csv":
            table.to_csv(tmp, index=False, lineterminator="\n")
        else:
            table.to_parquet(tmp, index=False, engine="pyarrow")
    return path
