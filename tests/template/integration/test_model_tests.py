"""`make test-model` on a trained copy: passes for the default model, fails when it should."""

from __future__ import annotations

import re

import pytest

from tests.conftest import Project

pytestmark = pytest.mark.slow


def lines(output: str, verdict: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith(verdict)]


def test_default_model_passes_every_declared_model_test(trained: Project) -> None:
    proc = trained.make("test-model")
    assert lines(proc.stdout, "FAIL") == []
    passed = "\n".join(lines(proc.stdout, "PASS"))
    for name in (
        "model loads safely",
        "quality floor: roc_auc=",
        "model size",
        "latency",
        "serving memory: ",
        "invariance: noise 0.01 std on mean_radius",
        "directional: +1.0 std of worst_area -> increase",
        "required feature used: worst_concave_points",
        "train/serve skew: raw rows vs prepared split: 113 rows; same predictions: True",
    ):
        assert name in passed


def test_violated_expectations_and_limits_fail_with_exit_1(trained: Project) -> None:
    params = trained.read_params()
    params["gate"]["floor"] = 0.9999
    tests = params["model_tests"]
    tests["max_model_bytes"] = 1000
    tests["max_latency_ms_per_1000_rows"] = 0.001
    tests["max_serving_memory_mb"] = 10  # below what Python alone takes
    tests["directional"][0]["direction"] = "decrease"  # larger tumours look less malignant?
    tests["invariance"] = [{"column": "worst_concave_points", "noise": 3.0}]  # not irrelevant
    trained.set_params(model_tests=tests, gate=params["gate"])
    proc = trained.cli("test-model", check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    failed = "\n".join(lines(proc.stdout, "FAIL"))
    assert re.search(r"quality floor: FAILED: roc_auc 0\.\d{4} is below the floor 0\.9999", failed)
    assert "model size" in failed
    assert re.search(r"latency: [\d.]+ ms per 1000 rows \(limit 0\.001\)", failed)
    assert re.search(
        r"serving memory: \d+ MB peak to load the model and score 113 rows \(limit 10", failed
    )
    assert "directional: +1.0 std of worst_area -> decrease" in failed
    assert "invariance: noise 3.0 std on worst_concave_points" in failed
    assert "FAILED" in proc.stderr and "Traceback" not in proc.stderr


def test_model_tests_naming_an_unknown_column_is_a_user_error(trained: Project) -> None:
    trained.set_params(**{"model_tests.required_features": ["worst_areaa"]})
    proc = trained.cli("test-model", check=False)
    assert proc.returncode == 2
    assert "params.yaml: model_tests.required_features[0]: 'worst_areaa' is not a feature" in (
        proc.stderr
    )
    assert "Traceback" not in proc.stderr


def test_a_prepared_split_that_drifted_from_the_raw_data_fails_the_skew_test(
    trained: Project,
) -> None:
    """Training and serving disagree when the prepared rows are not what serving would read:
    here worst_area x1.5 in the test split, as a units bug in a preparation step would do."""
    import pandas as pd

    path = trained.root / "artifacts/prepared/test.parquet"
    test = pd.read_parquet(path)
    test.assign(worst_area=test.worst_area * 1.5).to_parquet(path, index=False)
    proc = trained.cli("test-model", check=False)
    assert proc.returncode == 1
    failed = "\n".join(lines(proc.stdout, "FAIL"))
    assert re.search(
        r"train/serve skew: raw rows vs prepared split: 113 rows; same predictions: \w+; largest difference [1-9]",
        failed,
    )
