"""Plain-text views for `fwguide explain` when stdout is not a terminal (pipes, files, `| less`).

No rich here: piped output stays greppable and the command stays at start-up speed.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Sequence
from typing import Any

from fwguide.rulebook.names import FRAMEWORK_TITLES
from fwguide.rulebook.schema import Category, Rulebook

FRAMEWORK_NAMES = {**FRAMEWORK_TITLES, "tie": "tie", None: "-"}
KIND_NAMES = {"article": "article", "article-note": "article note", "new": "new since 2017"}
_WIDTH = 88


def _wrap(text: str, indent: str = "  ") -> str:
    return textwrap.fill(" ".join(text.split()), width=_WIDTH, initial_indent=indent, subsequent_indent=indent)


def list_text(rulebook: Rulebook) -> str:
    rows = [("id", "title", "2017", "today", "kind")]
    rows += [
        (c.id, c.title, FRAMEWORK_NAMES[c.seed.winner if c.seed else None], FRAMEWORK_NAMES[c.current.winner],
         KIND_NAMES[c.kind])
        for c in rulebook.categories
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [f"Categories - rulebook {rulebook.meta.version} (as of {rulebook.meta.as_of})", ""]
    lines += ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(lines) + "\n"


def category_text(rulebook: Rulebook, category: Category, results: Sequence[Any] | None) -> str:
    out = [f"{category.title} ({category.id})"]
    if category.aliases:
        out.append(f"also: {', '.join(category.aliases)}")
    if category.seed is not None:
        article = rulebook.meta.article
        source = f"{article.author}, {article.year}" if article else "the 2017 article"
        out += ["", f"2017 ({source}) - winner: {FRAMEWORK_NAMES[category.seed.winner]}", _wrap(category.seed.summary)]
    out += ["", f"Today (as of {category.current.as_of}) - winner: {FRAMEWORK_NAMES[category.current.winner]}",
            _wrap(category.current.summary), "", "Evidence"]
    for item in category.current.evidence:
        since = f" [{FRAMEWORK_NAMES[item.framework]} {item.since or ''}]".replace(" ]", "]") if item.framework else ""
        out += [_wrap(f"- {item.claim}{since}"), f"    {item.source}"]
    for snippet in category.snippets:
        out += ["", snippet.task]
        for name, code in (("PyTorch", snippet.pytorch), ("TensorFlow", snippet.tensorflow)):
            out += [f"  {name}:", textwrap.indent(code.rstrip(), "    ")]
    out.append("")
    if results is None:
        names = ", ".join(c.target or c.check for c in category.checks) or "none"
        out += [_wrap(f"Live checks: {names}", ""), "(run with --check to verify them against the frameworks installed here)"]
    else:
        out.append("Live checks on this machine")
        marks = {"pass": "ok  ", "fail": "FAIL", "error": "ERR ", "skip": "skip"}
        for r in results:
            version = f" {r.framework_version}" if r.framework_version else ""
            out.append(f"  {marks.get(r.status, '?   ')} {FRAMEWORK_NAMES[r.framework]}{version}: "
                       f"{r.label or r.target or r.check} - {r.detail}")
    return "\n".join(out) + "\n"


def write(text: str) -> None:
    sys.stdout.write(text)
