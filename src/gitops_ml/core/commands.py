"""The argument parser every `python -m gitops_ml <command>` starts from.

A command is a row of gitops_ml.cli.COMMANDS naming `module:main`; `main(argv)` parses its
arguments with this parser (so `--help` answers and an unknown flag is refused instead of
the command running anyway) and returns its exit code.
"""

from __future__ import annotations

import argparse


def parser(name: str, about: str) -> argparse.ArgumentParser:
    return argparse.ArgumentParser(prog=f"python -m gitops_ml {name}", description=about)
