"""What one file of a project says: the modules its code or notebook imports, the packages a dependency file declares.

Bytes and regular expressions only, so a scan never imports, executes or parses TOML/YAML: good
enough to find framework names and their version pins, not a full parser of any of these formats.
Dependency files: requirements files, pyproject/Pipfile TOML, setup files, lock files, conda.
"""

from __future__ import annotations

import os
import re

# Patterns are kept as sources: re compiles (and caches) each on first use, so a folder without
# lock files or notebooks never pays for their patterns, and importing this module stays cheap.

_REQ_LINE = r"^\s*([A-Za-z0-9][\w.-]*)\s*(?:\[[^\]]*\])?\s*([^;#@]*)"
_QUOTED_REQ = r"""["']([A-Za-z0-9][\w.-]*)\s*(?:\[[^\]]*\])?\s*([^"';]*)"""
_TOML_KEY = r"""(?m)^\s*["']?([A-Za-z0-9][\w.-]*)["']?\s*=\s*(.*)$"""
_TOML_HEADER = r"(?m)^\s*\[+([^\]]+)\]+\s*$"
_LOCK_NAME = r'(?m)^name\s*=\s*"([^"]+)"'
_PIPFILE_LOCK_NAME = r'"([A-Za-z0-9][\w.-]*)"\s*:\s*\{'
_PY_IMPORT = rb"(?m)^[ \t]*(?:from[ \t]+([A-Za-z_]\w*)|import[ \t]+([^\n#;]+))"
# Notebook sources are JSON strings: a line starts after an opening quote or an escaped newline.
_NB_IMPORT = rb'(?:"|\\n)[ \t]*(?:from[ \t]+([A-Za-z_]\w*)|import[ \t]+([^\n#;"\\]+))'


def requirement_names(kind: str, text: str) -> list[tuple[str, str]]:
    """(package, version spec) pairs a dependency file declares."""
    if kind == "requirements":
        pairs = []
        for line in text.splitlines():
            line = line.split(" #", 1)[0].strip()
            egg = re.search(r"#egg=([\w.-]+)", line)
            if egg:
                pairs.append((egg.group(1), ""))
            elif line and not line.startswith(("-", "#")):
                match = re.match(_REQ_LINE, line)
                if match:
                    pairs.append((match.group(1), match.group(2).strip()))
        return pairs
    if kind in ("toml", "setup"):
        return _toml_requirements(text) if kind == "toml" else re.findall(_QUOTED_REQ, text)
    if kind == "lock":
        return [(name, "") for name in re.findall(_LOCK_NAME, text)]
    if kind == "pipfile-lock":
        return [(name, "") for name in re.findall(_PIPFILE_LOCK_NAME, text)]
    if kind == "cfg":
        return _section_lines(text, r"^\[options", r"^\s*(?:[\w-]+\s*=\s*)?([A-Za-z0-9][\w.-]*)\s*([^;#\n]*)")
    if kind == "conda":
        return _section_lines(text, r"^dependencies\s*:", r"^\s*-\s*(?:[\w.-]+::)?([A-Za-z0-9][\w.-]*)\s*([^#\s]*)",
                              header=r"^\S")
    return []


def _section_lines(text: str, wanted: str, item: str, header: str = r"^\[") -> list[tuple[str, str]]:
    """Items of the sections whose header matches `wanted` (INI sections, or top-level YAML keys)."""
    pairs, inside = [], False
    for line in text.splitlines():
        if re.match(header, line):
            inside = bool(re.match(wanted, line))
            continue
        match = re.match(item, line) if inside else None
        if match:
            pairs.append((match.group(1), match.group(2).strip()))
    return pairs


def _toml_requirements(text: str) -> list[tuple[str, str]]:
    """Requirements in pyproject.toml / Pipfile: PEP 508 strings and Poetry/Pipenv-style keys in dependency tables."""
    pairs = []
    parts = re.split(_TOML_HEADER, text)
    for header, body in zip(parts[1::2], parts[2::2]):
        header = header.strip()
        if header in ("project", "build-system"):
            key = "dependencies" if header == "project" else "requires"
            array = re.search(rf"^\s*{key}\s*=\s*\[(.*?)\]", body, re.M | re.S)
            pairs += re.findall(_QUOTED_REQ, array.group(1)) if array else []
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
    """The stretches of `data` around each occurrence of `word`, joined: a regex then reads kilobytes, not megabytes."""
    pieces, start = [], 0
    while (at := data.find(word, start)) != -1:
        pieces.append(data[max(0, at - before):at + after])
        start = at + len(word)
    return b"\n".join(pieces)


def code_imports(data: bytes) -> set[str]:
    """Top-level modules a Python file imports (only its lines that mention "import" are searched)."""
    return _modules(lines_with(data, b"import"), _PY_IMPORT)


def notebook_imports(data: bytes) -> set[str]:
    """Top-level modules a notebook imports; outputs (base64 images) fill most of it: only text near "import" is read."""
    return _modules(text_around(data, b"import"), _NB_IMPORT)
