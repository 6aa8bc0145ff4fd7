"""One way to wire a command: a row of gitops_ml.cli.COMMANDS naming `module:main`, where
`main(argv)` parses its own arguments and returns the exit code."""

from __future__ import annotations

import importlib
import inspect

import pytest

from gitops_ml.cli import COMMANDS


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_is_a_modules_main_that_documents_itself(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    target, _help = COMMANDS[name]
    module_name, _, func_name = target.partition(":")
    assert func_name == "main", f"{name}: wire it as {module_name}:main"
    main = importlib.import_module(module_name).main
    assert list(inspect.signature(main).parameters) == ["argv"], f"{target}(argv) -> int"
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    assert f"python -m gitops_ml {name}" in capsys.readouterr().out
