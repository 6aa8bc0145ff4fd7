"""The one seam where the machinery reaches the team's code.

The PR checks (tune-check, feature-cost, train-cost), the evaluate stage's baselines and
`make check` must fit exactly the pipeline the train stage fits, yet the machinery must
never import the team's package by name (a renamed or rewritten package would silently
fall out of the checks). pyproject.toml names the builder once:

    [tool.gitops-ml]
    pipeline = "ml_project.pipeline:build_pipeline"
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitops_ml.core.errors import UserError

if TYPE_CHECKING:
    from gitops_ml.core.data import FeatureSpec
    from gitops_ml.core.params import Params

PYPROJECT = Path("pyproject.toml")
KEY = "tool.gitops-ml.pipeline"
DEFAULT = "ml_project.pipeline:build_pipeline"

Builder = Callable[["Params", "FeatureSpec"], Any]


def declared(path: Path = PYPROJECT) -> str:
    """The `module:function` pyproject.toml names (the default when it names none)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    if not path.exists():
        return DEFAULT
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise UserError(str(path), KEY, f"cannot read the file ({err})", "fix its TOML") from None
    value = table.get("tool", {}).get("gitops-ml", {}).get("pipeline", DEFAULT)
    if not isinstance(value, str) or value.count(":") != 1:
        raise UserError(
            str(path), KEY, f"{value!r} is not 'module:function'", f'e.g. pipeline = "{DEFAULT}"'
        )
    return value


def package(path: Path = PYPROJECT) -> str:
    """The team's top-level package (`ml_project` unless named otherwise at copy time), from
    the hook's module: tools that run a stage or a benchmark by module name read it here."""
    return declared(path).partition(":")[0].split(".")[0]


@cache
def pipeline_builder(path: Path = PYPROJECT) -> Builder:
    """The team's `build_pipeline(params, spec)`, imported from where pyproject.toml says."""
    target = declared(path)
    module_name, _, func_name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise UserError(
            str(path),
            KEY,
            f"cannot import {module_name!r} ({err})",
            "name the module that holds your pipeline builder (the package under src/)",
        ) from None
    builder: object = getattr(module, func_name, None)
    if not callable(builder):
        raise UserError(
            str(path), KEY, f"{module_name} has no function {func_name!r}", f"e.g. {DEFAULT}"
        )
    return builder  # callable is all that is checked: (params, spec) is the team's promise


def build_pipeline(params: Params, spec: FeatureSpec) -> Any:
    """An unfitted pipeline from the team's builder, as the train stage builds it: its final
    estimator wrapped as params.yaml's model section asks (target transform, calibration,
    threshold), by the machinery rather than by the team's builder."""
    from gitops_ml.core.estimator import finish

    return finish(params, pipeline_builder()(params, spec))
