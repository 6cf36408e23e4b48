""""Did you mean …?": the one way fwguide finds the known names closest to a mistyped one.

Used for question ids and choices, category names and calibration case keys alike. A name
is compared whole and word by word (words split at hyphens, underscores, slashes and spaces),
so "andriod-phone" finds "mobile-android". Only the first `MAX_INPUT` characters of what
was typed are compared: a pasted megabyte costs as little as a typo.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MAX_INPUT = 100
CUTOFF = 0.6  # below this likeness a suggestion misleads more than it helps
SPREAD = 0.1  # with several suggestions, only those nearly as close as the best


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[-_\s/&.]+", text) if w]


def likeness(typed: str, known: str) -> float:
    """0..1: how alike two names are, whole or in their best-matching pair of words (case ignored)."""
    import difflib  # only a miss pays for it

    a, b = typed[:MAX_INPUT].lower(), known[:MAX_INPUT].lower()
    whole = difflib.SequenceMatcher(None, a, b).ratio()
    parts = max((difflib.SequenceMatcher(None, x, y).ratio() for x in _words(a) for y in _words(b)), default=0.0)
    return max(whole, parts)


def suggestions(typed: str, known: Iterable[str], limit: int = 3) -> list[str]:
    """The known names most like `typed`, best first: at most `limit`, none below CUTOFF."""
    names = [name for name in dict.fromkeys(known) if len(name) <= MAX_INPUT]  # an id is never longer
    scored = sorted(((likeness(typed, name), index, name) for index, name in enumerate(names)),
                    key=lambda item: (-item[0], item[1]))
    if not scored or scored[0][0] < CUTOFF:
        return []
    floor = max(CUTOFF, scored[0][0] - SPREAD)
    return [name for score, _, name in scored if score >= floor][:limit]


def closest(typed: str, known: Iterable[str]) -> str | None:
    """The one known name most like `typed`, or None when none is close enough."""
    found = suggestions(typed, known, limit=1)
    return found[0] if found else None
