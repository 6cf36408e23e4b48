"""Load the rulebook: read YAML files, type-check them, merge a team overlay, cache the result.

A validated rulebook is cached as msgpack keyed by its files' sizes and mtimes, so
`explain` and `ask` skip YAML parsing (and even importing yaml) on later runs.
"""

from __future__ import annotations

import datetime
import hashlib
from pathlib import Path
from typing import Any, NamedTuple

import msgspec

from fwguide import __version__
from fwguide.errors import FwguideError, located
from fwguide.files import cache_dir, write_atomic
from fwguide.rulebook.schema import Meta, Rulebook, RulebookFile

BUILTIN_DIR = Path(__file__).resolve().parent.parent / "rules"
_SECTIONS = {"rulebook": Meta, **{name: None for name in ("questions", "categories", "install", "devices")}}


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


def rule_files(path: Path) -> list[Path]:
    """The YAML files of a rulebook given as a file or a folder."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix in {".yaml", ".yml"} and p.is_file())
        if not files:
            raise FwguideError(f"{path}: no .yaml files found", hint="a rulebook is a YAML file or a folder of them")
        return files
    if path.is_file():
        return [path]
    raise FwguideError(f"{path}: no such file or folder", hint="--rules takes a YAML file or a folder of them")


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
            line, sub = line_of(value, where.rstrip("`")) if where else (getattr(value, "line", None), "")
            name = field + (sub if sub.startswith("[") else f".{sub}" if sub else "")
            problems.append(Problem(path, line, name, _expected(message)))
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


def _expected(message: str) -> str:
    # msgspec says "Expected `str`, got `int`"; keep it, minus the backticks.
    return message.replace("`", "")


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
    merged: dict[str, dict[str, Any]] = {"questions": {}, "categories": {}, "devices": {}}
    install: list[Any] = []
    sources: list[str] = []
    for layer in layers:
        layer_install = [i for f in layer for i in f.content.install]
        if layer_install:  # the install table is replaced whole: its cells only make sense together
            install = layer_install
        for section, key in (("questions", "id"), ("categories", "id"), ("devices", "name")):
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
    from fwguide.rulebook.validate import semantic_problems

    base = [parse_file(p) for p in rule_files(BUILTIN_DIR)]
    overlay = [parse_file(p) for p in rule_files(rules)] if rules is not None else []
    rulebook, origins, problems = merge(base, overlay)
    problems += semantic_problems(rulebook, origins)
    return rulebook, problems


def _cache_key(rules: Path | None) -> str:
    digest = hashlib.sha256(__version__.encode())
    for root in (BUILTIN_DIR, rules):
        if root is None:
            continue
        for path in rule_files(root):
            stat = path.stat()
            digest.update(f"{path.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:24]


def load(rules: Path | None = None) -> Rulebook:
    """The validated rulebook, from the cache when its files have not changed."""
    cache_file = cache_dir() / "rulebook" / f"{_cache_key(rules)}.msgpack"
    try:
        return msgspec.msgpack.decode(cache_file.read_bytes(), type=Rulebook)
    except (OSError, msgspec.DecodeError, msgspec.ValidationError):
        pass
    rulebook, problems = check(rules)
    if problems:
        shown = "\n".join(str(p) for p in problems[:10])
        more = f"\n... and {len(problems) - 10} more" if len(problems) > 10 else ""
        raise FwguideError(f"the rulebook has problems:\n{shown}{more}", hint="run `fwguide rules validate` for the full list")
    try:
        write_atomic(cache_file, msgspec.msgpack.encode(rulebook))
    except OSError:
        pass  # a read-only cache folder only costs speed
    return rulebook
