"""The argument parser every `python -m gitops_ml <command>` starts from.

A command is a row of gitops_ml.cli.COMMANDS naming `module:main`; `main(argv)` parses its
arguments with this parser (so `--help` answers and an unknown flag is refused instead of
the command running anyway) and returns its exit code.
"""

from __future__ import annotations

import argparse


def parser(name: str, about: str) -> argparse.ArgumentParser:
    return argparse.ArgumentParser(prog=f"python -m gitops_ml {name}", description=about)


def call(target: str, argv: list[str]) -> int:
    """Run the command `module:function` with `argv`, in this process; its exit status.

    A UserError becomes its one-paragraph message on stderr and status 2, as for every
    command: `python -m gitops_ml` and `make pr-checks` (several commands, one process)
    both call commands through here."""
    import importlib

    from gitops_ml.core.errors import UserError, report

    module_name, _, func_name = target.partition(":")
    func = getattr(importlib.import_module(module_name), func_name)
    try:
        return int(func(argv) or 0)
    except UserError as err:
        return report(err)
