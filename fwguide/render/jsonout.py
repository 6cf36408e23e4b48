"""JSON output for scripts: stable key order, indented, no colour, no rich import."""

from __future__ import annotations

import sys

import msgspec


def print_json(data: object) -> None:
    """Print plain data (or msgspec structs) as indented JSON on stdout."""
    try:
        raw = msgspec.json.encode(data)
    except UnicodeEncodeError:  # a path or variable with bytes that are not UTF-8: shown escaped
        from fwguide.safetext import clean

        raw = msgspec.json.encode(clean(msgspec.to_builtins(data)))
    encoded = msgspec.json.format(raw, indent=2)
    sys.stdout.write(encoded.decode() + "\n")
