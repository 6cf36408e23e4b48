"""Where a project's files use an API the rulebook's API map knows (rules/apis.yaml), and on which lines.

Bytes and linear regular expressions only, as in fwguide.project.files: a file is never imported, run
or parsed as Python. A file's imports are read first, so `tf.compat.v1.placeholder` is found however
the file reached it: `import tensorflow as tf` (`tf.compat.v1.placeholder`), `import tensorflow.compat.v1
as tf` (`tf.placeholder`), `from tensorflow.compat import v1` (`v1.placeholder`) or an import of the name
itself. What it cannot follow: names bound by assignment (`tf = tf.compat.v1`), `from x import *`, imports
built at run time. Text after `#` on a line is a comment and not read; docstrings and strings are.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fwguide.rulebook.schema import ApiEntry

MAX_PER_FILE = 1000  # findings kept per file: a generated file must not fill the report
# Bounds on the Python-level work per file, so a crafted file costs a fraction of a second: a real file has
# a few dozen imports and uses of the APIs in the map, not thousands.
_MAX_IMPORT_LINES = 5000  # lines holding "import" looked at
_MAX_CANDIDATES = 20_000  # attribute chains and words looked at
_MAX_CALL_CHECKS = 200  # calls whose arguments are searched for a keyword argument
_MAX_PARTS = 12  # components of a dotted path looked at; a longer chain is cut there
_MAX_IMPORT_SPAN = 4096  # bytes a parenthesised `from x import (...)` may span
_CALL_SPAN = 2000  # bytes of a call's arguments searched for a keyword argument
_WORD = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_NAME_PART = _WORD | {ord(".")}

# One import statement on one line (the line's indentation and a notebook's quote already removed):
# `from a.b import c as d, e` or `import a.b as c, d`. Disjoint classes around every repetition: linear.
_IMPORT = rb"(?:from[ \t]+([\w.]+)[ \t]+)?import[ \t]+([^\n#;]*)"


class ApiMatcher:
    """The API map compiled for scanning: which imports to follow, which paths and words to look for."""

    def __init__(self, entries: Sequence[ApiEntry]):
        self.entries = {entry.id: entry for entry in entries}
        self._paths: dict[str, tuple[str, bool]] = {}  # dotted path -> (entry id, found through aliases too)
        self._arguments: dict[str, bytes] = {}  # entry id -> the keyword argument its calls must pass, as a regex
        self.literals: dict[bytes, str] = {}  # word -> entry id
        for entry in entries:
            self._paths.update((path, (entry.id, False)) for path in entry.match.module)
            self._paths.update((path, (entry.id, True)) for path in entry.match.attribute)
            self.literals.update((word.encode(), entry.id) for word in entry.match.literal)
            if entry.match.argument:
                name, _, value = (re.escape(side.strip().encode()) for side in entry.match.argument.partition("="))
                self._arguments[entry.id] = rb"(?<![\w.])" + name + rb"[ \t\r\n]*=[ \t\r\n]*" + value + rb"(?![\w.])"
        # An alias is worth following when an attribute path lies below what it names; only the names that
        # lead there are looked for after it (`torch.` then jit, onnx or export: not every torch.tensor).
        self.next: dict[str, set[str]] = {}
        for path, (_, deep) in self._paths.items():
            parts = path.split(".")
            for k in range(1, len(parts) if deep else 0):
                self.next.setdefault(".".join(parts[:k]), set()).add(parts[k])
        self.follow = frozenset(self.next)
        self.roots = frozenset(path.split(".")[0] for path in self._paths)
        # Import lines naming none of these need no closer look (one search per line, in C).
        self.root_pattern = re.compile(b"|".join(re.escape(root.encode()) for root in sorted(self.roots)) or b"(?!)")
        identity = repr(sorted((e.id, e.match.module, e.match.attribute, e.match.literal, e.match.argument)
                               for e in entries))
        self.fingerprint = hashlib.blake2b(identity.encode(), digest_size=8).hexdigest()

    def lookup(self, path: str, below: int = 0) -> str | None:
        """The entry the longest listed prefix of `path` belongs to.

        `below` > 0: `path` was reached through an alias naming its first `below` components, so only an
        attribute entry deeper than the alias counts (the import line already reported anything shallower).
        """
        parts = path.split(".")[:_MAX_PARTS]
        for k in range(len(parts), max(below, 0), -1):
            hit = self._paths.get(".".join(parts[:k]))
            if hit is None:
                continue
            entry_id, deep = hit
            return None if below and not deep else entry_id
        return None

    def argument(self, entry_id: str) -> bytes | None:
        return self._arguments.get(entry_id)


def find(data: bytes, matcher: ApiMatcher, notebook: bool = False) -> list[tuple[str, int]]:
    """(entry id, line) for every use in `data`, in line order, each entry at most once per line."""
    found: dict[tuple[str, int], None] = {}
    aliases: dict[str, str] = {}
    if b"import" in data:
        for line, bound, path in _imports(data, notebook, matcher.root_pattern):
            if path.split(".")[0] not in matcher.roots:
                continue
            hit = matcher.lookup(path)
            if hit is not None and matcher.argument(hit) is None:
                found[(hit, line)] = None
            if bound and path in matcher.follow:
                aliases[bound] = path
    words = [word for word in matcher.literals if word in data]
    if aliases or words:
        for key in _uses(data, matcher, aliases, words):
            found[key] = None
            if len(found) >= MAX_PER_FILE:
                break
    return sorted(found, key=lambda key: key[1])


def _uses(data: bytes, matcher: ApiMatcher, aliases: dict[str, str], words: list[bytes]) -> Iterator[tuple[str, int]]:
    """Attribute chains through `aliases` and the API map's `words`, outside comments, with their lines."""
    # Every alternative starts with a literal: the regex engine skips ahead to candidates, and comments are
    # told apart only for those (a `#` earlier on the same line), each stretch of the file looked at once.
    branches = []
    for alias in sorted(aliases, key=len, reverse=True):
        names = b"|".join(re.escape(n.encode()) for n in sorted(matcher.next[aliases[alias]], key=len, reverse=True))
        branches.append(re.escape(alias.encode()) + rb"\.(?:" + names + rb")(?!\w)[\w.]*")
    branches += [re.escape(word) + rb"(?!\w)" for word in sorted(words, key=len, reverse=True)]
    line, counted, calls, commented = 1, 0, 0, False
    for seen, match in enumerate(re.finditer(b"|".join(branches), data)):
        if seen >= _MAX_CANDIDATES:
            return
        start, text = match.start(), match.group()
        newline = data.rfind(b"\n", counted, start)
        if newline != -1:  # a new line: count the lines passed, and look for a `#` from its start
            line += data.count(b"\n", counted, start)
            counted, commented = newline + 1, False
        commented = commented or data.find(b"#", counted, start) != -1
        counted = start
        if commented or (start and data[start - 1] in (_NAME_PART if b"." in text else _WORD)):
            continue  # in a comment, or part of a longer name (`self.tf.x`, `my_tf.x`)
        if b"." not in text:
            yield matcher.literals[text], line
            continue
        alias, _, rest = text[:512].decode("ascii", "replace").rstrip(".").partition(".")
        base = aliases[alias]
        hit = matcher.lookup(f"{base}.{rest}", below=base.count(".") + 1)
        if hit is None:
            continue
        pattern = matcher.argument(hit)
        if pattern is not None:
            calls += 1
            if calls > _MAX_CALL_CHECKS or not re.search(pattern, _call(data, match.end())):
                continue
        yield hit, line


def _call(data: bytes, at: int) -> bytes:
    """The argument list of a call whose name ends at `at` (up to its closing parenthesis, bounded)."""
    window = data[at:at + _CALL_SPAN]
    if window.lstrip()[:1] != b"(":
        return b""
    depth = 0
    for bracket in re.finditer(rb"[()]", window):
        depth += 1 if bracket.group() == b"(" else -1
        if depth == 0:
            return window[:bracket.end()]
    return window


def _imports(data: bytes, notebook: bool, roots: re.Pattern[bytes]) -> Iterator[tuple[int, str, str]]:
    """(line, name bound, dotted path) for each name bound by a file's import statements that mention `roots`.

    `import a.b` binds `a` to `a` but imports `a.b` (yielded as ("", "a.b") as well, for the import itself).
    """
    line, counted, start, looked = 1, 0, 0, 0
    while (at := data.find(b"import", start)) != -1 and looked < _MAX_IMPORT_LINES:
        looked += 1
        begin = data.rfind(b"\n", 0, at) + 1
        end = data.find(b"\n", at)
        end = len(data) if end == -1 else end
        start = end  # each line is read once, however many times it says "import"
        text = _statement_text(data[begin:end], notebook)
        match = re.match(_IMPORT, text) if text and roots.search(text) else None
        if match is None:
            continue
        line += data.count(b"\n", counted, begin)
        counted = begin
        names = match.group(2)
        if b"(" in names and b")" not in names:  # from x import (a,\n b)
            close = data.find(b")", end, end + _MAX_IMPORT_SPAN)
            more = data[end:close if close != -1 else end]
            names += more.replace(b"\\n", b" ").replace(b'"', b" ") if notebook else more
        for bound, path in _bindings(match.group(1), names):
            yield line, bound, path


def _statement_text(raw: bytes, notebook: bool) -> bytes:
    """A line's statement: without indentation, and in a notebook without the JSON string around it."""
    text = raw.strip()
    if notebook:
        if not text.startswith(b'"'):
            return b""
        text = text[1:].split(b"\\n", 1)[0].split(b'"', 1)[0].strip()
    return text if text.startswith((b"import", b"from")) else b""


def _bindings(module: bytes | None, names: bytes) -> Iterable[tuple[str, str]]:
    """(name bound, dotted path) for one statement; ("", path) for what `import a.b` imports beyond `a`."""
    base = module.decode("ascii", "replace") if module else ""
    if base.startswith("."):  # a relative import: the project's own code
        return
    for part in names.replace(b"(", b" ").replace(b")", b" ").replace(b"\\", b" ").split(b","):
        words = part.decode("ascii", "replace").split()
        if not words or words[0] == "*" or not _dotted(words[0]):
            continue
        alias = words[2] if len(words) >= 3 and words[1] == "as" and words[2].isidentifier() else ""
        if base:
            yield alias or words[0], f"{base}.{words[0]}"
        elif alias:
            yield alias, words[0]
        else:
            yield words[0].split(".")[0], words[0].split(".")[0]
            if "." in words[0]:
                yield "", words[0]


def _dotted(name: str) -> bool:
    return all(part.isidentifier() for part in name.split("."))


def matcher_for(entries: Sequence[ApiEntry] | None = None) -> ApiMatcher:
    """The matcher for `entries`, or for the built-in rulebook's API map (loaded only now, when a project is read)."""
    if entries is None:
        from fwguide.rulebook import load

        entries = load().apis
    return ApiMatcher(entries)
