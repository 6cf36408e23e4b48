"""Show a FwguideError: one message, an optional hint, on stderr."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from fwguide.errors import FwguideError


def show_error(exc: FwguideError) -> None:
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    console.print(f"[bold red]error:[/] {escape(exc.message)}")
    if exc.hint:
        console.print(f"[dim]hint:[/] {escape(exc.hint)}")
