"""dvc.yaml lists, for each stage, every module of the package the stage imports.

A module missing from a stage's deps is code that can change the stage's outputs while
`dvc status` says nothing changed, and `dvc repro -f` on a clean clone then disagrees
with the committed dvc.lock. The imports are read from the source (also those inside
functions), so a new import fails this test until dvc.yaml names the module.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

from gitops_ml.core import hook
from tests.conftest import REPO_ROOT, TEAM

SRC = REPO_ROOT / "src"
PACKAGES = ("gitops_ml", TEAM)  # the machinery and the team's package
HOOK = "gitops_ml.core.hook"


def _file(module: str) -> Path | None:
    base = SRC.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported(module: str) -> set[str]:
    path = _file(module)
    assert path is not None, module
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):  # relative ones too: the team's package uses them
            base = _absolute(module, path, node.module, node.level)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    if module == HOOK:  # imports the team's builder by the name pyproject.toml declares
        names.add(_declared_builder())
    return {name for name in names if name.startswith(PACKAGES) and _file(name)}


def _absolute(module: str, path: Path, name: str | None, level: int) -> str:
    """`from <level dots><name> import ...` in `module` (at `path`), as an absolute name."""
    if not level:
        return name or ""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    parts = package.split(".")
    parent = ".".join(parts[: len(parts) - level + 1])
    return f"{parent}.{name}" if name else parent


def _declared_builder() -> str:
    """The module `[tool.gitops-ml] pipeline` names (the hook's one dynamic import)."""
    return hook.declared(REPO_ROOT / "pyproject.toml").partition(":")[0]


def imported_files(module: str) -> set[str]:
    """Source files of `module` and everything it imports from the package, transitively."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(_imported(name))
    files = (_file(name) for name in seen)
    return {
        str(path.relative_to(REPO_ROOT)) for path in files if path and path.name != "__init__.py"
    }


STAGES = yaml.safe_load((REPO_ROOT / "dvc.yaml").read_text())["stages"]


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_a_stage_depends_on_every_module_it_imports(stage: str) -> None:
    module = STAGES[stage]["cmd"].split("python -m ", 1)[1].split()[0]
    listed = {dep for dep in STAGES[stage]["deps"] if dep.startswith("src/")}
    assert imported_files(module) == listed


def test_the_import_walk_sees_imports_made_inside_functions() -> None:
    # quality imports significance inside a function; a top-level walk would miss it
    assert "src/gitops_ml/evaluation/significance.py" in imported_files(f"{TEAM}.stages.evaluate")


def test_the_import_walk_follows_the_hook_to_the_teams_pipeline_builder() -> None:
    # evaluate's baselines are built by the team's builder through gitops_ml.core.hook
    assert f"src/{TEAM}/pipeline.py" in imported_files(f"{TEAM}.stages.evaluate")


def test_the_import_walk_resolves_the_team_packages_relative_imports() -> None:
    # train imports the builder as `from ..pipeline import build_pipeline`: no package name
    assert f"src/{TEAM}/pipeline.py" in imported_files(f"{TEAM}.stages.train")
