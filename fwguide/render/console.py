"""The terminal decision, made once per run: is stdout a terminal, how wide, colour, encoding.

Every command builds one `Terminal` with `detect()` and passes it to its renderers, which never
ask `isatty` themselves (only reading `-` from stdin and fwguide.lifecycle's check of a redirected
stdout do). Detecting costs no rich import; `rich_console` builds rich's console from the
decision only when a rich view is drawn.
"""

from __future__ import annotations

import os
import re
import sys
from typing import Any

import msgspec

PLAIN_WIDTH = 100  # piped output wraps here: wide enough for a table row, narrow enough to read


class Terminal(msgspec.Struct, frozen=True):
    rich: bool  # stdout is a terminal: styles, boxes and rich tables
    width: int  # the columns to lay out for
    colour: bool
    unicode: bool  # stdout's encoding can show box lines, arrows and bullets
    typing: bool  # stdin is a terminal: a person can answer
    progress: bool  # stderr is a terminal: live progress may be shown there
    menus: bool = True  # arrow-key menus can be drawn: not a TERM=dumb terminal, which takes plain lines only

    @property
    def interactive(self) -> bool:
        """Questions may be asked: a person types into stdin and reads stdout."""
        return self.rich and self.typing


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # replaced or closed streams
        return False


def detect() -> Terminal:
    out_tty = _isatty(sys.stdout)
    if out_tty:
        try:
            width = os.get_terminal_size(sys.stdout.fileno()).columns or 80
        except (OSError, ValueError):
            width = 80
    else:
        columns = os.environ.get("COLUMNS", "")
        width = min(int(columns), PLAIN_WIDTH) if re.fullmatch(r"[0-9]{1,5}", columns) and int(columns) > 20 \
            else PLAIN_WIDTH
    encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "")
    return Terminal(
        rich=out_tty,
        width=max(width, 20),
        colour=out_tty and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb",
        unicode=encoding.startswith("utf"),
        typing=_isatty(sys.stdin),
        progress=_isatty(sys.stderr),
        menus=os.environ.get("TERM") != "dumb",
    )


def rich_console(terminal: Terminal) -> Any:
    """rich's console for stdout, laid out for `terminal`."""
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False, width=terminal.width, no_color=not terminal.colour,
                   force_terminal=terminal.rich, emoji=False, legacy_windows=False)


def stdout_console() -> Any:
    """rich's console for stdout, for callers that have not been handed a Terminal."""
    return rich_console(detect())
