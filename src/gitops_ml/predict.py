"""Score a frame with a trained pipeline: the one code path for evaluate, report and serving."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gitops_ml.config import ROW_ID
from gitops_ml.data import FeatureSpec
from gitops_ml.metrics import PROBA_PREFIX, Scored


def score(pipeline: Any, frame: pd.DataFrame, spec: FeatureSpec) -> Scored:
    features = frame[spec.columns]
    y_pred = pipeline.predict(features)
    proba, classes = None, []
    if hasattr(pipeline, "predict_proba") and hasattr(pipeline, "classes_"):
        proba = np.asarray(pipeline.predict_proba(features), dtype=float)
        classes = list(pipeline.classes_)
    return Scored(frame[spec.target].to_numpy(), np.asarray(y_pred), proba, classes)


def to_frame(scored: Scored, row_ids: pd.Series) -> pd.DataFrame:
    """Per-row predictions as written to the predictions file (row id, truth, prediction, probabilities)."""
    out = pd.DataFrame(
        {ROW_ID: row_ids.to_numpy(), "y_true": scored.y_true, "y_pred": scored.y_pred}
    )
    if scored.proba is not None:
        for i, cls in enumerate(scored.classes):
            out[f"{PROBA_PREFIX}{cls}"] = scored.proba[:, i]
    return out
