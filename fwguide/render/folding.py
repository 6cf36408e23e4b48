"""Breaking a long command, URL or line of code at token boundaries, never inside a word.

Plain strings in, plain strings out: the layout (fwguide.render.layout) folds a `keep` text with
`fold_command` (a command) or `fold` (a URL) and a code pane with `wrap_code`, so the terminal never
has to break any of them mid-word.
"""

from __future__ import annotations

import re

# Patterns are kept as sources: re compiles (and caches) each on first use, so importing costs nothing.
# Where a command or URL too long for its line may fold: after a space or a slash, before - _ . ? & =.
_TOKEN_END = r"(?<=[ /])|(?=[-_.?&=])"
# Where a long line of code may break: after ", " or an opening bracket, or before a space; failing those,
# before the "." of an attribute.
_CODE_BREAKS = (r"(?<=, )|(?<=[(\[{])|(?= )", r"(?=\.)")


def fold(line: str, room: int) -> list[str]:
    """`line` in pieces of at most `room` characters, cut at token boundaries (a long URL at its slashes),
    so the terminal never breaks it mid-word; a piece with no boundary in reach is cut at `room`."""
    pieces = []
    while len(line) > room > 0:
        cuts = [m.start() for m in re.compile(_TOKEN_END).finditer(line, 1, room) if m.start() > room // 3]
        cut = cuts[-1] if cuts else room
        pieces.append(line[:cut].rstrip())
        line = line[cut:].lstrip() if line[cut - 1:cut] == " " else line[cut:]
    return [*pieces, line]


def fold_command(line: str, room: int) -> list[str]:
    """A shell command too long for its line, folded between its words with a trailing ` \\`, so that what
    is copied from the screen still runs as one command; a single word longer than the line stays whole."""
    words, lines = line.split(" "), [""]
    for word in words:
        joined = f"{lines[-1]} {word}" if lines[-1].strip() else f"{lines[-1]}{word}"
        if len(joined) + 2 > room and lines[-1].strip():  # room for " \" at the end of a folded line
            lines[-1] += " \\"
            lines.append(f"  {word}")
        else:
            lines[-1] = joined
    return lines


def wrap_code(source: str, width: int) -> str:
    """`source` with every line longer than `width` broken at a token boundary, continued 4 columns further in.

    Code is never broken inside a word, so what the terminal shows can still be read (and copied
    with the breaks removed); a comment's continuation keeps its `#`.
    """
    out: list[str] = []
    for line in source.rstrip().splitlines():
        indent = len(line) - len(line.lstrip())
        while len(line) > width:
            cuts = next((found for pattern in _CODE_BREAKS if (found := [
                m.start() for m in re.compile(pattern).finditer(line, indent + 1, width + 1)
                if indent + 8 < m.start()])), [])
            if not cuts:
                break  # one long token: shown whole rather than cut inside it
            head, rest = line[:cuts[-1]].rstrip(), line[cuts[-1]:].lstrip()
            comment = "# " if "#" in head and not head.lstrip().startswith(("'", '"')) and "#" not in rest[:1] else ""
            out.append(head)
            line = " " * (indent + 4) + comment + rest
        out.append(line)
    return "\n".join(out)
