"""How fresh the rulebook is: the releases it was checked against beside the newest on the package index
(fwguide.freshness.report, asking the index through pip in fwguide.freshness.index), and how old its verdicts are.

`rules freshness` is the one command of fwguide that uses the network. The age helpers here use
only the standard library: `explain` and `rules validate` read them without loading the rest.
"""

from __future__ import annotations

import datetime

STALE_MONTHS = 12  # a verdict older than this is worth re-checking


def months_between(start: datetime.date, end: datetime.date) -> int:
    """Whole calendar months from `start` to `end` (0 when `end` is not later)."""
    months = (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day)
    return max(months, 0)


def is_old(as_of: datetime.date, today: datetime.date | None = None) -> bool:
    """Whether a verdict as of `as_of` is more than STALE_MONTHS months before `today`."""
    today = today or datetime.date.today()
    year, month = divmod(today.year * 12 + today.month - 1 - STALE_MONTHS, 12)
    following = datetime.date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    last_day = (following - datetime.timedelta(days=1)).day  # the same day of that month, or its last (Feb 29)
    return as_of < datetime.date(year, month + 1, min(today.day, last_day))


def age_text(as_of: datetime.date, today: datetime.date | None = None) -> str:
    """'today', '3 days ago', '14 months ago': how long ago `as_of` was, in the unit a person would use."""
    today = today or datetime.date.today()
    days = (today - as_of).days
    if days < 0:
        return "in the future"
    if days < 60:
        return {0: "today", 1: "yesterday"}.get(days, f"{days} days ago")
    return f"{months_between(as_of, today)} months ago"
