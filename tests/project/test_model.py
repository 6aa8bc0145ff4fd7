"""Your params.yaml and your data train a model that passes the tests params.yaml declares.

Unlike the template's tests (which run on their own fixture params), this reads your
params.yaml: it fails when your configuration, your data or your pipeline stop agreeing.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import copy_repository


@pytest.mark.slow
def test_your_params_and_data_train_a_model_that_passes_its_model_tests(tmp_path: Path) -> None:
    project = copy_repository(tmp_path / "repo", params=None)  # params.yaml as committed
    project.cli("data")
    project.cli("check")
    project.dvc("repro")
    result = project.make("test-model")  # exits non-zero when any model test fails
    assert re.search(r"test-model: [1-9]\d* passed, 0 failed", result.stdout), result.stdout
