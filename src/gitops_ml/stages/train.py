"""train: prepared train split -> scikit-learn pipeline from params -> skops model file."""

from __future__ import annotations

import pandas as pd

from gitops_ml import config, model, params
from gitops_ml.data import FeatureSpec
from gitops_ml.errors import exit_on_user_error


@exit_on_user_error
def main() -> None:
    p = params.load()
    spec = FeatureSpec.load()
    train = pd.read_parquet(config.TRAIN_FILE)
    pipeline = model.build_pipeline(p, spec)
    pipeline.fit(train[spec.columns], train[spec.target])
    model.save(pipeline, config.MODEL_FILE)
    print(f"train: {p.model.estimator} fitted on {len(train)} rows -> {config.MODEL_FILE}")


if __name__ == "__main__":
    main()
