"""Sections with a plain and a rich renderer: the one way every command draws a screen.

A command lays its view out as blocks (plain data: text, headings, tables, boxes, code),
and `show` draws them for the run's Terminal: aligned plain text in a pipe, without
importing rich, or rich on a terminal. Both follow one geometry: a table whose cells would
have to be cut becomes stacked "label: value" blocks, and nothing is ever truncated.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import msgspec

from fwguide.render.console import Terminal
from fwguide.render.folding import fold, fold_command, wrap_code
from fwguide.safetext import printable

Segment = tuple[str, str]  # text and its rich style ("" for none; "code": inline code in Markdown)
_RICH_STYLES = {"code": "cyan"}
INDENT = 2  # tables and notes sit this far in
GAP = 2  # between table columns
NARROW = 80  # below this width a table that would need wrapped cells is stacked instead
_MIN_WRAPPED = 24  # a wrapped column narrower than this is harder to read than a stacked block


class Text(msgspec.Struct, frozen=True):
    """One paragraph wrapped to the width; `lead` (a bullet, a label) hangs before it."""

    parts: tuple[Segment, ...] = ()
    indent: int = 0
    lead: Segment = ("", "")
    keep: bool = False  # a command or URL to copy: whole on its line when it fits, else folded between tokens

    @property
    def plain(self) -> str:
        return "".join(text for text, _ in self.parts)


def text(*parts: str | Segment, indent: int = 0, lead: str | Segment = "", keep: bool = False) -> Text:
    """A Text from strings and (text, style) pairs."""
    return Text(tuple((p, "") if isinstance(p, str) else p for p in parts), indent,
                (lead, "") if isinstance(lead, str) else lead, keep)


BLANK = Text()


class Heading(msgspec.Struct, frozen=True):
    title: str
    style: str = "bold"
    level: int = 2  # its depth in Markdown (# to ######); a screen shows every level alike


class Table(msgspec.Struct, frozen=True):
    """Rows under a header, or label / value pairs when there is no header."""

    title: str = ""
    header: tuple[str, ...] = ()
    rows: Sequence[tuple[str, ...]] = ()
    notes: Sequence[str] = ()
    notes_style: str = "dim"
    # A cell starting with one of these words gets its style.
    marks: Mapping[str, str] = msgspec.field(default_factory=dict)
    stack: Literal["rows", "columns"] = "rows"  # what each stacked block holds when the table does not fit
    code: tuple[int, ...] = ()  # columns shown as inline code in Markdown (ids, commands)
    links: tuple[int, ...] = ()  # columns of space-separated URLs, shown as numbered links in Markdown


class Box(msgspec.Struct, frozen=True):
    """A titled frame around a few paragraphs (a panel on a terminal)."""

    title: str
    body: tuple[Text, ...]


class Code(msgspec.Struct, frozen=True):
    """Equivalent code in a few languages or frameworks: side by side when it fits, else one under the other."""

    title: str
    panes: tuple[tuple[str, str], ...]  # (name, source)
    language: str = "python"


Block = Text | Heading | Table | Box | Code


def show(blocks: Iterable[Block], terminal: Terminal) -> None:
    """Draw `blocks` on stdout: rich on a terminal, plain text anywhere else. Every text is made
    printable first, so nothing that came from outside can reach the terminal as a control."""
    safe = [_folded(printable_block(block), terminal.width) for block in blocks]
    if not terminal.rich:
        sys.stdout.write(plain(safe, terminal.width))
        return
    _draw_rich(safe, terminal)


def _folded(block: Block, width: int) -> Block:
    """A `keep` text too long for its line, folded between tokens (its first part's style kept)."""
    if not isinstance(block, Text) or not block.keep:
        return block
    room = width - block.indent - len(block.lead[0])
    lines = block.plain.split("\n")
    if all(len(line) <= room for line in lines):
        return block
    folded = "\n".join(piece for line in lines
                       for piece in (fold_command(line, room) if " " in line.strip() else fold(line, room)))
    return msgspec.structs.replace(block, parts=((folded, block.parts[0][1] if block.parts else ""),))


def printable_block(block: Block) -> Block:
    """`block` with every string made printable (fwguide.safetext): the last guard before a terminal."""
    replace = msgspec.structs.replace
    if isinstance(block, Text):
        return replace(block, parts=tuple((printable(t), s) for t, s in block.parts),
                       lead=(printable(block.lead[0]), block.lead[1]))
    if isinstance(block, Heading):
        return replace(block, title=printable(block.title))
    if isinstance(block, Table):
        return replace(block, title=printable(block.title), header=tuple(printable(h) for h in block.header),
                       rows=[tuple(printable(c) for c in row) for row in block.rows],
                       notes=[printable(n) for n in block.notes])
    if isinstance(block, Box):
        return replace(block, title=printable(block.title), body=tuple(printable_block(t) for t in block.body))
    return replace(block, title=printable(block.title),
                   panes=tuple((printable(n), printable(src)) for n, src in block.panes))


# --- geometry, shared by both renderers --------------------------------------------------------

def _lines(cell: str) -> list[str]:
    return cell.split("\n")


def _longest_word(cell: str) -> int:
    return max((len(word) for word in cell.split()), default=0)


def column_widths(table: Table, width: int) -> list[int] | None:
    """Each column's width when the table fits `width` without cutting a word, else None (stack it)."""
    rows = [table.header, *table.rows] if table.header else list(table.rows)
    if not rows:
        return []
    count = len(rows[0])
    room = width - INDENT - GAP * (count - 1)
    natural = [max(len(line) for row in rows for line in _lines(row[i])) for i in range(count)]
    if sum(natural) <= room:
        return natural
    if table.header and width < NARROW:
        return None
    least = [max(_longest_word(row[i]) for row in rows) for i in range(count)]
    least[0] = natural[0]  # the first column names the row: never wrapped
    if sum(least) > room:
        return None
    # Water-filling: the narrow columns keep their natural width, the widest ones wrap at a common cap.
    def fitted(cap: int) -> list[int]:
        return [min(n, max(cap, m)) for n, m in zip(natural, least, strict=True)]

    cap = max(c for c in range(max(natural) + 1) if sum(fitted(c)) <= room)
    widths = fitted(cap)
    for index in sorted(range(count), key=lambda i: -natural[i]):
        widths[index] += min(natural[index] - widths[index], room - sum(widths))
    if any(w < min(n, _MIN_WRAPPED) for w, n in zip(widths, natural, strict=True)):
        return None
    return widths


def _wrap(line: str, width: int, first: str = "", rest: str = "") -> list[str]:
    wrapped = textwrap.wrap(line, max(width, 1), initial_indent=first, subsequent_indent=rest,
                            break_long_words=False, break_on_hyphens=False)
    return wrapped or [first.rstrip()]


def _wrap_cell(cell: str, width: int) -> list[str]:
    return [piece for line in _lines(cell) for piece in _wrap(line, width)]


def _stacked(table: Table) -> list[tuple[str, list[tuple[str, str]]]]:
    """A table as blocks of a name and its label / value pairs."""
    if not table.header:
        return [("", [(row[0], row[1]) for row in table.rows])]
    if table.stack == "columns":
        return [(table.header[j], [(row[0], row[j]) for row in table.rows if row[j]])
                for j in range(1, len(table.header))]
    return [(row[0], [(table.header[j], row[j]) for j in range(1, len(row)) if row[j]]) for row in table.rows]


# --- plain ---------------------------------------------------------------------------------------

def plain(blocks: Iterable[Block], width: int) -> str:
    return "".join(line.rstrip() + "\n" for block in blocks for line in plain_lines(block, width))


def plain_lines(block: Block, width: int) -> list[str]:
    if isinstance(block, Text):
        return _plain_text(block, width)
    if isinstance(block, Heading):
        return [block.title]
    if isinstance(block, Table):
        return _plain_table(block, width)
    if isinstance(block, Box):
        return [block.title, *(line for part in block.body for line in _plain_text(part, width, INDENT))]
    return _plain_code(block, width)


def _plain_text(block: Text, width: int, extra: int = 0) -> list[str]:
    pad = " " * (block.indent + extra)
    lead = block.lead[0]
    out: list[str] = []
    for number, line in enumerate(_lines(block.plain)):
        first = pad + (lead if number == 0 else " " * len(lead))
        if block.keep:
            out.append(first + line)
        else:
            out += _wrap(line, width, first, pad + " " * len(lead))
    return out


def _plain_table(table: Table, width: int) -> list[str]:
    pad = " " * INDENT
    out = _wrap(table.title, width) if table.title else []
    widths = column_widths(table, width)
    rows = [table.header, *table.rows] if table.header else list(table.rows)
    if widths is not None:
        for row in rows:
            cells = [_wrap_cell(cell, w) for cell, w in zip(row, widths, strict=True)]
            for k in range(max(len(c) for c in cells)):
                out.append(pad + (" " * GAP).join((c[k] if k < len(c) else "").ljust(w)
                                                  for c, w in zip(cells, widths, strict=True)))
    else:
        for name, pairs in _stacked(table):
            inner = pad * 2 if name else pad
            if name:
                out += _wrap(name, width, pad, pad)
            for label, value in pairs:
                out += _plain_text(text(value, lead=f"{label}: "), width, len(inner))
    out += [line for note in table.notes for line in _plain_text(text(note), width, INDENT)]
    return out


def _plain_code(block: Code, width: int) -> list[str]:
    out = [block.title] if block.title else []
    for name, source in block.panes:
        out += [f"{' ' * INDENT}{name}:"] if name else []
        out += [f"{' ' * INDENT * 2}{line}" for line in wrap_code(source, width - INDENT * 2).splitlines()]
    return out


# --- rich ----------------------------------------------------------------------------------------

def _draw_rich(blocks: list[Block], terminal: Terminal) -> None:
    from fwguide.render.console import rich_console

    console = rich_console(terminal)
    for block in blocks:
        console.print(rich_renderable(block, terminal.width), soft_wrap=isinstance(block, Text) and block.keep)


def rich_renderable(block: Block, width: int) -> Any:
    from rich.padding import Padding
    from rich.text import Text as RichText

    if isinstance(block, Text):
        return _rich_text(block)
    if isinstance(block, Heading):
        return RichText(block.title, style=block.style)
    if isinstance(block, Table):
        from rich.console import Group

        parts: list[Any] = [RichText(table_title, style="bold underline")
                            for table_title in [block.title] if table_title]
        if block.rows:
            parts.append(Padding(_rich_table(block, width), (0, 0, 0, INDENT)))
        parts += [Padding(RichText(note, style=block.notes_style), (0, 0, 0, INDENT)) for note in block.notes]
        return Group(*parts)
    if isinstance(block, Box):
        from rich.console import Group
        from rich.panel import Panel

        return Panel(Group(*(_rich_text(part) for part in block.body)), title=RichText(block.title),
                     title_align="left", border_style="dim")
    return _rich_code(block, width)


def _rich_text(block: Text) -> Any:
    from rich.padding import Padding
    from rich.text import Text as RichText

    body = RichText(" " * block.indent if block.keep else "", no_wrap=block.keep)
    for piece, style in block.parts:
        if block.keep:  # each folded line of a command or URL starts at the block's indent
            piece = piece.replace("\n", "\n" + " " * block.indent)
        body.append(piece, _RICH_STYLES.get(style, style) or None)
    if block.lead[0]:
        return _hanging(RichText(block.lead[0], style=block.lead[1] or ""), body, block.indent)
    return Padding(body, (0, 0, 0, block.indent)) if block.indent and not block.keep else body


def _marked(cell: str, marks: Mapping[str, str]) -> Any:
    from rich.text import Text as RichText

    styled = RichText(cell)
    word = next((w for w in marks if cell == w or cell.startswith(w + " ")), None)
    if word is not None:
        styled.stylize(marks[word], 0, len(word))
    return styled


def _rich_table(table: Table, width: int) -> Any:
    from rich.console import Group
    from rich.table import Table as RichTable
    from rich.text import Text as RichText

    widths = column_widths(table, width)
    if widths is not None:
        drawn = RichTable(box=None, show_header=bool(table.header), header_style="bold", pad_edge=False,
                          padding=(0, GAP // 2), collapse_padding=False)
        for index, name in enumerate(table.header or ("",) * len(widths)):
            drawn.add_column(name, width=widths[index], overflow="fold",
                             style="bold" if not table.header and index == 0 else None)
        for row in table.rows:
            drawn.add_row(*(_marked(cell, table.marks) for cell in row))
        return drawn
    parts: list[Any] = []
    for name, pairs in _stacked(table):
        if name:
            parts.append(RichText(name, style="bold"))
        for label, value in pairs:
            parts.append(_hanging(RichText(f"{label}: ", style="dim" if name else "bold"),
                                  _marked(value, table.marks), INDENT if name else 0))
    return Group(*parts)


def _hanging(lead: Any, body: Any, indent: int = 0) -> Any:
    """`lead` then `body`, whose wrapped lines start under the body's first character."""
    from rich.padding import Padding
    from rich.table import Table as RichTable

    grid = RichTable.grid()
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")  # a word longer than the column folds onto the next line, never cut to "…"
    grid.add_row(lead, body)
    return Padding(grid, (0, 0, 0, indent)) if indent else grid


def _longest(block: Code) -> int:
    return max((len(line) for _, source in block.panes for line in source.rstrip().splitlines()), default=0)


def _syntax(source: str, language: str = "python") -> Any:
    from rich.syntax import Syntax

    return Syntax(source.rstrip(), language, theme="ansi_dark", background_color="default")


def _rich_code(block: Code, width: int) -> Any:
    from rich.console import Group
    from rich.panel import Panel
    from rich.table import Table as RichTable
    from rich.text import Text as RichText

    longest = _longest(block)
    side_by_side = len(block.panes) > 1 and (longest + 4) * len(block.panes) + (len(block.panes) - 1) <= width
    # Side by side only when every line fits its half; stacked, a line too long for the frame breaks
    # at a token boundary (wrap_code), never inside a word.
    room = longest if side_by_side else max(width - 4, 20)
    panels = [Panel(_syntax(wrap_code(source, room), block.language), title=RichText(name), title_align="left",
                    border_style="dim") for name, source in block.panes]
    title = [RichText(block.title, style="italic")] if block.title else []
    if side_by_side:
        grid = RichTable.grid(expand=True, padding=(0, 1))
        for _ in panels:
            grid.add_column(ratio=1)
        grid.add_row(*panels)
        return Group(*title, grid)
    return Group(*title, *panels)
