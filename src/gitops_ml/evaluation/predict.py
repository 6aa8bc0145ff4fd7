"""Score a frame with a trained pipeline: the one code path for evaluate, report and serving."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from gitops_ml.core.config import MODEL_FILE, ROW_ID
from gitops_ml.core.data import FeatureSpec
from gitops_ml.core.errors import UserError
from gitops_ml.evaluation.metrics import PROBA_PREFIX, Scored

if TYPE_CHECKING:
    from numpy.typing import NDArray

STABILITY_ROWS = 1000  # train rows the fitted model predicts once, to catch a blow-up early
MAX_TARGET_RANGES = 1000.0  # regression predictions this many target ranges away: unstable
UNSTABLE_FIX = (
    "the model is numerically unstable: scale extreme inputs (model.scale_numeric: true), "
    "lower the learning rate or regularise more under model.params in params.yaml"
)


def _outputs(estimator: Any, features: Any) -> tuple[NDArray[Any], NDArray[Any] | None, list[Any]]:
    y_pred = np.asarray(estimator.predict(features))
    if hasattr(estimator, "predict_proba") and hasattr(estimator, "classes_"):
        proba = np.asarray(estimator.predict_proba(features), dtype=float)
        return y_pred, proba, list(estimator.classes_)
    return y_pred, None, []


def require_finite(y_pred: NDArray[Any], proba: NDArray[Any] | None, source: str) -> None:
    """Refuse NaN or infinite predictions (ML Test Score Mo5): never write or serve them."""
    bad = ~np.isfinite(y_pred) if y_pred.dtype.kind in "fc" else np.zeros(len(y_pred), bool)
    if proba is not None:
        bad |= ~np.isfinite(proba).all(axis=1)
    if bad.any():
        raise UserError(
            source,
            "predictions",
            f"{int(bad.sum())} of {len(bad)} rows are NaN or infinite",
            UNSTABLE_FIX,
        )


def score(pipeline: Any, frame: pd.DataFrame, spec: FeatureSpec) -> Scored:
    y_pred, proba, classes = _outputs(pipeline, frame[spec.columns])
    require_finite(y_pred, proba, str(MODEL_FILE))
    return Scored(frame[spec.target].to_numpy(), y_pred, proba, classes)


def check_stability(estimator: Any, features: Any, target: pd.Series, task: str) -> None:
    """After fitting: predictions on the first train rows are finite and, for regression,
    within MAX_TARGET_RANGES ranges of the targets (a diverged fit predicts 1e28)."""
    n = min(STABILITY_ROWS, len(target))
    sample = features.iloc[:n] if hasattr(features, "iloc") else features[:n]
    y_pred, proba, _ = _outputs(estimator, sample)
    require_finite(y_pred, proba, str(MODEL_FILE))
    if task != "regression":
        return
    low, high = float(target.min()), float(target.max())
    reach = MAX_TARGET_RANGES * max(high - low, 1e-12)
    worst = float(np.max(np.abs(y_pred - (low + high) / 2)))
    if worst > reach:
        raise UserError(
            str(MODEL_FILE),
            "predictions",
            f"train-row predictions reach {worst:.3g} away from targets in [{low:.4g}, {high:.4g}]",
            UNSTABLE_FIX,
        )


def to_frame(scored: Scored, row_ids: pd.Series) -> pd.DataFrame:
    """Per-row predictions as written to the predictions file (row id, truth, prediction, probabilities)."""
    out: pd.DataFrame = pd.DataFrame(
        {ROW_ID: row_ids.to_numpy(), "y_true": scored.y_true, "y_pred": scored.y_pred}
    )
    if scored.proba is not None:
        for i, cls in enumerate(scored.classes):
            out[f"{PROBA_PREFIX}{cls}"] = scored.proba[:, i]
    return out
