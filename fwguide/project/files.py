"""What one file of a project says: the modules its code or notebook imports, the packages a dependency file declares.

Bytes and regular expressions only, so a scan never imports, executes or parses TOML/YAML: good
enough to find framework names and their version pins, not a full parser of any of these formats.
Dependency files: requirements files, pyproject/Pipfile TOML, setup files, lock files, conda.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator

# Patterns are kept as sources: re compiles (and caches) each on first use, so a folder without
# lock files or notebooks never pays for their patterns, and importing this module stays cheap.

# Every pattern runs in time linear in its input (a scan must never hang on a crafted file): no
# repeat may cross a line unless nothing after it can fail, and no two repeats in a row may take
# the same characters (an extras bracket stops at a quote or a line's end, a TOML key's spaces
# are [ \t], never \s, which takes newlines).
_REQ_LINE = r"^\s*([A-Za-z0-9][\w.-]*)\s*(?:\[[^\]]*\])?\s*([^;#@]*)"
_QUOTED_REQ = r"""["']([A-Za-z0-9][\w.-]*)[ \t]*(?:\[[^\]"'\n]*\])?[ \t]*([^"';\n]*)"""
_TOML_KEY = r"""(?m)^[ \t]*["']?([A-Za-z0-9][\w.-]*)["']?[ \t]*=[ \t]*(.*)$"""
_TOML_HEADER = r"(?m)^[ \t]*\[+([^\[\]\n]+)\]+[ \t]*$"
_TOML_NEXT_KEY = r"(?m)^[ \t]*[\w.\"'-]+[ \t]*="
_LOCK_NAME = r'(?m)^name[ \t]*=[ \t]*"([^"\n]+)"'
MAX_NAME, MAX_SPEC = 100, 200  # characters kept of a package name and of its version spec
MAX_LINES = 100_000  # lines of one dependency file read (a requirements file of 4 MB has fewer)
_CHECK_EVERY = 2000  # lines between looks at the clock
_MAX_STRETCHES = 20_000  # occurrences of "import" looked at in one notebook (a real one has a few hundred)
_PIPFILE_LOCK_NAME = r'"([A-Za-z0-9][\w.-]*)"\s*:\s*\{'
_PY_IMPORT = rb"(?m)^[ \t]*(?:from[ \t]+([A-Za-z_]\w*)|import[ \t]+([^\n#;]+))"
# Notebook sources are JSON strings: a line starts after an opening quote or an escaped newline.
_NB_IMPORT = rb'(?:"|\\n)[ \t]*(?:from[ \t]+([A-Za-z_]\w*)|import[ \t]+([^\n#;"\\]+))'


class OutOfTime(Exception):
    """The scan's deadline passed while a file was being read."""


def _lines(text: str, deadline: float | None) -> Iterator[str]:
    """The first MAX_LINES lines of `text`, looking at the clock every few thousand."""
    for number, line in enumerate(text.splitlines()):
        if number % _CHECK_EVERY == 0 and number:
            if number >= MAX_LINES:
                return
            if deadline is not None and time.perf_counter() > deadline:
                raise OutOfTime
        yield line


def _pair(name: str, spec: str) -> tuple[str, str]:
    return name[:MAX_NAME], spec.strip()[:MAX_SPEC]


def requirement_names(kind: str, text: str, deadline: float | None = None) -> list[tuple[str, str]]:
    """(package, version spec) pairs a dependency file declares.

    Time linear in `text`; line by line readers stop after MAX_LINES lines and raise OutOfTime
    once `deadline` (a time.perf_counter() value) has passed.
    """
    if kind == "requirements":
        pairs = []
        requirement = re.compile(_REQ_LINE)
        for line in _lines(text, deadline):
            line = line.split(" #", 1)[0].strip()
            egg = re.search(r"#egg=([\w.-]+)", line) if "#egg=" in line else None
            if egg:
                pairs.append(_pair(egg.group(1), ""))
            elif line and not line.startswith(("-", "#")):
                match = requirement.match(line)
                if match:
                    pairs.append(_pair(match.group(1), match.group(2)))
        return pairs
    if kind in ("toml", "setup"):
        found = _toml_requirements(text, deadline) if kind == "toml" else re.findall(_QUOTED_REQ, text)
        return [_pair(name, spec) for name, spec in found]
    if kind == "lock":
        return [_pair(name, "") for name in re.findall(_LOCK_NAME, text)]
    if kind == "pipfile-lock":
        return [_pair(name, "") for name in re.findall(_PIPFILE_LOCK_NAME, text)]
    if kind == "cfg":
        return _section_lines(text, r"^\[options", r"^\s*(?:[\w-]+\s*=\s*)?([A-Za-z0-9][\w.-]*)\s*([^;#\n]*)", deadline)
    if kind == "conda":
        return _section_lines(text, r"^dependencies\s*:", r"^\s*-\s*(?:[\w.-]+::)?([A-Za-z0-9][\w.-]*)\s*([^#\s]*)",
                              deadline, header=r"^\S")
    return []


def _section_lines(text: str, wanted: str, item: str, deadline: float | None,
                   header: str = r"^\[") -> list[tuple[str, str]]:
    """Items of the sections whose header matches `wanted` (INI sections, or top-level YAML keys)."""
    pairs, inside = [], False
    for line in _lines(text, deadline):
        if re.match(header, line):
            inside = bool(re.match(wanted, line))
            continue
        match = re.match(item, line) if inside else None
        if match:
            pairs.append(_pair(match.group(1), match.group(2)))
    return pairs


def _toml_requirements(text: str, deadline: float | None) -> list[tuple[str, str]]:
    """Requirements in pyproject.toml / Pipfile: PEP 508 strings and Poetry/Pipenv-style keys in dependency tables."""
    pairs = []
    parts = re.split(_TOML_HEADER, text)
    for number, (header, body) in enumerate(zip(parts[1::2], parts[2::2], strict=True)):
        if deadline is not None and number % _CHECK_EVERY == _CHECK_EVERY - 1 and time.perf_counter() > deadline:
            raise OutOfTime
        header = header.strip()
        if header in ("project", "build-system"):
            key = "dependencies" if header == "project" else "requires"
            start = re.search(rf"(?m)^[ \t]*{key}[ \t]*=[ \t]*\[", body)
            if start:  # the array runs to the next key: a `]` inside an extra ("x[cuda]") does not end it
                end = re.compile(_TOML_NEXT_KEY).search(body, start.end())
                pairs += re.findall(_QUOTED_REQ, body[start.end():end.start() if end else len(body)])
        elif re.search(r"dependencies|dependency-groups|packages", header):
            pairs += re.findall(_QUOTED_REQ, body)
            pairs += [(key, value) for key, value in re.findall(_TOML_KEY, body)]
    return pairs


# --- imports in code and notebooks -------------------------------------------------------------

def _modules(data: bytes, pattern: bytes) -> set[str]:
    """Top-level module names imported by `data`."""
    found = set()
    for match in re.finditer(pattern, data):
        if match.group(1):
            found.add(match.group(1).decode())
            continue
        for part in match.group(2).split(b","):
            words = part.strip().split(b".")[0].split()
            if words:
                found.add(words[0].decode(errors="replace"))
    return found


def head(path: str, limit: int) -> bytes:
    """The first `limit` bytes of a file, read without a Python file object (a third of the cost per file)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        chunks, size = [], 0
        while size < limit:
            chunk = os.read(fd, min(65536, limit - size))  # small reads: no large buffer to allocate per file
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def lines_with(data: bytes, word: bytes) -> bytes:
    """The whole lines of `data` that hold `word`, joined: the import regex then reads a few lines per file."""
    lines, start = [], 0
    while (at := data.find(word, start)) != -1:
        end = data.find(b"\n", at)
        end = len(data) if end == -1 else end
        lines.append(data[data.rfind(b"\n", 0, at) + 1:end])
        start = end
    return b"\n".join(lines)


def text_around(data: bytes, word: bytes, before: int = 120, after: int = 300) -> bytes:
    """The stretches of `data` around each occurrence of `word`, joined: a regex then reads kilobytes, not megabytes.

    Overlapping stretches are merged, so the result is never longer than `data` (plus a newline per stretch).
    """
    spans: list[list[int]] = []
    start, seen = 0, 0
    while (at := data.find(word, start)) != -1 and seen < _MAX_STRETCHES:
        seen += 1
        low, high = max(0, at - before), at + after
        if spans and low <= spans[-1][1]:
            spans[-1][1] = high
        else:
            spans.append([low, high])
        start = at + len(word)
    return b"\n".join(data[low:high] for low, high in spans)


def code_imports(data: bytes) -> set[str]:
    """Top-level modules a Python file imports (only its lines that mention "import" are searched)."""
    return _modules(lines_with(data, b"import"), _PY_IMPORT)


def notebook_imports(data: bytes) -> set[str]:
    """Top-level modules a notebook imports; outputs (base64 images) fill most of it: only text near "import" is
    read."""
    return _modules(text_around(data, b"import"), _NB_IMPORT)
