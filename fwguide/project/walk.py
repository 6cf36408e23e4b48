"""Walk a project folder within bounds and keep what each file says (fwguide.project.scan concludes from it).

Bounded in files and time, so `fwguide ask` can look at the folder before the first question
without anyone noticing. Files are read as bytes and searched with regular expressions; nothing is
imported, executed or parsed as TOML/YAML. Folders are walked breadth first, so the files that say
most (top-level dependency files, the main package) are read before the bound can cut the walk
short. What each file said is kept with its size and mtime (`FileFindings`), so a later walk of the
same folder can skip the files that did not change.
"""

import os
import re
import time
from collections import Counter, deque
from pathlib import Path

import msgspec

from fwguide import frameworks
from fwguide.project.apis import ApiMatcher
from fwguide.project.apis import find as find_apis
from fwguide.project.files import MAX_LINES, OutOfTime, code_imports, head, notebook_imports, requirement_names
from fwguide.project.legacy import FileUse
from fwguide.project.models import ModelFile, in_folder
from fwguide.safetext import one_line

CODE_BYTES = 256 * 1024  # imports sit near the top; a generated 50 MB module is not read whole
BIG_BYTES = 4 * 1024 * 1024  # notebooks carry their outputs, lock files every package
_LINE_KINDS = ("requirements", "cfg", "conda")  # read line by line, up to MAX_LINES lines
_API_KINDS = ("code", "setup", "notebook", "env")  # files the API map is looked for in

# Folders that hold no project code of their own: environments, caches, build output, other tools' trees.
SKIP_DIRS = frozenset({
    "node_modules", "__pycache__", "site-packages", "dist-packages", "venv", "env", "virtualenv", "build", "dist",
    "wheelhouse", "htmlcov", "__pypackages__",
})
_ENV_MARKERS = ("pyvenv.cfg", "conda-meta")  # a folder holding one of these is an environment, whatever its name

# Every registered framework's names (only the decision's count for existing_code), Keras (counted by its
# backend), and plain numerical code.
MODULES = {
    **{module: f.id for f in frameworks.known() for module in f.imports},
    "keras": "keras", "numpy": "numpy", "scipy": "numpy", "pandas": "numpy", "sklearn": "numpy",
}
_PACKAGES = {
    **{name: f.id for f in frameworks.known() for name in f.requirements if not name.endswith("-")},
    "keras": "keras",
}
_PACKAGE_PREFIXES = tuple((name, f.id) for f in frameworks.known() for name in f.requirements if name.endswith("-"))

# Patterns are kept as sources: re compiles (and caches) each on first use.
_BACKEND_SET = rb"KERAS_BACKEND[\\'\"\]\s]*[=,:][\s\\'\"]*(\w+)|set_backend\(\s*\\?['\"](\w+)"
_KERAS_JSON = rb'"backend"\s*:\s*"(\w+)"'
_KERAS2 = r"(==|~=|<=?|\^)\s*2|<\s*3"


def _kind(name: str, folder_name: str) -> str | None:
    """Which reader a file needs, from its name alone."""
    if name.endswith(".py"):
        return "setup" if name == "setup.py" else "code"
    if name.endswith(".ipynb"):
        return "notebook"
    if (name.startswith("requirements") and name.endswith((".txt", ".in"))) or (
            folder_name.startswith("requirements") and name.endswith(".txt")):
        return "requirements"
    if name in ("pyproject.toml", "Pipfile"):
        return "toml"
    if name in ("uv.lock", "poetry.lock"):
        return "lock"
    if name == "Pipfile.lock":
        return "pipfile-lock"
    if name == "setup.cfg":
        return "cfg"
    if name in ("environment.yml", "environment.yaml"):
        return "conda"
    if name == "keras.json":
        return "keras-json"
    if name in (".env", ".envrc") or name.endswith(".env") or name.startswith("Dockerfile"):
        return "env"
    return None


def _package_family(name: str) -> str | None:
    name = name.lower().replace("_", "-")
    return _PACKAGES.get(name) or next((family for prefix, family in _PACKAGE_PREFIXES if name.startswith(prefix)),
                                       None)


class FileFindings(msgspec.Struct, frozen=True, array_like=True):
    """What one file said, remembered with the size and mtime it had when it was read."""

    size: int
    mtime_ns: int
    backends: list[str] = []  # Keras backends it sets
    modules: list[str] = []  # framework-related top-level modules it imports
    requirements: list[tuple[str, str]] = []  # (distribution, version spec) it declares
    cut: bool = False  # too long to read whole: only its start was read
    apis: list[tuple[str, int]] = []  # (API map entry, line) for each use the map knows


_SETTLED_NS = 2_000_000_000  # a file changed this recently may change again within its mtime's tick: not remembered


class Walker:
    """One bounded walk of a folder, and everything it collected on the way."""

    def __init__(self, root: Path, max_files: int, max_seconds: float,
                 remembered: dict[str, FileFindings] | None = None, matcher: ApiMatcher | None = None,
                 code_bytes: int = CODE_BYTES):
        self.root, self.max_files = root, max_files
        self.matcher, self.code_bytes = matcher, code_bytes
        self.uses: list[FileUse] = []
        self.models: list[ModelFile] = []
        self.prefix = os.path.join(str(root), "")  # what to cut from a path to show it relative to the root
        self.deadline = time.perf_counter() + max_seconds
        self.max_seconds = max_seconds
        self.files_read = 0
        self.stopped = ""
        self.file_modules: list[set[str]] = []  # one set of families per code file that imports any
        self.module_files: Counter[str] = Counter()
        self.declared: dict[str, dict[str, list[str]]] = {}  # family -> "direct"/"lock" -> files
        self.keras2_pin: str = ""
        self.backends: dict[str, set[str]] = {}  # backend -> files setting it
        self.remembered = remembered or {}
        self.findings: dict[str, FileFindings] = {}  # what to remember for the next scan, by path
        self.cut: list[str] = []  # files read only in part
        self.now_ns = time.time_ns()

    def walk(self) -> None:
        folders = deque([self.root])
        while folders:
            folder = folders.popleft()
            try:
                with os.scandir(folder) as listing:
                    entries = sorted(listing, key=lambda e: e.name)
            except OSError:
                continue
            if folder != self.root and any(e.name in _ENV_MARKERS for e in entries):
                continue
            self.models += in_folder(os.path.join(folder, "")[len(self.prefix):], entries)
            folder_name = folder.name
            for entry in entries:
                if self._out_of_bounds():
                    return
                name = entry.name
                try:
                    if entry.is_dir(follow_symlinks=False):
                        if not name.startswith(".") and name not in SKIP_DIRS and not name.endswith(".egg-info"):
                            folders.append(Path(entry.path))
                        continue
                    kind = _kind(name, folder_name)
                    if kind is not None and entry.is_file():
                        self._consider(entry, kind)
                except OSError:
                    continue
                except OutOfTime:  # inside one long file: what it said so far is not counted
                    self.stopped = (f"stopped after {self.max_seconds:g} s (the limit) while reading "
                                    f"{self._shown(entry.path)}, having read {self.files_read} files; "
                                    "what it read counts")
                    return

    def _shown(self, path: str) -> str:
        """A path as the evidence shows it: relative to the root, one line, its control characters escaped."""
        return one_line(path[len(self.prefix):])

    def _out_of_bounds(self) -> bool:
        if self.files_read >= self.max_files:
            self.stopped = f"stopped after reading {self.max_files} files (the limit); what it read counts"
        elif time.perf_counter() > self.deadline:
            self.stopped = (f"stopped after {self.max_seconds:g} s (the limit), having read {self.files_read} files; "
                            "what it read counts")
        return bool(self.stopped)

    def _consider(self, entry: os.DirEntry[str], kind: str) -> None:
        info = entry.stat()
        found = self.remembered.get(entry.path)
        if found is None or (found.size, found.mtime_ns) != (info.st_size, info.st_mtime_ns):
            found = _read(entry.path, kind, info.st_size, info.st_mtime_ns, self.deadline, matcher=self.matcher,
                          code_bytes=self.code_bytes)
        if self.now_ns - found.mtime_ns > _SETTLED_NS:
            self.findings[entry.path] = found
        self.files_read += 1
        where = self._shown(entry.path)
        if found.cut:
            self.cut.append(where)
        for backend in found.backends:
            self.backends.setdefault(backend, set()).add(where)
        if found.modules:
            self.file_modules.append(set(found.modules))
            self.module_files.update(found.modules)
        if found.apis or any(MODULES[m] != "numpy" for m in found.modules):
            self.uses.append(FileUse(where, tuple(sorted({MODULES[m] for m in found.modules} - {"numpy"})),
                                     tuple(found.apis)))
        self._declare(where, kind, found.requirements)  # only dependency files declare any

    def _declare(self, where: str, kind: str, pairs: list[tuple[str, str]]) -> None:
        strength = "lock" if kind in ("lock", "pipfile-lock") else "direct"
        for name, spec in pairs:
            family = _package_family(name)
            if family is None:
                continue
            places = self.declared.setdefault(family, {}).setdefault(strength, [])
            if where not in places:
                places.append(where)
            if family == "keras" and strength == "direct" and re.search(_KERAS2, spec):
                self.keras2_pin = f"{where} pins keras {spec.strip()} (Keras 2 runs on TensorFlow)"


def _read(path: str, kind: str, size: int, mtime_ns: int, deadline: float | None = None,
          matcher: ApiMatcher | None = None, code_bytes: int = CODE_BYTES) -> FileFindings:
    limit = code_bytes if kind in ("code", "setup") else BIG_BYTES
    data = head(path, limit)
    # Code is read for its imports, which sit near the top; anything else cut short is said to be.
    too_long = len(data) >= limit or (kind in _LINE_KINDS and data.count(b"\n") > MAX_LINES)
    cut = kind not in ("code", "setup") and too_long
    backends: set[str] = set()
    if b"KERAS_BACKEND" in data or b"set_backend" in data:
        backends.update((m.group(1) or m.group(2)).decode().lower() for m in re.finditer(_BACKEND_SET, data))
    if kind == "keras-json":
        backends.update(value.decode().lower() for value in re.findall(_KERAS_JSON, data))
    modules: set[str] = set()
    if kind in ("code", "setup", "notebook") and b"import" in data:
        modules = notebook_imports(data) if kind == "notebook" else code_imports(data)
    requirements = []
    if kind not in ("code", "notebook", "keras-json", "env"):
        requirements = requirement_names(kind, data.decode("utf-8", errors="replace"), deadline)
    apis = find_apis(data, matcher, kind == "notebook") if matcher and kind in _API_KINDS else []
    return FileFindings(size, mtime_ns, sorted(backends), sorted(m for m in modules if m in MODULES), requirements,
                        cut, apis)


def walk(root: Path, max_files: int, max_seconds: float, remembered: dict[str, FileFindings] | None,
         matcher: ApiMatcher | None = None, code_bytes: int = CODE_BYTES) -> Walker:
    """Walk `root` within the bounds; `remembered`: what each file said last time, read again only if it changed."""
    walker = Walker(root, max_files, max_seconds, remembered, matcher, code_bytes)
    walker.walk()
    return walker
