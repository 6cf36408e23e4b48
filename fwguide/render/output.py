"""One output path for every command: its data as JSON, its blocks drawn rich, plain or as Markdown.

A command hands `emit` what it has to show, lazily: a function giving the JSON-ready data,
and one giving the layout blocks for a width. `emit` picks the format once, from the flags
and the run's Terminal, so no command has an `if json / elif markdown / else` of its own.
Every JSON document carries `schema_version`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from fwguide.errors import FwguideError

if TYPE_CHECKING:  # the layout is imported only when something is drawn: `--json` never needs it
    from fwguide.render.console import Terminal
    from fwguide.render.layout import Block

Format = Literal["rich", "plain", "json", "markdown"]
SCHEMA_VERSION = 1  # of every JSON document fwguide prints; probe reports carry their own (the same number)


def choose(terminal: Terminal, json_out: bool = False, markdown: bool = False) -> Format:
    """The output format the flags and the terminal ask for."""
    if json_out and markdown:
        raise FwguideError("--json and --markdown cannot be combined", hint="pick one of them")
    if json_out:
        return "json"
    if markdown:
        return "markdown"
    return "rich" if terminal.rich else "plain"


def versioned(data: Any) -> Any:
    """A JSON document with its schema_version first (a document that carries its own keeps it)."""
    import msgspec

    plain = msgspec.to_builtins(data) if not isinstance(data, (dict, list)) else data
    if isinstance(plain, dict) and "schema_version" not in plain:
        return {"schema_version": SCHEMA_VERSION, **plain}
    return plain


def emit(fmt: Format, terminal: Terminal, *, data: Callable[[], Any] | None = None,
         blocks: Callable[[int], list[Block]] | None = None,
         markdown: Callable[[], list[Block]] | None = None) -> None:
    """Show a command's result in `fmt`: JSON from `data`, the screen from `blocks(width)`, Markdown from
    `markdown()` (or the screen's blocks, when the Markdown view is the same)."""
    if fmt == "json":
        if data is None:
            raise FwguideError("this command has no JSON output")
        from fwguide.render.jsonout import print_json

        print_json(versioned(data()))
        return
    if fmt == "markdown":
        from fwguide.render.markdown import render

        source = markdown or (lambda: blocks(100) if blocks else [])
        sys.stdout.write(render(source()))
        return
    if blocks is None:
        raise FwguideError("this command has only a JSON output", hint="add --json")
    from fwguide.render.layout import show

    show(blocks(terminal.width), terminal)
