"""Load the rulebook: from the cache when its files are unchanged, else parse and validate.

A validated rulebook is cached as msgpack keyed by its files' paths, sizes and mtimes,
so `explain` and `ask` skip YAML parsing (and even importing yaml) on later runs.
"""

from __future__ import annotations

import os
import zlib
from pathlib import Path

import msgspec

from fwguide import __version__
from fwguide.errors import FwguideError
from fwguide.files import cache_dir, write_atomic
from fwguide.rulebook.schema import Rulebook

_PACKAGE = Path(__file__).resolve().parent.parent
# An installed wheel carries the rulebook inside the package; a checkout (editable install) reads
# the top-level rules/ live.
BUILTIN_DIR = _PACKAGE / "rules" if (_PACKAGE / "rules").is_dir() else _PACKAGE.parent / "rules"


def rule_files(path: Path) -> list[Path]:
    """The YAML files of a rulebook given as a file or a folder."""
    if path.is_dir():
        files = sorted(
            Path(root, name) for root, _, names in os.walk(path) for name in names if name.endswith((".yaml", ".yml"))
        )
        if not files:
            raise FwguideError(f"{path}: no .yaml files found", hint="a rulebook is a YAML file or a folder of them")
        return files
    if path.is_file():
        return [path]
    raise FwguideError(f"{path}: no such file or folder", hint="--rules takes a YAML file or a folder of them")


def _cache_key(rules: Path | None) -> str:
    """Identify the rulebook's files by path, size and mtime: any edit gives a new key."""
    parts = [__version__]
    for root in (BUILTIN_DIR, rules and rules.resolve()):
        if root is not None:
            for path in rule_files(root):
                stat = path.stat()
                parts.append(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}")
    return "\n".join(parts)


def load(rules: Path | None = None) -> Rulebook:
    """The validated rulebook, from the cache when its files have not changed."""
    key = _cache_key(rules)
    cache_file = cache_dir() / "rulebook" / f"{zlib.crc32(key.encode()):08x}.msgpack"
    try:
        cached = msgspec.msgpack.decode(cache_file.read_bytes(), type=_CachedRulebook)
        if cached.key == key:
            return cached.rulebook
    except (OSError, msgspec.DecodeError, msgspec.ValidationError):
        pass
    from fwguide.rulebook.parse import check

    rulebook, problems = check(rules)
    if problems:
        shown = "\n".join(str(p) for p in problems[:10])
        more = f"\n... and {len(problems) - 10} more" if len(problems) > 10 else ""
        raise FwguideError(f"the rulebook has problems:\n{shown}{more}", hint="run `fwguide rules validate` for the full list")
    try:
        write_atomic(cache_file, msgspec.msgpack.encode(_CachedRulebook(key, rulebook)))
    except OSError:
        pass  # a read-only cache folder only costs speed
    return rulebook


class _CachedRulebook(msgspec.Struct, array_like=True):
    key: str
    rulebook: Rulebook
