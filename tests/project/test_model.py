"""Your params.yaml and your data reproduce the committed dvc.lock and train a model that
passes the tests params.yaml declares.

Unlike the template's tests (which run on their own fixture params), these read your
params.yaml: they fail when your configuration, your data or your pipeline stop agreeing
with what you committed.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, copy_repository

# dvc.lock is committed from this interpreter line; other Pythons resolve other releases
# of pandas/NumPy (see requirements.lock), whose Parquet files differ in metadata.
REFERENCE_PYTHON = (3, 11)


@pytest.mark.slow
def test_your_params_and_data_reproduce_the_lock_and_pass_the_model_tests(tmp_path: Path) -> None:
    project = copy_repository(tmp_path / "repo", params=None)  # params.yaml as committed
    committed = project.file_bytes("dvc.lock")
    if (REPO_ROOT / "data").is_dir():  # your data, as `make data` left it here
        shutil.copytree(REPO_ROOT / "data", project.root / "data")
    project.make("data")  # else from the DVC remote, or the embedded sample
    project.make("check")
    assert project.repro("-f") == project.stages_from()
    if sys.version_info[:2] == REFERENCE_PYTHON:
        assert project.file_bytes("dvc.lock") == committed, "dvc repro -f changed dvc.lock"
        assert project.git("status", "--porcelain").stdout == ""
    result = project.make("test-model")  # exits non-zero when any model test fails
    assert re.search(r"test-model: [1-9]\d* passed, 0 failed", result.stdout), result.stdout
