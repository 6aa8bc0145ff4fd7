"""Every worked example's params.yaml is valid and has the template's sections, so copying
it over params.yaml is the whole switch (the full runs are in tests/template/integration)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gitops_ml.core import params
from tests.conftest import FIXTURE_PARAMS, REPO_ROOT

EXAMPLES = sorted((REPO_ROOT / "examples").glob("*/params.yaml"))


def test_there_are_examples_for_each_task() -> None:
    tasks = {yaml.safe_load(p.read_text())["data"]["task"] for p in EXAMPLES}
    assert tasks == {"binary", "multiclass", "regression"}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.parent.name)
def test_example_params_are_valid_and_complete(path: Path) -> None:
    raw = yaml.safe_load(path.read_text())
    parsed = params.load(path)
    # The fixture's `search:` (in-process refits on the test machine) is its own: the
    # template ships that section at its defaults, i.e. absent.
    template = set(yaml.safe_load(FIXTURE_PARAMS.read_text())) - {"search"}
    assert set(raw) == template  # no section left at the sample's settings
    assert parsed.data.path.startswith("data/")
    readme = (path.parent / "README.md").read_text()
    assert "make sample-data" in readme  # says how to get the example's data
