"""Lay a team's files over the built-in rulebook, field by field, and type-check the result.

Mappings merge key by key; lists of items with an `id` merge by id (new ids are appended);
other lists and values replace. Devices merge by `name`; the install table is replaced whole.
`mode: replace` in a team's `rulebook:` header starts from nothing instead. The merged items
keep the file and line of every value, so a problem names the file it came from.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec

from fwguide.rulebook.parse import ParsedFile, Problem, convert, locate
from fwguide.rulebook.schema import (
    Alternative,
    ApiEntry,
    Category,
    DevicePeak,
    InstallOption,
    Meta,
    Question,
    Rulebook,
    Split,
)
from fwguide.rulebook.yamlsource import LineDict, LineList

# Each list section: its item type and the field naming an item (None: the section is replaced whole,
# as the install table's cells only make sense together).
_SECTIONS: dict[str, tuple[type, str | None]] = {
    "questions": (Question, "id"),
    "categories": (Category, "id"),
    "install": (InstallOption, None),
    "devices": (DevicePeak, "name"),
    "alternatives": (Alternative, "id"),
    "splits": (Split, "id"),
    "apis": (ApiEntry, "id"),
}


def merge(base: list[ParsedFile], overlay: list[ParsedFile]) -> tuple[Rulebook, dict[int, LineDict], list[Problem]]:
    """One typed rulebook from the built-in files and a team's; origins map id(item) -> its merged YAML."""
    problems = [p for f in base + overlay for p in f.problems]
    base_header, team_header = _header(base, problems), _header(overlay, problems)
    replace = team_header is not None and team_header.get("mode") == "replace"
    layers = [overlay] if replace else [base, overlay]
    origins: dict[int, LineDict] = {}
    typed: dict[str, list[Any]] = {}
    for section, (kind, key) in _SECTIONS.items():
        merged: list[LineDict] = []
        before: dict[str, LineDict] = {}
        for layer in layers:
            items = _layer_items(layer, section, key, problems)
            before = {raw[key]: raw for raw in merged if key and isinstance(raw.get(key), str)}
            merged = (items or merged) if key is None else _merge_by(merged, items, key)
        typed[section] = []
        for raw in merged:
            item = convert(raw, kind, (), problems)
            ident = raw.get(key) if key else None
            earlier = before.get(ident) if isinstance(ident, str) else None
            if item is None and earlier is not None:  # keep the built-in item: its problems are reported, not cascaded
                item, raw = convert(earlier, kind, (), []), earlier
            if item is not None:
                typed[section].append(item)
                origins[id(item)] = raw
    meta = _meta(None if replace else base_header, team_header, problems)
    if meta is None:
        shown = next((f.sections["questions"].file for f in overlay + base if "questions" in f.sections),
                     Path("<rulebook>"))
        problems.append(Problem(shown, None, "rulebook",
                                "no file declares the rulebook's version and as_of (a `rulebook:` section)"))
        meta = Meta(version="0", as_of=datetime.date.today())
    sources = [str(f.path) for layer in layers for f in layer]
    return Rulebook(meta=meta, sources=sources, **typed), origins, problems


def _header(layer: list[ParsedFile], problems: list[Problem]) -> LineDict | None:
    declared = [f.sections["rulebook"] for f in layer if "rulebook" in f.sections]
    for extra in declared[1:]:
        problems.append(Problem(*locate(extra, ()), "rulebook", f"declared again (already in {declared[0].file})"))
    return declared[0] if declared else None


def _meta(base: LineDict | None, team: LineDict | None, problems: list[Problem]) -> Meta | None:
    base_meta = convert(base, Meta, ("rulebook",), problems) if base is not None else None
    team_meta = convert(team, Meta, ("rulebook",), problems) if team is not None else None
    if base_meta is None or team_meta is None:
        return base_meta or team_meta
    return msgspec.structs.replace(team_meta, version=f"{base_meta.version}+{team_meta.version}",
                                   as_of=max(base_meta.as_of, team_meta.as_of),
                                   checked={**base_meta.checked, **team_meta.checked})


def _layer_items(layer: list[ParsedFile], section: str, key: str | None, problems: list[Problem]) -> list[LineDict]:
    """A layer's items of one section, across its files; an id given twice is a problem (the later one counts)."""
    items: list[LineDict] = []
    seen: dict[str, int] = {}
    for parsed in layer:
        for raw in parsed.sections.get(section, ()):
            ident = raw.get(key) if key else None
            if key is None or not isinstance(ident, str):
                items.append(raw)
            elif ident in seen:
                problems.append(Problem(*locate(raw, (key,)), key,
                                        f"duplicate {key} {ident!r} (each {key} must be unique in {section})"))
                items[seen[ident]] = raw
            else:
                seen[ident] = len(items)
                items.append(raw)
    return items


def _merge_by(base: Sequence[Any], over: Sequence[Any], key: str) -> list[Any]:
    """`base` with each item of `over` merged into the item of the same `key`, or appended."""
    merged = list(base)
    where = {item[key]: index for index, item in enumerate(merged)
             if isinstance(item, LineDict) and isinstance(item.get(key), str)}
    for item in over:
        ident = item.get(key) if isinstance(item, LineDict) else None
        index = where.get(ident) if isinstance(ident, str) else None
        if index is None:
            if isinstance(ident, str):
                where[ident] = len(merged)
            merged.append(item)
        else:
            merged[index] = merge_values(merged[index], item)
    return merged


def merge_values(base: Any, over: Any) -> Any:
    """`over` laid on `base`: mappings recursively, lists of items with an id by id, anything else replaced."""
    if isinstance(base, LineDict) and isinstance(over, LineDict):
        merged = _located_like(over, LineDict())
        merged.key_lines, merged.entry_files = {}, {}
        for source in (base, over):
            for key, value in source.items():
                merged[key] = merge_values(base[key], value) if source is over and key in base else value
                merged.key_lines[key] = source.key_lines.get(key)
                merged.entry_files[key] = getattr(source, "entry_files", {}).get(key, source.file)
        return merged
    if isinstance(base, LineList) and isinstance(over, LineList) and over and all(
            isinstance(item, LineDict) and isinstance(item.get("id"), str) for item in (*base, *over)):
        merged = _located_like(over, LineList(_merge_by(base, over, "id")))
        merged.item_lines = [item.line for item in merged]
        return merged
    return over


def _located_like(source: LineDict | LineList, target: Any) -> Any:
    target.line, target.file = source.line, source.file
    return target
