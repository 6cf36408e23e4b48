"""The packages a dependency file declares: requirements files, pyproject/Pipfile TOML, setup files, lock files, conda.

Regular expressions over text, so a scan never imports a TOML or YAML parser; good enough to
find framework names and their version pins, not a full parser of any of these formats.
"""

from __future__ import annotations

import re

_REQ_LINE = r"^\s*([A-Za-z0-9][\w.-]*)\s*(?:\[[^\]]*\])?\s*([^;#@]*)"
_QUOTED_REQ = r"""["']([A-Za-z0-9][\w.-]*)\s*(?:\[[^\]]*\])?\s*([^"';]*)"""
_TOML_KEY = r"""(?m)^\s*["']?([A-Za-z0-9][\w.-]*)["']?\s*=\s*(.*)$"""
_TOML_HEADER = r"(?m)^\s*\[+([^\]]+)\]+\s*$"
_LOCK_NAME = r'(?m)^name\s*=\s*"([^"]+)"'
_PIPFILE_LOCK_NAME = r'"([A-Za-z0-9][\w.-]*)"\s*:\s*\{'


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
