"""The stdout console every renderer prints through: colour and width only on a terminal."""

from __future__ import annotations

from rich.console import Console


def stdout_console() -> Console:
    return Console(highlight=False, soft_wrap=False)


def print_json(data: object) -> None:
    """Print plain data as stable, indented JSON (no colour, so pipes get clean text)."""
    import json
    import sys

    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
