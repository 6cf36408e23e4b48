"""Read rulebook YAML files, type-check them and merge a team overlay, with located problems.

Only a cache miss or `fwguide rules validate` comes here: importing yaml and building
the error machinery is kept off the start-up path of `explain` and `ask`.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any, NamedTuple, get_args

import msgspec

from fwguide.errors import located
from fwguide.rulebook.loader import BUILTIN_DIR, rule_files
from fwguide.rulebook.schema import (
    CategoryKind, Compute, Framework, Meta, OperatingSystem, QuestionKind, Rulebook, RulebookFile, Winner,
)

_SECTIONS = {"rulebook": Meta, **{name: None for name in ("questions", "categories", "install", "devices", "alternatives")}}


class Problem(NamedTuple):
    path: Path
    line: int | None
    field: str
    expected: str

    def __str__(self) -> str:
        return located(self.path, self.line, self.field, self.expected)


class Origin(NamedTuple):
    """Where a merged item came from, for error messages about the merged rulebook."""

    path: Path
    raw: Any  # the LineDict the item was converted from


class ParsedFile(NamedTuple):
    path: Path
    content: RulebookFile
    origins: dict[int, Origin]  # id(item) -> origin
    problems: list[Problem]


def parse_file(path: Path) -> ParsedFile:
    """Read and type-check one file, collecting every problem instead of stopping at the first."""
    from fwguide.rulebook.yamlsource import LineDict, line_of, read_yaml

    data = read_yaml(path)
    problems: list[Problem] = []
    origins: dict[int, Origin] = {}
    if data is None:
        return ParsedFile(path, RulebookFile(), origins, [Problem(path, 1, "", "the file is empty")])
    if not isinstance(data, LineDict):
        return ParsedFile(path, RulebookFile(), origins, [Problem(path, 1, "", "expected a mapping at the top level")])

    def convert(value: Any, kind: Any, field: str) -> Any:
        try:
            return msgspec.convert(value, kind, strict=True)
        except msgspec.ValidationError as exc:
            message, _, where = str(exc).partition(" - at `")
            where = where.rstrip("`") or "$"
            unknown = re.match(r"Object contains unknown field `(.+)`", message)
            if unknown:  # point at the unknown key itself, not at its mapping
                where, message = f"{where}.{unknown.group(1)}", "unknown field (not part of the schema: a typo?)"
            line, sub = line_of(value, where)
            name = field + (sub if sub.startswith("[") else f".{sub}" if sub else "")
            problems.append(Problem(path, line, name, _expected(message, name)))
            return None

    sections: dict[str, Any] = {}
    item_types = {f.name: f.type for f in msgspec.structs.fields(RulebookFile)}
    for key, value in data.items():
        if key not in _SECTIONS:
            allowed = ", ".join(_SECTIONS)
            problems.append(Problem(path, data.key_lines.get(key), str(key), f"unknown top-level key (expected one of: {allowed})"))
        elif key == "rulebook":
            sections[key] = convert(value, Meta, key)
        elif not isinstance(value, list):
            problems.append(Problem(path, data.key_lines.get(key), key, "expected a list"))
        else:
            (item_type,) = item_types[key].__args__
            items = []
            for index, raw in enumerate(value):
                item = convert(raw, item_type, f"{key}[{index}]")
                if item is not None:
                    items.append(item)
                    origins[id(item)] = Origin(path, raw)
            sections[key] = items
    content = RulebookFile(**{k: v for k, v in sections.items() if v is not None})
    return ParsedFile(path, content, origins, problems)


def _expected(message: str, field: str) -> str:
    """msgspec's message minus backticks; for a closed set of values, name the values."""
    if message.startswith("Invalid enum value"):
        name = re.sub(r"\[\d+\]", "", field).split(".")[-1]
        allowed = _ALLOWED.get(f"{field.split('[')[0]}.{name}") or _ALLOWED.get(name)
        if allowed:
            return f"{message.replace('Invalid enum value', 'got')}, expected one of: {', '.join(allowed)}"
    return message.replace("`", "")


_ALLOWED: dict[str, tuple[str, ...]] = {
    "winner": get_args(Winner),
    "framework": get_args(Framework),
    "compute": get_args(Compute),
    "os": get_args(OperatingSystem),
    "categories.kind": get_args(CategoryKind),
    "questions.kind": get_args(QuestionKind),
    "mode": ("overlay", "replace"),
    "detect": ("os", "hardware"),
}


def merge(base: list[ParsedFile], overlay: list[ParsedFile]) -> tuple[Rulebook, dict[int, Origin], list[Problem]]:
    """Merge files into one rulebook; an overlay replaces items with the same id (or all, in replace mode)."""
    problems = [p for f in base + overlay for p in f.problems]
    base_meta, overlay_meta = _layer_meta(base, problems), _layer_meta(overlay, problems)
    replace = overlay_meta is not None and overlay_meta.mode == "replace"
    layers = [overlay] if replace else [base, overlay]
    if replace or base_meta is None:
        meta = overlay_meta
    else:
        meta = _overlay_meta(base_meta, overlay_meta) if overlay_meta else base_meta
    origins: dict[int, Origin] = {}
    merged: dict[str, dict[str, Any]] = {"questions": {}, "categories": {}, "devices": {}, "alternatives": {}}
    install: list[Any] = []
    sources: list[str] = []
    for layer in layers:
        layer_install = [i for f in layer for i in f.content.install]
        if layer_install:  # the install table is replaced whole: its cells only make sense together
            install = layer_install
        for section, key in (("questions", "id"), ("categories", "id"), ("devices", "name"), ("alternatives", "id")):
            seen: set[str] = set()
            for parsed in layer:
                for item in getattr(parsed.content, section):
                    ident = getattr(item, key)
                    if ident in seen:
                        line = parsed.origins[id(item)].raw.line
                        problems.append(Problem(parsed.path, line, f"{section}: {ident}", f"duplicate {key} (each {key} must be unique)"))
                    seen.add(ident)
                    merged[section][ident] = item
        for parsed in layer:
            sources.append(str(parsed.path))
            origins.update(parsed.origins)
    if meta is None:
        path = (overlay or base)[0].path
        problems.append(Problem(path, None, "rulebook", "no file declares the rulebook's version and as_of (a `rulebook:` section)"))
        meta = Meta(version="0", as_of=datetime.date.today())
    rulebook = Rulebook(
        meta=meta,
        questions=list(merged["questions"].values()),
        categories=list(merged["categories"].values()),
        install=install,
        devices=list(merged["devices"].values()),
        sources=sources,
        alternatives=list(merged["alternatives"].values()),
    )
    return rulebook, origins, problems


def _layer_meta(layer: list[ParsedFile], problems: list[Problem]) -> Meta | None:
    metas = [f for f in layer if f.content.rulebook is not None]
    for extra in metas[1:]:
        problems.append(Problem(extra.path, None, "rulebook", f"declared again (already in {metas[0].path})"))
    return metas[0].content.rulebook if metas else None


def _overlay_meta(base: Meta, team: Meta) -> Meta:
    return msgspec.structs.replace(team, version=f"{base.version}+{team.version}", as_of=max(base.as_of, team.as_of))


def check(rules: Path | None = None) -> tuple[Rulebook, list[Problem]]:
    """Parse and fully validate the built-in rulebook, plus `rules` as an overlay (or replacement)."""
    from fwguide.rulebook.validate import semantic_problems  # imports this module: keep it lazy

    base = [parse_file(p) for p in rule_files(BUILTIN_DIR)]
    overlay = [parse_file(p) for p in rule_files(rules)] if rules is not None else []
    rulebook, origins, problems = merge(base, overlay)
    problems += semantic_problems(rulebook, origins)
    return rulebook, problems
