"""`make init` on a real template copy: good data passes and says what to commit; data that
does not match params.yaml fails before any training, naming the file, the field and the fix."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Project

pytestmark = pytest.mark.slow


def test_init_on_the_sample_says_it_matches_and_what_to_commit(template: Project) -> None:
    template.make("data")
    out = template.make("init")
    assert "init: data/breast_cancer.csv matches params.yaml: 569 rows, 30 numeric" in out.stdout
    assert "target 'diagnosis' (binary, 2 classes)" in out.stdout
    assert "data/ already matches data.dvc" in out.stdout
    assert "dvc add data" not in out.stdout  # nothing to record: the sample is data.dvc's
    assert "git add data.dvc params.yaml dvc.lock metrics/" in out.stdout
    assert template.git("status", "--porcelain").stdout == ""  # init changes nothing
    assert not (template.root / "artifacts").exists()


WINE = {
    "data.path": "data/wine.csv",
    "data.target": "cultivar",
    "data.task": "multiclass",
    "data.positive_class": None,
    "evaluate.primary_metric": "accuracy",
    "evaluate.slices": [],  # the template's name sample columns; make check reads the header
    "model_tests.invariance": [],
    "model_tests.directional": [],
    "model_tests.required_features": [],
}


@pytest.mark.parametrize(
    ("dataset", "updates", "expected"),
    [
        (
            "wine",
            {**WINE, "data.target": "Cultivar"},
            [
                "data/wine.csv: data.target='Cultivar': target column not found "
                "(did you mean 'cultivar'?)",
                "fix: set data.target in params.yaml to one of:",
            ],
        ),
        (
            "wine",
            {
                **WINE,
                "data.task": "regression",
                "evaluate.primary_metric": "rmse",
                "model.estimator": "sklearn.linear_model.Ridge",
                "model.params": {},
                "tune.params": {},
            },
            [
                "task is regression but the target holds labels ('cultivar_a'",
                "fix: set data.task in params.yaml to binary or multiclass",
            ],
        ),
        (
            "wine",
            {k: v for k, v in WINE.items() if not k.startswith("model_tests")},
            [
                "params.yaml: model_tests.invariance[0].column: 'mean_radius' is not a "
                "numeric feature of the model",
                "fix: use one of: alcohol, malic_acid",
            ],
        ),
    ],
    ids=[
        "misspelt-target",
        "regression-on-labels",
        "model-test-on-a-sample-column",
    ],
)
def test_init_refuses_data_that_does_not_fit_the_params(
    template: Project, dataset: str, updates: dict[str, Any], expected: list[str]
) -> None:
    template.cli("sample-data", "--dataset", dataset)
    template.set_params(**updates)
    out = template.cli("init", check=False)
    assert out.returncode != 0
    for text in expected:
        assert text in out.stderr, out.stderr
    assert "Traceback" not in out.stderr
    assert not (template.root / "artifacts").exists()
