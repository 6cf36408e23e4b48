"""The view of `fwguide rules freshness`: each package's checked and newest release, and the old verdicts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from fwguide.freshness import STALE_MONTHS
from fwguide.freshness.report import Freshness
from fwguide.render.console import Terminal
from fwguide.render.layout import BLANK, Block, Table, text

_MARKS = {"yes": "bold red", "no": "green", "?": "yellow"}


def _stale(value: bool | None) -> str:
    return "?" if value is None else "yes" if value else "no"


def blocks(report: Freshness) -> list[Block]:
    rows = [(e.package, e.checked, e.checked_on.isoformat(), e.latest or "not found", _stale(e.stale))
            for e in report.entries]
    by_note: dict[str, list[str]] = {}
    for entry in report.entries:
        if entry.note:
            by_note.setdefault(entry.note, []).append(entry.package)
    notes = [f"{', '.join(packages)}: {note}" for note, packages in by_note.items()]
    notes.append("checked: the release the rules were checked against (the install table's `checked`, the rulebook "
                 "header's `checked`; a shorter version stands for its series)")
    if report.index:
        notes.append("index: " + ", ".join(report.index))
    shown: list[Block] = [
        Table(f"Rulebook {report.rulebook} (as of {report.as_of}) against the package index, through "
              f"{report.python}'s pip ({report.chosen_by})",
              ("package", "checked", "on", "newest on the index", "stale"), rows, notes=notes, marks=_MARKS,
              code=(0,)),
        BLANK,
    ]
    if report.old_verdicts:
        shown += [Table(f"Verdicts older than {STALE_MONTHS} months",
                        ("category", "title", "as of", "age"),
                        [(v.category, v.title, v.as_of.isoformat(), v.age) for v in report.old_verdicts], code=(0,)),
                  BLANK]
    else:
        shown.append(text(f"No verdict is older than {STALE_MONTHS} months."))
    newer = [e.package for e in report.entries if e.stale]
    if report.stale:
        why = []
        if newer:
            why.append(f"newer releases of {', '.join(newer)}")
        if report.old_verdicts:
            why.append(f"{len(report.old_verdicts)} verdict(s) older than {STALE_MONTHS} months")
        shown.append(text(("Stale: ", "bold red"), "; ".join(why) + ". Re-check the rules that cite them against "
                          "their sources, then update `checked` and `as_of`."))
    else:
        unknown = sum(e.stale is None for e in report.entries)
        shown.append(text(("Current: ", "bold green"), "nothing on the index is newer than what the rulebook was "
                          "checked against" + (f" ({unknown} not found there)." if unknown else ".")))
    return shown


def data(report: Freshness) -> dict[str, Any]:
    import msgspec

    plain = msgspec.to_builtins(report)
    plain["stale"] = report.stale
    return plain


@contextmanager
def progress(terminal: Terminal, python: str) -> Iterator[Callable[[int, int], None]]:
    """A spinner on stderr while the index is asked, only on a terminal; yields the function that updates it."""
    if not terminal.progress:
        yield lambda done, total: None
        return
    from rich.console import Console
    from rich.markup import escape

    what = f"Asking the package index through {escape(python)}'s pip"
    with Console(stderr=True).status(what + "…") as status:
        yield lambda done, total: status.update(f"{what}: {done}/{total} packages…")
