"""Small mixed frames (numeric with gaps, a categorical with gaps) and params for them, for
tests that need a fitted pipeline without the pipeline stages."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gitops_ml.core import params
from gitops_ml.core.data import FeatureSpec

ESTIMATORS = {
    "binary": "sklearn.linear_model.LogisticRegression",
    "multiclass": "sklearn.ensemble.HistGradientBoostingClassifier",
    "regression": "sklearn.ensemble.RandomForestRegressor",
}


def make_params(task: str, estimator: str | None = None, **hyper: object) -> params.Params:
    metric = {"binary": "roc_auc", "multiclass": "accuracy", "regression": "rmse"}[task]
    return params.parse(
        {
            "data": {"path": "data/x.csv", "target": "y", "task": task},
            "model": {"estimator": estimator or ESTIMATORS[task], "params": hyper},
            "evaluate": {"primary_metric": metric},
        }
    )


def mixed_frame(task: str, n: int = 120, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    frame = pd.DataFrame(
        {
            "x": np.where(rng.random(n) < 0.1, np.nan, x),
            "z": rng.normal(size=n),
            "colour": rng.choice(["red", "green", None], size=n),
        }
    )
    if task == "regression":
        frame["y"] = 3 * x + rng.normal(scale=0.1, size=n)
    elif task == "binary":
        frame["y"] = np.where(x > 0, "yes", "no")
    else:
        frame["y"] = np.select([x < -0.5, x > 0.5], ["low", "high"], "mid")
    return frame


SPEC = FeatureSpec(numeric=["x", "z"], categorical=["colour"], target="y")
