"""Show a FwguideError: one message, an optional hint, on stderr."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from fwguide.errors import FwguideError
from fwguide.safetext import printable


def show_error(exc: FwguideError) -> None:
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    # Messages quote what the user gave (--set values, file contents, paths): never let it drive the terminal.
    console.print(f"[bold red]error:[/] {escape(printable(exc.message))}")
    if exc.hint:
        console.print(f"[dim]hint:[/] {escape(printable(exc.hint))}")
