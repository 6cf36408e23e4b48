"""Load the rulebook: from the cache when its files are unchanged, else parse and validate.

A validated rulebook is cached (fwguide.cache) keyed by its files' paths, sizes and mtimes,
so `explain` and `ask` skip YAML parsing (and even importing yaml) on later runs.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from fwguide import __version__
from fwguide.cache import KeyedCache
from fwguide.errors import FwguideError
from fwguide.rulebook.schema import Rulebook
from fwguide.safetext import one_line

if TYPE_CHECKING:
    from fwguide.rulebook.parse import Problem

_PACKAGE = Path(__file__).resolve().parent.parent
# An installed wheel carries the rulebook inside the package; a checkout (editable install) reads
# the top-level rules/ live.
BUILTIN_DIR = _PACKAGE / "rules" if (_PACKAGE / "rules").is_dir() else _PACKAGE.parent / "rules"


def rule_files(path: Path) -> list[Path]:
    """The YAML files of a rulebook given as a file or a folder.

    In a folder, hidden entries (an editor's `.#file.yaml` lock, a `.swp`) are skipped; a
    YAML name that is not a readable regular file (a broken symlink, a loop, a FIFO) is an error.
    """
    if path.is_dir():
        files = _yaml_files(path)
        if not files:
            raise FwguideError(f"{path}: no .yaml files found", hint="a rulebook is a YAML file or a folder of them")
        for found in files:
            _require_regular(found)
        return sorted(files)
    if path.is_file():
        return [path]
    if os.path.lexists(path):
        _require_regular(path)
    raise FwguideError(f"{path}: no such file or folder", hint="--rules takes a YAML file or a folder of them")


def _yaml_files(top: Path) -> list[Path]:
    """The .yaml/.yml names under `top`, hidden entries skipped; walked with a list, not recursion, so any depth
    works."""
    files, folders = [], [str(top)]
    while folders:
        folder = folders.pop()
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError as exc:
            raise FwguideError(f"{folder}: cannot be read: {exc.strerror or exc}",
                               hint="--rules takes a YAML file or a folder of them") from None
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                is_folder = entry.is_dir()
            except OSError:  # a link loop: listed as a file, and refused as one
                is_folder = False
            if is_folder:
                if not entry.is_symlink():  # as os.walk: a link to a folder is not followed
                    folders.append(entry.path)
            elif entry.name.endswith((".yaml", ".yml")):
                files.append(Path(entry.path))
    return files


def _require_regular(path: Path) -> None:
    try:
        if stat.S_ISREG(os.stat(path).st_mode):
            return
        problem = "not a regular file (a FIFO, a device or a folder)"
    except FileNotFoundError:
        problem = "a broken symbolic link" if os.path.islink(path) else "no such file"
    except OSError as exc:  # a symlink loop, or no permission
        problem = f"cannot be read: {exc.strerror or exc}"
    raise FwguideError(f"{path}: {problem}", hint="remove it or point it at a YAML file")


def _cache_key(rules: Path | None) -> str:
    """Identify the rulebook's files by path, size and mtime: any edit gives a new key."""
    parts = [__version__]
    for root in (BUILTIN_DIR, rules and rules.resolve()):
        if root is not None:
            for path in rule_files(root):
                try:
                    info = path.stat()
                except OSError as exc:  # removed or changed since it was listed
                    raise FwguideError(f"{path}: cannot be read: {exc.strerror or exc}") from None
                parts.append(f"{path}\0{info.st_size}\0{info.st_mtime_ns}")
    return "\n".join(parts)


def load(rules: Path | None = None) -> Rulebook:
    """The validated rulebook, from the cache when its files have not changed."""
    key = _cache_key(rules)
    cached = _CACHE.load(key)
    if cached is not None:
        return cached
    rulebook, problems = check(rules)
    if problems:
        shown = "\n".join(str(p) for p in problems[:10])
        more = f"\n... and {len(problems) - 10} more" if len(problems) > 10 else ""
        raise FwguideError(f"the rulebook has problems:\n{shown}{more}",
                           hint="run `fwguide rules validate` for the full list")
    _CACHE.store(key, rulebook)
    return rulebook


def check(rules: Path | None = None) -> tuple[Rulebook, list[Problem]]:
    """Parse and fully validate the built-in rulebook, with `rules` laid over it (or replacing it)."""
    # YAML and the checks are imported only on a cache miss or by `rules validate`.
    from fwguide.rulebook.merge import merge
    from fwguide.rulebook.parse import parse_file
    from fwguide.rulebook.validate import semantic_problems

    base = [parse_file(path, path.relative_to(BUILTIN_DIR)) for path in rule_files(BUILTIN_DIR)]
    # A team's files are shown as given, with any control character in their names escaped.
    overlay = [parse_file(path, Path(one_line(str(path)))) for path in rule_files(rules)] if rules is not None else []
    rulebook, origins, problems = merge(base, overlay)
    # The contract is the built-in one: a team's rulebook cannot unmark a question.
    promised = (load() if rules is not None else rulebook).questions
    problems += semantic_problems(rulebook, origins, [q for q in promised if q.contract])
    return rulebook, problems


# A team rulebook may be large and each edit makes a new key: few entries, each capped.
_CACHE: KeyedCache[Rulebook] = KeyedCache("rulebook", Rulebook, max_bytes=16 << 20, max_entries=8)
