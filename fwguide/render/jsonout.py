"""JSON output for scripts: stable key order, indented, no colour, no rich import."""

from __future__ import annotations

import sys

import msgspec


def print_json(data: object) -> None:
    """Print plain data (or msgspec structs) as indented JSON on stdout."""
    encoded = msgspec.json.format(msgspec.json.encode(data), indent=2)
    sys.stdout.write(encoded.decode() + "\n")
