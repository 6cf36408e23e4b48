"""Read rulebook YAML files and type-check their items, reporting every problem with its file and line.

Only a cache miss or `fwguide rules validate` comes here: importing yaml and building
the error machinery is kept off the start-up path of `explain` and `ask`.

Every problem is shown one way: `FILE:LINE: field.path: expected`, the file as given (a
built-in file relative to the rulebook's root) and the field path inside its item
(`current.winner`, `scoring.rules[2].weight`).
"""

from __future__ import annotations

import re
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal, NamedTuple, Union, get_args, get_origin

import msgspec

from fwguide.errors import located
from fwguide.rulebook.yamlsource import LineDict, LineList, read_yaml

SECTIONS = ("rulebook", "questions", "categories", "install", "devices", "alternatives", "splits", "apis")
FieldPath = tuple[str | int, ...]


class Problem(NamedTuple):
    path: Path
    line: int | None
    field: str
    expected: str

    def __str__(self) -> str:
        return located(self.path, self.line, self.field, self.expected)


class ParsedFile(NamedTuple):
    path: Path  # where it was read from
    sections: dict[str, Any]  # top-level key -> its raw value, every node tagged with the file as shown
    problems: list[Problem]


def parse_file(path: Path, shown: Path) -> ParsedFile:
    """Read one file and check its top level; its items are type-checked once merged."""
    data = read_yaml(path)
    if data is None:
        return ParsedFile(path, {}, [Problem(shown, 1, "", "the file is empty")])
    if not isinstance(data, LineDict):
        return ParsedFile(path, {}, [Problem(shown, 1, "", "expected a mapping at the top level")])
    _tag(data, shown)
    sections: dict[str, Any] = {}
    problems = []
    for key, value in data.items():
        if key not in SECTIONS:
            problems.append(Problem(shown, data.key_lines.get(key), str(key),
                                    f"unknown top-level key (expected one of: {', '.join(SECTIONS)})"))
        elif key == "rulebook":
            if isinstance(value, LineDict):
                sections[key] = value
            else:
                problems.append(Problem(shown, data.key_lines.get(key), key, "expected a mapping"))
        elif not isinstance(value, LineList):
            problems.append(Problem(shown, data.key_lines.get(key), key, "expected a list"))
        else:
            for index, item in enumerate(value):
                if not isinstance(item, LineDict):
                    problems.append(Problem(shown, value.item_lines[index], f"{key}[{index}]", "expected a mapping"))
            sections[key] = LineList(item for item in value if isinstance(item, LineDict))
            sections[key].file, sections[key].line = shown, value.line
    return ParsedFile(path, sections, problems)


def _tag(node: Any, shown: Path) -> None:
    """Mark every mapping and list with the file it came from: merged items mix files."""
    if isinstance(node, (LineDict, LineList)):
        node.file = shown
        for child in node.values() if isinstance(node, LineDict) else node:
            _tag(child, shown)


def convert(raw: Any, kind: type, prefix: FieldPath, problems: list[Problem]) -> Any:
    """`raw` as a `kind` when it has no problem; else None, with every problem it has added."""
    found = [Problem(*locate(raw, path), dotted(prefix + path), expected)
             for path, expected in type_problems(raw, kind)]
    if not found:
        try:
            return msgspec.convert(raw, kind, strict=True)
        except msgspec.ValidationError as exc:  # a case the walk does not know: msgspec's own words
            found = [Problem(*locate(raw, ()), dotted(prefix), str(exc).replace("`", ""))]
    problems += found
    return None


def type_problems(value: Any, kind: Any, path: FieldPath = ()) -> Iterator[tuple[FieldPath, str]]:
    """Every way `value` fails to be a `kind`: all fields of a mapping are checked, not just the first."""
    origin = get_origin(kind)
    if isinstance(kind, type) and issubclass(kind, msgspec.Struct) and isinstance(value, LineDict):
        fields = {f.encode_name: f for f in msgspec.structs.fields(kind)}
        for key, item in value.items():
            field = fields.get(key)
            if field is None:
                yield (*path, str(key)), "unknown field (not part of the schema: a typo?)"
            else:
                yield from type_problems(item, field.type, (*path, key))
        for name, field in fields.items():
            if field.required and name not in value:
                yield path, f"missing required field {name}"
    elif origin is list and isinstance(value, LineList):
        for index, item in enumerate(value):
            yield from type_problems(item, get_args(kind)[0], (*path, index))
    elif origin is dict and isinstance(value, LineDict):
        key_kind, value_kind = get_args(kind)
        for key, item in value.items():
            for _, problem in type_problems(key, key_kind):
                yield (*path, str(key)), f"key: {problem}"
            yield from type_problems(item, value_kind, (*path, str(key)))
    elif origin in (Union, types.UnionType) and type(None) in get_args(kind) and len(get_args(kind)) == 2:
        if value is not None:
            yield from type_problems(value, next(a for a in get_args(kind) if a is not type(None)), path)
    elif origin is Literal:
        if value not in get_args(kind):
            yield path, f"got {value!r}, expected one of: {', '.join(map(str, get_args(kind)))}"
    else:
        try:
            msgspec.convert(value, kind, strict=True)
        except msgspec.ValidationError as exc:
            message, _, where = str(exc).partition(" - at `")
            yield (*path, *parse_path(where.rstrip("`").removeprefix("$"))), message.replace("`", "")


_TOKEN = re.compile(r"\.?([^.\[\]]+)|\[(\d+)\]")


def parse_path(text: str) -> FieldPath:
    """`scoring.rules[2].when` -> ("scoring", "rules", 2, "when"); msgspec's `[...]` (a key) ends it."""
    parts: list[str | int] = []
    for match in _TOKEN.finditer(text.split("[...]")[0]):
        parts.append(match.group(1) if match.group(1) is not None else int(match.group(2)))
    return tuple(parts)


def dotted(path: FieldPath) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


def locate(node: Any, path: FieldPath) -> tuple[Path, int | None]:
    """The file and line of the deepest value along `path` that exists (merged items mix files)."""
    where, line = getattr(node, "file", Path("<rulebook>")), getattr(node, "line", None)
    for part in path:
        if isinstance(part, int) and isinstance(node, LineList) and part < len(node):
            where, line = _entry_file(node, part), node.item_lines[part]
        elif isinstance(node, LineDict) and part in node:
            where, line = _entry_file(node, part), node.key_lines.get(part, line)
        else:
            break
        node = node[part]
    return where, line


def _entry_file(node: LineDict | LineList, entry: Any) -> Path:
    if isinstance(node, LineList):
        return getattr(node[entry], "file", node.file)
    return getattr(node, "entry_files", {}).get(entry, node.file)

