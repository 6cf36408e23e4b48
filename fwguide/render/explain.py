"""Rich views for `fwguide explain`: the category list and one category in full."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from fwguide.render.console import stdout_console
from fwguide.render.explain_text import FRAMEWORK_NAMES, KIND_NAMES
from fwguide.rulebook.schema import Category, Rulebook

_WINNER_STYLE = {"pytorch": "bold #ee4c2c", "tensorflow": "bold #ff8f00", "tie": "bold cyan"}
_SIDE_BY_SIDE_WIDTH = 110
_STATUS = {"pass": ("✓", "green"), "fail": ("✗", "red"), "error": ("!", "red"), "skip": ("–", "yellow")}


def winner_text(winner: str | None) -> Text:
    if winner is None:
        return Text("—", style="dim")
    return Text(FRAMEWORK_NAMES[winner], style=_WINNER_STYLE[winner])


def show_list(rulebook: Rulebook) -> None:
    console = stdout_console()
    table = Table(title=f"Categories · rulebook {rulebook.meta.version} (as of {rulebook.meta.as_of})",
                  title_justify="left", expand=False)
    table.add_column("id", style="bold", no_wrap=True)
    table.add_column("title")
    table.add_column("2017", no_wrap=True)
    table.add_column("today", no_wrap=True)
    table.add_column("kind", style="dim", no_wrap=True)
    for category in rulebook.categories:
        table.add_row(category.id, category.title, winner_text(category.seed.winner if category.seed else None),
                      winner_text(category.current.winner), KIND_NAMES[category.kind])
    console.print(table)
    console.print("[dim]Details: fwguide explain CATEGORY (id, title or alias) · add --check to run the live checks[/]")


def show_category(rulebook: Rulebook, category: Category, results: Sequence[Any] | None) -> None:
    console = stdout_console()
    heading = Text.assemble((category.title, "bold"), (f"  ({category.id})", "dim"))
    if category.aliases:
        heading.append(f"\nalso: {', '.join(category.aliases)}", style="dim")
    console.print(heading)
    console.print()
    if category.seed is not None:
        article = rulebook.meta.article
        source = f"{article.author}, {article.year}" if article else "the 2017 article"
        console.print(_verdict_panel(f"2017 · {source}", category.seed.winner, category.seed.summary))
    console.print(_verdict_panel(f"Today · as of {category.current.as_of}", category.current.winner,
                                 category.current.summary))
    console.print(_evidence_table(category))
    for snippet in category.snippets:
        console.print(_snippet_table(console, snippet.task, snippet.pytorch, snippet.tensorflow))
    console.print(_checks_view(category, results))


def _verdict_panel(title: str, winner: str, summary: str) -> Panel:
    body = Text.assemble("Winner: ", winner_text(winner), "\n", summary.strip())
    return Panel(body, title=escape(title), title_align="left", border_style="dim")


def _evidence_table(category: Category) -> Table:
    table = Table(title="Evidence", title_justify="left", show_lines=False, expand=True)
    table.add_column("claim", ratio=3)
    table.add_column("since", no_wrap=True)
    table.add_column("source", ratio=2, overflow="fold", style="blue")
    for item in category.current.evidence:
        since = f"{FRAMEWORK_NAMES[item.framework]} {item.since}" if item.framework and item.since else (
            FRAMEWORK_NAMES[item.framework] if item.framework else "")
        table.add_row(item.claim, since, item.source)
    return table


def _snippet_table(console: Console, task: str, pytorch: str, tensorflow: str) -> RenderableType:
    """Side by side where there is room for code lines; one above the other on a narrow screen."""
    if console.width < _SIDE_BY_SIDE_WIDTH:
        return Group(
            Text(task, style="italic"),
            Panel(_code(console, pytorch), title="PyTorch", title_align="left", border_style="dim"),
            Panel(_code(console, tensorflow), title="TensorFlow", title_align="left", border_style="dim"),
        )
    table = Table(title=escape(task), title_justify="left", expand=True, show_lines=False)
    table.add_column("PyTorch", ratio=1)
    table.add_column("TensorFlow", ratio=1)
    table.add_row(_code(console, pytorch), _code(console, tensorflow))
    return table


def _code(console: Console, source: str) -> RenderableType:
    from rich.syntax import Syntax

    return Syntax(source.rstrip(), "python", theme="ansi_dark", word_wrap=True, background_color="default")


def _checks_view(category: Category, results: Sequence[Any] | None) -> RenderableType:
    if results is None:
        names = ", ".join(c.target or c.check for c in category.checks) or "none"
        return Text.assemble(("Live checks: ", "bold"), names, "\n",
                             ("run with --check to verify them against the frameworks installed here", "dim"))
    table = Table(title="Live checks on this machine", title_justify="left", expand=True)
    table.add_column("", no_wrap=True)
    table.add_column("framework", no_wrap=True)
    table.add_column("check")
    table.add_column("result", ratio=2)
    for result in results:
        mark, style = _STATUS.get(result.status, ("?", "red"))
        version = f" {result.framework_version}" if result.framework_version else ""
        table.add_row(Text(mark, style=style), f"{FRAMEWORK_NAMES[result.framework]}{version}",
                      result.label or result.target or result.check, result.detail)
    return Group(table)


@contextmanager
def checks_progress(category: Category) -> Iterator[None]:
    """A spinner on stderr while the check workers run, only on a terminal."""
    console = Console(stderr=True)
    if not console.is_terminal:
        yield
        return
    with console.status(f"Running {len(category.checks)} live checks with each installed framework…"):
        yield
