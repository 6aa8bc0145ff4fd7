"""What every command that reads the registry shares: its argument parser, GTO's refusals
as user errors, and the verdict appended to the job summary."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from gitops_ml.core import commands
from gitops_ml.core.errors import UserError


@contextmanager
def gto_errors() -> Iterator[None]:
    """GTO's refusals are user-facing: show its message, not a traceback."""
    from gto.exceptions import GTOException

    try:
        yield
    except GTOException as err:
        raise UserError("gto", "", str(err), "see `gto show` and docs/releases.md") from None


def command_parser(
    prog: str, doc: str, build: Callable[[argparse.ArgumentParser], None]
) -> argparse.ArgumentParser:
    parser = commands.parser(prog, doc)
    build(parser)
    return parser


def append_summary(path: str | None, title: str, text: str) -> None:
    """Append a titled section to a Markdown file (the GitHub job summary), if one is given."""
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(f"### {title}\n\n{text}\n")
