"""What a project folder already says about the framework question: imports in its code, dependencies it declares.

Scanning bounded in files and time, so `fwguide ask` can look at the folder before the first
question without anyone noticing. Files are read as bytes and searched with regular expressions;
nothing is imported, executed or parsed as TOML/YAML. Folders are walked breadth first, so the
files that say most (top-level dependency files, the main package) are read before the bound can
cut the scan short. What each file said is remembered by its size and mtime (`scan_cached`), so
the next run in the same folder reads only the files that changed.
"""

import os
import re
import time
from collections import Counter, deque
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from fwguide import frameworks
from fwguide.project.apis import ApiMatcher, matcher_for
from fwguide.project.apis import find as find_apis
from fwguide.project.files import MAX_LINES, OutOfTime, code_imports, head, notebook_imports, requirement_names
from fwguide.project.legacy import FileUse, Legacy, summarise
from fwguide.project.models import ModelFile, in_folder, suggest
from fwguide.safetext import one_line

if TYPE_CHECKING:
    from fwguide.rulebook.schema import ApiEntry

MAX_FILES = 3000  # files read: code, notebooks, dependency and environment files
MAX_SECONDS = 0.3
_CODE_BYTES = 256 * 1024  # imports sit near the top; a generated 50 MB module is not read whole
_BIG_BYTES = 4 * 1024 * 1024  # notebooks carry their outputs, lock files every package
_LINE_KINDS = ("requirements", "cfg", "conda")  # read line by line, up to MAX_LINES lines
_API_KINDS = ("code", "setup", "notebook", "env")  # files the API map is looked for in

# Folders that hold no project code of their own: environments, caches, build output, other tools' trees.
SKIP_DIRS = frozenset({
    "node_modules", "__pycache__", "site-packages", "dist-packages", "venv", "env", "virtualenv", "build", "dist",
    "wheelhouse", "htmlcov", "__pypackages__",
})
_ENV_MARKERS = ("pyvenv.cfg", "conda-meta")  # a folder holding one of these is an environment, whatever its name
_PROJECT_FILES = frozenset({"pyproject.toml", "setup.py", "setup.cfg", "environment.yml", "environment.yaml",
                            "Pipfile", "Pipfile.lock", "uv.lock", "poetry.lock"})

FAMILIES = frameworks.DECISION  # the frameworks whose code and dependencies answer `existing_code`
_LABEL = {f: frameworks.title(f) for f in FAMILIES}
# Every registered framework's names (only FAMILIES count for existing_code), Keras (counted by its backend),
# and plain numerical code.
_MODULES = {
    **{module: f.id for f in frameworks.known() for module in f.imports},
    "keras": "keras", "numpy": "numpy", "scipy": "numpy", "pandas": "numpy", "sklearn": "numpy",
}
_PACKAGES = {
    **{name: f.id for f in frameworks.known() for name in f.requirements if not name.endswith("-")},
    "keras": "keras",
}
_PACKAGE_PREFIXES = tuple((name, f.id) for f in frameworks.known() for name in f.requirements if name.endswith("-"))
# Keras 3 backends, and the framework each one counts for (None: neither of the two).
_BACKENDS = {**{f.keras_backend: f.id if f.id in FAMILIES else None for f in frameworks.known() if f.keras_backend},
             "numpy": None, "openvino": None}

# Patterns are kept as sources: re compiles (and caches) each on first use.
_BACKEND_SET = rb"KERAS_BACKEND[\\'\"\]\s]*[=,:][\s\\'\"]*(\w+)|set_backend\(\s*\\?['\"](\w+)"
_KERAS_JSON = rb'"backend"\s*:\s*"(\w+)"'
_KERAS2 = r"(==|~=|<=?|\^)\s*2|<\s*3"


class ProjectScan(msgspec.Struct, frozen=True):
    """What the scan of one folder found, and the answers it suggests with their evidence."""

    root: str
    files_read: int
    stopped: str  # why the scan stopped early ("" when it read everything it wanted)
    imports: dict[str, int]  # files importing each framework (Keras counted by its backend)
    declared: dict[str, list[str]]  # dependency files naming each framework
    keras_backend: str | None  # the Keras 3 backend the project sets, when it sets exactly one
    keras_family: str | None = None  # the framework Keras code counts for
    cut: list[str] = []  # dependency files or notebooks too long to read whole (only their start was read)
    answers: dict[str, str] = {}  # question id -> suggested choice
    evidence: dict[str, list[str]] = {}  # question id -> why
    notes: list[str] = []
    legacy: Legacy | None = None  # the API map's findings in brief (fwguide.project.legacy)
    models: list[ModelFile] = []  # trained-model files, found by name
    uses: list[FileUse] = []  # per file: the frameworks it imports and the API map entries it uses

    def to_json_dict(self) -> dict[str, object]:
        return {"path": self.root, "files_read": self.files_read, "complete": not self.stopped and not self.cut,
                "stopped": self.stopped or None, "imports": self.imports, "declared": self.declared,
                "keras_backend": self.keras_backend, "notes": self.notes,
                "legacy": msgspec.to_builtins(self.legacy), "models": msgspec.to_builtins(self.models)}


def looks_like_project(folder: Path) -> bool:
    """Whether `folder` itself holds what a project holds: .git, a dependency file, Python code or notebooks.

    The home folder, the temporary folder and a filesystem root count only with .git or a dependency
    file: a stray script there does not make every project below it one project.
    """
    loose_code = False
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                name = entry.name
                if name == ".git" or name in _PROJECT_FILES or (name.startswith("requirements") and name.endswith(".txt")):
                    return True
                loose_code = loose_code or name.endswith((".py", ".ipynb"))
    except OSError:
        return False
    return loose_code and not _holds_projects(folder)


def _holds_projects(folder: Path) -> bool:
    """The home folder, the temporary folder or a filesystem root: places that hold projects, not one."""
    import tempfile

    try:
        here = folder.resolve()
        return here == here.parent or here in {Path.home().resolve(), Path(tempfile.gettempdir()).resolve()}
    except (OSError, RuntimeError):
        return False


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


class _Scanner:
    def __init__(self, root: Path, max_files: int, max_seconds: float,
                 remembered: dict[str, FileFindings] | None = None, matcher: ApiMatcher | None = None,
                 code_bytes: int = _CODE_BYTES):
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
            for entry in entries:
                if self._out_of_bounds():
                    return
                name = entry.name
                try:
                    if entry.is_dir(follow_symlinks=False):
                        if not name.startswith(".") and name not in SKIP_DIRS and not name.endswith(".egg-info"):
                            folders.append(Path(entry.path))
                        continue
                    kind = _kind(name, folder.name)
                    if kind is not None and entry.is_file():
                        self._consider(entry, kind)
                except OSError:
                    continue
                except OutOfTime:  # inside one long file: what it said so far is not counted
                    self.stopped = (f"stopped after {self.max_seconds:g} s (the limit) while reading "
                                    f"{self._shown(entry.path)}, having read {self.files_read} files; what it read counts")
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
        if found.apis or any(_MODULES[m] != "numpy" for m in found.modules):
            self.uses.append(FileUse(where, tuple(sorted({_MODULES[m] for m in found.modules} - {"numpy"})),
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
          matcher: ApiMatcher | None = None, code_bytes: int = _CODE_BYTES) -> FileFindings:
    limit = code_bytes if kind in ("code", "setup") else _BIG_BYTES
    data = head(path, limit)
    # Code is read for its imports, which sit near the top; anything else cut short is said to be.
    cut = kind not in ("code", "setup") and (len(data) >= limit or (kind in _LINE_KINDS and data.count(b"\n") > MAX_LINES))
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
    return FileFindings(size, mtime_ns, sorted(backends), sorted(m for m in modules if m in _MODULES), requirements,
                        cut, apis)


def scan(root: Path, max_files: int = MAX_FILES, max_seconds: float = MAX_SECONDS,
         apis: "Sequence[ApiEntry] | None" = None, code_bytes: int = _CODE_BYTES) -> ProjectScan:
    """Scan `root` (bounded) and suggest `existing_code` / `experience` with the evidence for each.

    `apis`: the API map to look for (the built-in rulebook's when None); `code_bytes`: how much of each code file
    is read (`fwguide scan` reads more than `ask`, whose scan must go unnoticed).
    """
    return _conclude(_scan(root, max_files, max_seconds, None, matcher_for(apis), code_bytes))


def _scan(root: Path, max_files: int, max_seconds: float, remembered: dict[str, FileFindings] | None,
          matcher: ApiMatcher | None = None, code_bytes: int = _CODE_BYTES) -> _Scanner:
    scanner = _Scanner(root, max_files, max_seconds, remembered, matcher, code_bytes)
    scanner.walk()
    return scanner


def scan_cached(root: Path, apis: "Sequence[ApiEntry] | None" = None) -> ProjectScan:
    """`scan`, reading only the files that changed since the last scan of `root` (what each said is cached)."""
    from fwguide import __version__
    from fwguide.cache import KeyedCache

    memo: KeyedCache[dict[str, FileFindings]] = KeyedCache("project", dict[str, FileFindings], max_bytes=4 << 20,
                                                           max_entries=32)
    from fwguide.project import apis as project_apis
    from fwguide.project import files as project_files

    # What a file says depends on the code that reads it (this module, project_files, project_apis) and the API map.
    readers = [os.stat(module) for module in (__file__, project_files.__file__, project_apis.__file__)]
    matcher = matcher_for(apis)
    key = "\n".join([__version__, *(f"{s.st_size}:{s.st_mtime_ns}" for s in readers), matcher.fingerprint, str(root)])
    remembered = memo.load(key) or {}
    scanner = _scan(root, MAX_FILES, MAX_SECONDS, remembered, matcher)
    if scanner.findings != remembered:
        memo.store(key, scanner.findings)
    return _conclude(scanner)


def _keras_backend(s: _Scanner, notes: list[str]) -> tuple[str | None, str | None]:
    """The backend Keras code runs on (None: not told) and the framework it counts for."""
    uses_keras = s.module_files["keras"] or "keras" in s.declared
    if not uses_keras:
        return None, None
    known = {b: places for b, places in s.backends.items() if b in _BACKENDS}
    if len(known) == 1:
        backend, places = next(iter(known.items()))
        notes.append(f"Keras code counts for its backend {backend!r}, set in {', '.join(sorted(places)[:3])}")
        return backend, _BACKENDS[backend]
    if len(known) > 1:
        notes.append(f"Keras backend set to {' and '.join(sorted(known))} in different places: Keras code counts "
                     "for TensorFlow, Keras' default")
        return None, "tensorflow"
    if s.keras2_pin:
        notes.append(s.keras2_pin)
        return "tensorflow", "tensorflow"
    direct = [f for f in frameworks.known() if f.keras_backend and "direct" in s.declared.get(f.id, {})]
    if len(direct) == 1:
        backend = direct[0].keras_backend
        notes.append(f"Keras code counts for {backend!r}: no KERAS_BACKEND is set, and it is the only backend the "
                     "dependencies declare")
        return backend, _BACKENDS[backend]
    notes.append("cannot tell which backend the Keras code runs on (no KERAS_BACKEND in code, .env or environment "
                 "files, no keras.config.set_backend): it counts for TensorFlow, Keras' default; answer "
                 "existing_code yourself if it runs on another backend")
    return None, "tensorflow"


def _import_phrase(count: int, modules: list[str]) -> str:
    shown = " or ".join(modules[:3])
    return f"{count} file{'s' if count != 1 else ''} import{'s' if count == 1 else ''} {shown}"


def _conclude(s: _Scanner) -> ProjectScan:
    notes: list[str] = []
    backend, keras_family = _keras_backend(s, notes)
    families: list[set[str | None]] = [{keras_family if m == "keras" else _MODULES[m] for m in mods}
                                       for mods in s.file_modules]
    imports = {f: sum(1 for fams in families if f in fams) for f in FAMILIES}
    ranked = sorted(s.module_files, key=lambda m: (-s.module_files[m], m))
    modules = {f: [m for m in ranked if _MODULES[m] == f or (m == "keras" and keras_family == f)] for f in FAMILIES}
    if keras_family is None and s.module_files["keras"]:
        notes.append(f"{s.module_files['keras']} files use Keras on the {backend!r} backend: counted for neither")
    declared = {f: s.declared.get(f, {}).get("direct", []) + s.declared.get(f, {}).get("lock", [])
                for f in FAMILIES if f in s.declared}
    if keras_family in FAMILIES and "keras" in s.declared:
        declared.setdefault(keras_family, []).extend(
            p for p in s.declared["keras"].get("direct", []) if p not in declared.get(keras_family, []))

    top = max(imports.values())
    if top:
        # A framework imported by under a tenth as many files (a weight converter, say) is incidental.
        used = [f for f in FAMILIES if imports[f] and imports[f] * 10 >= top]
        incidental = [f for f in FAMILIES if imports[f] and f not in used]
        notes += [f"{_import_phrase(imports[f], modules[f])}: too few to count as {_LABEL[f]} code"
                  for f in incidental]
    else:
        used = [f for f in FAMILIES if "direct" in s.declared.get(f, {})] or [
            f for f in FAMILIES if "lock" in s.declared.get(f, {})]

    evidence: dict[str, list[str]] = {}
    answers: dict[str, str] = {}
    reasons: dict[str, list[str]] = {}
    for f in FAMILIES:
        reasons[f] = ([_import_phrase(imports[f], modules[f])] if imports[f] else []) + [
            f"{place} declares {_LABEL[f]}" for place in declared.get(f, [])[:3]]
    if used:
        answers["existing_code"] = "both" if len(used) == 2 else used[0]
        evidence["existing_code"] = [r for f in used for r in reasons[f]]
        if keras_family in used and s.module_files["keras"]:
            evidence["existing_code"].append(notes[0])  # how the Keras code was counted
        lead = max(used, key=lambda f: imports[f]) if len(used) == 2 and imports[used[0]] != imports[used[1]] else (
            used[0] if len(used) == 1 else None)
        if lead is not None:
            answers["experience"] = lead
            evidence["experience"] = (reasons[lead][:1] if len(used) == 1 else [
                f"more files import {_LABEL[lead]} ({imports[lead]}) than "
                f"{_LABEL[next(f for f in used if f != lead)]} ({imports[next(f for f in used if f != lead)]})"])
    elif not s.stopped and s.files_read:
        answers["existing_code"] = "none"
        evidence["existing_code"] = [f"none of the {s.files_read} files read imports or declares PyTorch or TensorFlow"]
        numeric = [m for m in ranked if _MODULES[m] == "numpy"]
        if numeric:
            count = sum(1 for mods in s.file_modules if any(_MODULES[m] == "numpy" for m in mods))
            answers["experience"] = "python-numpy"
            evidence["experience"] = [_import_phrase(count, numeric)]
    if s.stopped:
        notes.append(f"the scan {s.stopped}")
    if s.cut:
        notes.append(f"only the first {_BIG_BYTES >> 20} MB (or {MAX_LINES:,} lines) of {', '.join(s.cut[:3])}"
                     f"{f' and {len(s.cut) - 3} more' if len(s.cut) > 3 else ''} were read")
    if evidence.get("existing_code") and s.stopped:
        evidence["existing_code"].append(f"the scan {s.stopped.split(';')[0]}")
    model = suggest(s.models, keras_code=bool(s.module_files["keras"] or imports["tensorflow"]))
    if model.answer:
        answers["existing_model"], evidence["existing_model"] = model.answer, model.evidence
    notes += model.notes
    legacy = summarise(s.uses, s.matcher.entries, keras_family, not s.stopped) if s.matcher else None
    return ProjectScan(root=one_line(str(s.root)), files_read=s.files_read, stopped=s.stopped, imports=imports,
                       declared=declared, keras_backend=backend, keras_family=keras_family, cut=s.cut,
                       answers=answers, evidence=evidence, notes=notes, legacy=legacy, models=s.models, uses=s.uses)
