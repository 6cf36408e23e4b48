"""Markdown for every `--markdown` and `--report` output: layout blocks as GitHub-flavoured Markdown.

Everything shown comes through here, so text from outside (host names, file names, versions,
a report's own fix) can add no structure: no heading, list item, table row, raw HTML, link or
image of its own. Outside text is first made printable (fwguide.safetext), then escaped for
the place it lands in: running text, a table cell, a heading or a code span.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from fwguide.render.layout import Block, Box, Code, Heading, Table, Text
from fwguide.safetext import one_line

# Characters that start or end Markdown structure anywhere in a line (emphasis, code, links,
# images, raw HTML, tables, strikethrough, entities, footnotes).
_INLINE = re.compile(r"([\\`*_\[\]<>|~!&^])")
# What starts a block when it opens a line: headings, quotes, list items, rules (a marker, then
# the rest), and numbered items (digits, then the marker).
_LINE_START = re.compile(r"^([#>+=-])|^(\d+)([.)])")


def _words(text: str) -> str:
    return " ".join(one_line(" ".join(str(text).split())).split())


def inline(text: str) -> str:
    """`text` as one line of running Markdown that adds no structure of its own."""
    escaped = _INLINE.sub(r"\\\1", _words(text))
    return _LINE_START.sub(lambda m: f"\\{m.group(1)}" if m.group(1) else f"{m.group(2)}\\{m.group(3)}", escaped)


def cell(text: str, empty: str = "-") -> str:
    """A table cell: each line escaped, line breaks kept as <br> (the only HTML fwguide writes).

    A cell is not the start of a block, so only the inline characters (and the pipe) need escaping.
    """
    lines = [_INLINE.sub(r"\\\1", _words(line)) for line in str(text).split("\n") if line.strip()]
    return "<br>".join(lines) or empty


def heading(text: str, level: int = 2) -> str:
    return f"{'#' * max(1, min(level, 6))} {inline(text)}"


def code_span(text: str) -> str:
    """`text` as inline code, fenced with more backticks than it holds."""
    flat = " ".join(one_line(str(text)).split())
    fence = "`" * (max((len(run) for run in re.findall(r"`+", flat)), default=0) + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def code_block(source: str, language: str = "") -> list[str]:
    """A fenced block whose fence no line of `source` can close."""
    lines = [one_line(line) for line in source.rstrip().splitlines()]
    longest = max((len(run) for line in lines for run in re.findall(r"`{3,}", line)), default=2)
    fence = "`" * (longest + 1)
    return [fence + language, *lines, fence]


def _styled(block: Text) -> str:
    """A paragraph's segments, bold where the view made them bold; a command kept whole is inline code."""
    if block.keep:
        return code_span(block.plain)
    out = []
    for number, (piece, style) in enumerate(block.parts):
        core = inline(piece) if number == 0 else _INLINE.sub(r"\\\1", _words(piece))
        if "code" in style.split():
            core = code_span(piece)
        elif core and "bold" in style.split():
            core = f"**{core}**"
        lead = " " if piece[:1].isspace() and number else ""
        tail = " " if piece[-1:].isspace() else ""
        out.append(f"{lead}{core}{tail}")
    return re.sub(" {2,}", " ", "".join(out)).strip()


_URL = re.compile(r"https?://[^\s()<>\[\]`|\\]+")


def links(text: str) -> str:
    """Space-separated URLs as numbered links; anything that is not a plain URL stays inert inline code."""
    out = [f"[{n}]({url})" if _URL.fullmatch(url) else code_span(url) for n, url in enumerate(text.split(), start=1)]
    return " ".join(out) or "-"


def _cells(table: Table, row: tuple[str, ...]) -> str:
    # A table splits its row at every pipe, even inside a code span: there it must be escaped too.
    shown = [links(c) if i in table.links else code_span(c).replace("|", "\\|") if i in table.code and c.strip()
             else cell(c) for i, c in enumerate(row)]
    return "| " + " | ".join(shown) + " |"


def _table(table: Table) -> list[str]:
    lines = [f"**{inline(table.title)}**", ""] if table.title else []
    if table.header:
        lines.append("| " + " | ".join(cell(h, empty=" ") for h in table.header) + " |")
        lines.append("|" + "---|" * len(table.header))
        lines += [_cells(table, row) for row in table.rows]
    else:
        lines += [f"- **{inline(row[0])}**: {cell(row[1])}" for row in table.rows]
    lines += [f"\n{inline(note)}" for note in table.notes]
    return lines


def _lines(block: Block) -> list[str]:
    if isinstance(block, Heading):
        return [heading(block.title, block.level)]
    if isinstance(block, Text):
        if not block.plain.strip():
            return []
        lead = block.lead[0].strip()
        bullet = lead in ("-", "*", "•")
        prefix = " " * block.indent + "- " if bullet else (f"**{inline(lead)}** " if lead else "")
        return [prefix + _styled(block)]
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, Box):
        return [f"**{inline(block.title)}**", "", *(_styled(part) for part in block.body if part.plain.strip())]
    if isinstance(block, Code):
        lines = [f"*{inline(block.title)}*"] if block.title else []
        for name, source in block.panes:
            lines += (["", f"**{inline(name)}**", ""] if name else []) + code_block(source, block.language)
        return lines
    return []


def render(blocks: Iterable[Block]) -> str:
    """The blocks as one Markdown document: a blank line between blocks, list items kept together."""
    out: list[str] = []
    previous_bullet = False
    for block in blocks:
        lines = _lines(block)
        if not lines:
            continue
        bullet = isinstance(block, Text) and lines[0].lstrip().startswith("- ")
        if out and not (bullet and previous_bullet):
            out.append("")
        out += lines
        previous_bullet = bullet
    return "\n".join(out).strip("\n") + "\n"
