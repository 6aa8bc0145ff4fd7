"""The one hook from the machinery into the team's code: pyproject.toml names the builder."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from gitops_ml.core import hook
from gitops_ml.core.errors import UserError
from tests.conftest import TEAM


def _pyproject(tmp_path: Path, table: str) -> Path:
    path = tmp_path / "pyproject.toml"
    path.write_text(f'[project]\nname = "x"\n\n{table}')
    return path


def test_the_builder_is_the_function_pyproject_names(tmp_path: Path) -> None:
    path = _pyproject(tmp_path, f'[tool.gitops-ml]\npipeline = "{TEAM}.pipeline:build_pipeline"\n')
    teams = importlib.import_module(f"{TEAM}.pipeline")

    assert hook.pipeline_builder(path) is teams.build_pipeline


def test_another_builder_can_be_named_without_touching_the_machinery(tmp_path: Path) -> None:
    path = _pyproject(tmp_path, '[tool.gitops-ml]\npipeline = "json:dumps"\n')
    import json

    assert hook.pipeline_builder(path) is json.dumps


def test_without_the_table_the_template_builder_is_named(tmp_path: Path) -> None:
    path = _pyproject(tmp_path, "")
    assert hook.declared(path) == "ml_project.pipeline:build_pipeline"
    assert hook.package(path) == "ml_project"


def test_the_teams_package_is_the_hooks_top_level_module(tmp_path: Path) -> None:
    path = _pyproject(tmp_path, '[tool.gitops-ml]\npipeline = "churn_model.models.gbm:build"\n')
    assert hook.package(path) == "churn_model"


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ('"json.dumps"', "is not 'module:function'"),
        ('"no_such_package.pipeline:build_pipeline"', "cannot import 'no_such_package.pipeline'"),
        ('"json:no_such_function"', "has no function 'no_such_function'"),
    ],
)
def test_a_wrong_hook_names_pyproject_and_the_key(tmp_path: Path, value: str, problem: str) -> None:
    path = _pyproject(tmp_path, f"[tool.gitops-ml]\npipeline = {value}\n")
    with pytest.raises(UserError) as err:
        hook.pipeline_builder(path)
    assert err.value.file == str(path)
    assert err.value.field == "tool.gitops-ml.pipeline"
    assert problem in err.value.problem
