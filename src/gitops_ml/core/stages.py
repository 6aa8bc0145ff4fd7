"""dvc.yaml as DVC reads it, for the checks that must know the team's stages by their role.

The stages are the team's (src/ml_project, dvc.yaml): the machinery never assumes their
names or their number. Where it needs one, it asks by role: the stages that read the data
file (`data.path` among their deps) are where the data contract is enforced, and a PR
that re-ran one of them changed the data or its split.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

DVC_YAML = Path("dvc.yaml")
TEMPLATE = re.compile(r"\$\{\s*([\w.]+)\s*\}")  # DVC's `${params.key}` in dvc.yaml


def _param(values: dict[str, Any], dotted: str) -> Any:
    found: Any = values
    for key in dotted.split("."):
        found = found.get(key) if isinstance(found, dict) else None
    return found


def filled(entry: str, values: dict[str, Any]) -> str:
    """A dvc.yaml entry with `${a.b}` replaced from params, as DVC fills it in."""
    return TEMPLATE.sub(lambda match: str(_param(values, match.group(1))), entry)


def declared(path: Path = DVC_YAML) -> dict[str, Any]:
    """The `stages:` mapping of dvc.yaml ({} when there is no file)."""
    if not path.is_file():
        return {}
    from gitops_ml.core.params import read_yaml  # DVC's YAML 1.2, errors that name the file

    stages: dict[str, Any] = (read_yaml(path) or {}).get("stages") or {}
    return stages


def deps(stage: dict[str, Any], values: dict[str, Any]) -> list[Path]:
    return [Path(filled(str(dep), values)) for dep in stage.get("deps") or []]


def data_readers(values: dict[str, Any], path: Path = DVC_YAML) -> list[str]:
    """Names of the stages that read the data file, `data.path` (in dvc.yaml's order)."""
    data = Path(str(_param(values, "data.path")))
    return [name for name, stage in declared(path).items() if data in deps(stage, values)]
