"""The embedded sample datasets: scikit-learn's bundled tables, written deterministically.

Nothing is downloaded: these ship inside scikit-learn. The default is breast cancer
(569 rows, 30 numeric features, binary target); wine (multiclass) and diabetes
(regression) show the other tasks with params changes only.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from gitops_ml.core.atomic import atomic_path
from gitops_ml.core.params import format_of

DATASETS = {
    # name: (loader, target column, label names or None for regression)
    "breast_cancer": ("load_breast_cancer", "diagnosis", ["malignant", "benign"]),
    "wine": ("load_wine", "cultivar", ["cultivar_a", "cultivar_b", "cultivar_c"]),
    "iris": ("load_iris", "species", ["setosa", "versicolor", "virginica"]),
    "diabetes": ("load_diabetes", "progression", None),
}
DEFAULT_PATH = Path("data/breast_cancer.csv")


def _snake(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_")


def frame(name: str = "breast_cancer") -> pd.DataFrame:
    import sklearn.datasets

    loader, target, labels = DATASETS[name]
    bunch = getattr(sklearn.datasets, loader)(as_frame=True)
    features: pd.DataFrame = bunch.data.rename(columns=_snake)
    y = bunch.target
    values = y.map(dict(enumerate(labels))) if labels else y.astype(float)
    out: pd.DataFrame = features.assign(**{target: values.to_numpy()})
    return out


def write(name: str = "breast_cancer", path: Path = DEFAULT_PATH) -> Path:
    """Write a bundled dataset, CSV unless the name says Parquet; the bytes depend only on
    the scikit-learn (and pyarrow) release."""
    with atomic_path(path) as tmp:
        if format_of(path) == "parquet":
            frame(name).to_parquet(tmp, index=False, engine="pyarrow")
        else:
            frame(name).to_csv(tmp, index=False, lineterminator="\n")
    return path
