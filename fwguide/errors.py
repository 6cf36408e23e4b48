"""The one error type users see, and the exit codes of docs/design.md."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    PROBLEM = 1  # a check or probe found a problem the user asked about
    USAGE = 2  # bad usage or bad input
    INTERRUPTED = 130


class FwguideError(Exception):
    """A problem to show the user as one message plus an optional hint, never a traceback."""

    def __init__(self, message: str, hint: str | None = None, exit_code: ExitCode = ExitCode.USAGE):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\nhint: {self.hint}"


def located(path: object, line: int | None, field: str, expected: str) -> str:
    """Format a problem as FILE:LINE: field: what was expected."""
    where = f"{path}:{line}" if line else f"{path}"
    return f"{where}: {field}: {expected}" if field else f"{where}: {expected}"
