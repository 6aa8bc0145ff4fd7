"""make explain: per-step outputs and contributions that add up (linear) or are occlusions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gitops_ml.core import params
from gitops_ml.core.data import FeatureSpec
from gitops_ml.serving import explain
from tests.conftest import team_builder

SPEC = FeatureSpec(["size", "count"], ["city"], "y")


def make_params(estimator: str, task: str = "binary") -> params.Params:
    metric = "rmse" if task == "regression" else "accuracy"
    return params.parse(
        {
            "data": {"path": "data/x.csv", "target": "y", "task": task},
            "model": {"estimator": estimator},
            "evaluate": {"primary_metric": metric},
        }
    )


def frame(n: int = 120) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    size = rng.normal(3.0, 1.0, n)
    city = rng.choice(["paris", "rome", "oslo"], n)
    y = np.where(size + (city == "rome") + rng.normal(0, 0.3, n) > 3.4, "yes", "no")
    return pd.DataFrame({"size": size, "count": rng.integers(0, 10, n), "city": city, "y": y})


def fitted(estimator: str, task: str = "binary") -> tuple[object, params.Params, pd.DataFrame]:
    p = make_params(estimator, task)
    df = frame()
    if task == "regression":
        df["y"] = df["size"] * 2.0 + df["count"]
    pipeline = team_builder()(p, SPEC)
    pipeline.fit(df[SPEC.columns], df["y"])
    return pipeline, p, df


def test_linear_contributions_and_intercept_add_up_to_the_decision_function() -> None:
    pipeline, p, df = fitted("sklearn.linear_model.LogisticRegression")
    row = df.iloc[[7]].reset_index(drop=True)
    result = explain.explain(pipeline, row, SPEC, df, p)
    assert result.method.startswith("linear")
    assert result.score == pytest.approx(pipeline.decision_function(row[SPEC.columns])[0])
    names = [c.feature for c in result.contributions]
    assert names == ["size", "count", "city_oslo", "city_paris", "city_rome"]
    onehot = {c.feature: c.value for c in result.contributions if c.feature.startswith("city_")}
    assert onehot[f"city_{row['city'][0]}"] == 1.0 and sum(onehot.values()) == 1.0


def test_linear_regression_contributions_add_up_to_the_prediction() -> None:
    pipeline, p, df = fitted("sklearn.linear_model.Ridge", task="regression")
    row = df.iloc[[3]].reset_index(drop=True)
    result = explain.explain(pipeline, row, SPEC, df, p)
    assert result.score == pytest.approx(pipeline.predict(row[SPEC.columns])[0])


def test_occlusion_is_the_score_change_when_a_feature_takes_its_reference() -> None:
    pipeline, p, df = fitted("sklearn.ensemble.HistGradientBoostingClassifier")
    row = df.loc[[df["size"].idxmax()]].reset_index(drop=True)  # far from the median
    result = explain.explain(pipeline, row, SPEC, df, p)
    assert result.method.startswith("occlusion") and result.score_name == "P(yes)"
    base = pipeline.predict_proba(row[SPEC.columns])[0, 1]
    assert result.score == pytest.approx(base)
    refs = explain.references(df, SPEC)
    assert refs["size"] == pytest.approx(df["size"].median())
    assert refs["city"] == df["city"].value_counts().index[0]
    for c in result.contributions:
        changed = row[SPEC.columns].astype({"size": float, "count": float})
        changed.loc[0, c.feature] = refs[c.feature]
        expected = base - pipeline.predict_proba(changed)[0, 1]
        assert c.contribution == pytest.approx(expected), c.feature
    size = next(c for c in result.contributions if c.feature == "size")
    assert abs(size.contribution) > 0.0  # the label depends on size: occluding it matters


def test_every_preprocessing_step_is_shown_with_feature_names() -> None:
    pipeline, _, df = fitted("sklearn.linear_model.LogisticRegression")
    row = df.iloc[[0]].reset_index(drop=True)
    steps = {name: (names, values) for name, names, values in explain.step_outputs(pipeline, row)}
    assert list(steps) == [
        "numeric/impute",
        "numeric/scale",
        "categorical/impute",
        "categorical/encode",
    ]
    names, values = steps["numeric/scale"]
    assert names == ["size", "count"]
    assert values[0] == pytest.approx((row["size"][0] - df["size"].mean()) / df["size"].std(ddof=0))
    assert steps["categorical/encode"][0] == ["city_oslo", "city_paris", "city_rome"]


def test_only_occlusion_reads_the_train_split() -> None:
    reads: list[str] = []
    for estimator in (
        "sklearn.linear_model.LogisticRegression",
        "sklearn.tree.DecisionTreeClassifier",
    ):
        pipeline, p, df = fitted(estimator)

        def reader(df: pd.DataFrame = df, name: str = estimator) -> pd.DataFrame:
            reads.append(name)
            return df

        explain.explain(pipeline, df.iloc[[0]].reset_index(drop=True), SPEC, reader, p)
    assert reads == ["sklearn.tree.DecisionTreeClassifier"]  # linear: exact, no medians needed
