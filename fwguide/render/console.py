"""The stdout console every rich renderer prints through: colour and width only on a terminal."""

from __future__ import annotations

from rich.console import Console


def stdout_console() -> Console:
    return Console(highlight=False, soft_wrap=False)
