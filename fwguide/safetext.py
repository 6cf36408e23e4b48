"""Text from outside fwguide (arguments, files, environment, worker output) made safe to show.

A control character could move the cursor or clear the screen, and a byte that is not
UTF-8 (kept by Python as a lone surrogate) would crash the first write; both are shown
escaped instead, so what was there stays visible and nothing reaches the terminal raw.
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, bidirectional marks, embeddings, overrides and isolates, line and paragraph
# separators, and lone surrogates (undecodable bytes). Kept as sources: re compiles each on first use
# (and caches it), so importing this module costs nothing.
BIDI_CLASS = "\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_UNSAFE = f"[\x00-\x08\x0b-\x1f\x7f-\x9f{BIDI_CLASS}\ud800-\udfff]"
_UNSAFE_LINE = f"[\x00-\x1f\x7f-\x9f{BIDI_CLASS}\ud800-\udfff]"
ECHO_LIMIT = 200  # characters of an outside value repeated in a message


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte os.fsdecode could not read as UTF-8
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` with control characters and undecodable bytes escaped; newlines and tabs kept."""
    return re.sub(_UNSAFE, _escaped, text)


def one_line(text: str) -> str:
    """`text` as one safe line: newlines and tabs escaped too."""
    return re.sub(_UNSAFE_LINE, _escaped, text)


def shown(text: str, limit: int = ECHO_LIMIT) -> str:
    """`text` as one safe line of at most about `limit` characters, for echoing input back in a message."""
    if len(text) > limit:
        text = f"{text[:limit]}… ({len(text)} characters)"
    return one_line(text)


def clean(value: object) -> object:
    """Plain data (as decoded from JSON) with every string, key or value, made printable."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {clean(k): clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value
