"""One exception type for every mistake a user can make and fix.

The CLI and the stages print it without a traceback: the message names the file, the
field and the fix, which is all the user needs.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from functools import wraps
from typing import ParamSpec, TypeVar

T = TypeVar("T")
P = ParamSpec("P")


class UserError(Exception):
    """A problem in params, data, a remote or a model file that the user can fix."""

    def __init__(self, file: str, field: str, problem: str, fix: str = "") -> None:
        self.file = str(file)
        self.field = field
        self.problem = problem
        self.fix = fix
        super().__init__(self.render())

    def render(self) -> str:
        where = f"{self.file}: {self.field}" if self.field else self.file
        text = f"{where}: {self.problem}"
        return f"{text}\n  fix: {self.fix}" if self.fix else text


class UserErrors(UserError):
    """Several problems found at once, reported together so one run shows them all."""

    def __init__(self, errors: Iterable[UserError]) -> None:
        self.errors = list(errors)
        first = self.errors[0]
        super().__init__(first.file, first.field, first.problem, first.fix)

    def render(self) -> str:
        lines = [f"{len(self.errors)} problem(s) found:"]
        lines += [f"- {e.render()}".replace("\n", "\n  ") for e in self.errors]
        return "\n".join(lines)


def raise_all(errors: list[UserError]) -> None:
    """Raise nothing, one error, or all of them together."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise UserErrors(errors)


class Findings:
    """Run checks that do not depend on each other and report every failure at once, so
    that one `make check` or `make init` shows all there is to fix, not one per run."""

    def __init__(self) -> None:
        self.errors: list[UserError] = []

    def attempt(self, check: Callable[..., T], *args: object) -> T | None:
        """The check's result, or None when it failed (its errors are kept)."""
        try:
            return check(*args)
        except UserErrors as err:
            self.errors.extend(err.errors)
        except UserError as err:
            self.errors.append(err)
        return None

    def raise_all(self) -> None:
        unique = {err.render(): err for err in self.errors}  # two checks may see one mistake
        raise_all(list(unique.values()))


USER_ERROR_STATUS = 2  # a mistake the user can fix, apart from a check that failed (1)


def report(err: UserError) -> int:
    """Print a UserError as every command does (one paragraph on stderr); its exit status."""
    print(f"error: {err.render()}", file=sys.stderr)
    return USER_ERROR_STATUS


def exit_on_user_error(func: Callable[P, T]) -> Callable[P, T]:
    """Turn a UserError into a one-paragraph message on stderr and exit status 2."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return func(*args, **kwargs)
        except UserError as err:
            raise SystemExit(report(err)) from None

    return wrapper
