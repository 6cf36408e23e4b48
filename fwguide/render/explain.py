"""Views for `fwguide explain`: the category list and one category in full.

Laid out as blocks (fwguide.render.layout): plain text in a pipe, rich on a terminal, with
the code snippets as highlighted code, side by side when both fit and one under the other
when not. rich (and pygments, for the code) is imported only when drawing on a terminal.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from fwguide import frameworks
from fwguide.render.console import Terminal
from fwguide.render.layout import BLANK, Block, Box, Code, Heading, Table, text
from fwguide.rulebook.schema import Category, Rulebook

FRAMEWORK_NAMES: dict[str | None, str] = {
    **{f: frameworks.title(f) for f in frameworks.DECISION}, "tie": "tie", None: "-"}
_WINNER_STYLE = {"PyTorch": "bold #ee4c2c", "TensorFlow": "bold #ff8f00", "tie": "bold cyan", "-": "dim", "note": "dim"}
_STATUS = {"pass": "pass", "fail": "FAIL", "error": "error", "skip": "skip", "n/a": "n/a"}
_STATUS_STYLE = {"pass": "green", "FAIL": "bold red", "error": "bold red", "skip": "yellow", "n/a": "dim"}
NOTE = "note"  # the 2017 column of the article's notes: it called no winner there


def _seed_name(category: Category) -> str:
    if category.seed is None:
        return FRAMEWORK_NAMES[None]
    return FRAMEWORK_NAMES[category.seed.winner] if category.seed.winner else NOTE


def _winner(winner: str | None) -> tuple[str, str]:
    name = FRAMEWORK_NAMES[winner] if winner else "none (a note, not a verdict)"
    return name, _WINNER_STYLE.get(name, "dim")


def list_blocks(rulebook: Rulebook) -> list[Block]:
    # The 2017 column also tells the kind: a winner for the article's verdicts, "note" for its notes,
    # "-" for categories new since 2017; so the table fits 80 columns with one row per category.
    rows = [(c.id, c.title, _seed_name(c), FRAMEWORK_NAMES[c.current.winner]) for c in rulebook.categories]
    return [Table(f"Categories (rulebook {rulebook.meta.version}, as of {rulebook.meta.as_of})",
                  ("id", "title", "2017", "today"), rows, marks=_WINNER_STYLE,
                  notes=["2017: the article's call; note: the article called no winner; -: new since 2017"]),
            BLANK, text(("Details: fwguide explain CATEGORY (id, title or alias); add --check to run the live checks",
                         "dim"))]


def category_blocks(rulebook: Rulebook, category: Category, results: Sequence[Any] | None) -> list[Block]:
    blocks: list[Block] = [Heading(f"{category.title} ({category.id})")]
    if category.aliases:
        blocks.append(text((f"also: {', '.join(category.aliases)}", "dim")))
    blocks.append(BLANK)
    if category.seed is not None:
        article = rulebook.meta.article
        source = f"{article.author}, {article.year}" if article else "the 2017 article"
        blocks += [_verdict(f"2017 ({source})", category.seed.winner, category.seed.summary), BLANK]
    current = category.current
    blocks += [_verdict(f"Today (as of {current.as_of}, {_age(current.as_of)})", current.winner, current.summary),
               BLANK, Heading("Evidence")]
    for item in category.current.evidence:
        since = ""
        if item.framework:
            since = f" [{FRAMEWORK_NAMES[item.framework]}{f' {item.since}' if item.since else ''}]"
        blocks += [text(item.claim + since, lead="- ", indent=2), text((item.source, "blue"), indent=4, keep=True)]
    for snippet in category.snippets:
        blocks += [BLANK, Code(snippet.task, (("PyTorch", snippet.pytorch), ("TensorFlow", snippet.tensorflow)))]
    blocks += [BLANK, *_checks(category, results)]
    return blocks


def _age(as_of: Any) -> str:
    """How old today's verdict is, with what to do when it is old: "3 days ago", "14 months ago: run ..."."""
    from fwguide.freshness import age_text, is_old

    return age_text(as_of) + (": run `fwguide rules freshness`" if is_old(as_of) else "")


def _verdict(title: str, winner: str | None, summary: str) -> Box:
    return Box(title, (text("Winner: ", _winner(winner)), text(" ".join(summary.split()))))


def _checks(category: Category, results: Sequence[Any] | None) -> list[Block]:
    if results is None:
        # One name per check, however many frameworks run it ("flip a tensor" for both)
        names = ", ".join(dict.fromkeys(c.label or c.target or c.check for c in category.checks)) or "none"
        return [text(("Live checks: ", "bold"), names),
                text(("Run with --check to verify them against the frameworks installed here.", "dim"))]
    rows = []
    for result in results:
        version = f" {result.framework_version}" if result.framework_version else ""
        rows.append((result.label or result.target or result.check, f"{FRAMEWORK_NAMES[result.framework]}{version}",
                     _STATUS.get(result.status, result.status), result.detail))
    python = f" with {results[0].python} ({results[0].chosen_by})" if results and results[0].python else ""
    return [Table(f"Live checks on this machine{python}", ("check", "framework", "result", "detail"), rows,
                  marks=_STATUS_STYLE)]


@contextmanager
def checks_progress(category: Category, terminal: Terminal) -> Iterator[None]:
    """A spinner on stderr while the check workers run, only when stderr is a terminal."""
    if not terminal.progress:
        yield
        return
    from rich.console import Console

    with Console(stderr=True).status(f"Running {len(category.checks)} live checks with each installed framework…"):
        yield
