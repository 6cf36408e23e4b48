"""JSON output for scripts: stable key order, indented, no colour, no rich import."""

from __future__ import annotations

import re
import sys

import msgspec

# What JSON may carry raw but a terminal would act on: DEL, C1 controls, bidirectional controls,
# line and paragraph separators. Inside a JSON string a \u escape of four hex digits keeps the same value.
_RAW_CONTROLS = "[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"


def _escaped(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def json_text(data: object) -> str:
    """Plain data (or msgspec structs) as indented JSON text, safe to show on a terminal."""
    try:
        raw = msgspec.json.encode(data)
    except UnicodeEncodeError:  # a path or variable with bytes that are not UTF-8: shown escaped
        from fwguide.safetext import clean

        raw = msgspec.json.encode(clean(msgspec.to_builtins(data)))
    return re.sub(_RAW_CONTROLS, _escaped, msgspec.json.format(raw, indent=2).decode())


def print_json(data: object) -> None:
    """Print plain data (or msgspec structs) as indented JSON on stdout."""
    sys.stdout.write(json_text(data) + "\n")
