"""What a project folder already says about the framework question: imports in its code, dependencies it declares.

The walk (fwguide.project.walk) reads the folder within bounds, file by file; this module concludes
from what it found: the answers it suggests (`existing_code`, `experience`, `existing_model`) with
their evidence, and notes on what it could not tell. What each file said is remembered by its size
and mtime (`scan_cached`), so the next run in the same folder reads only the files that changed.
"""

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from fwguide import frameworks
from fwguide.project.apis import matcher_for
from fwguide.project.files import MAX_LINES
from fwguide.project.legacy import FileUse, Legacy, summarise
from fwguide.project.models import ModelFile, suggest
from fwguide.project.walk import BIG_BYTES, CODE_BYTES, MODULES, FileFindings, Walker, walk
from fwguide.safetext import one_line

if TYPE_CHECKING:
    from fwguide.rulebook.schema import ApiEntry

MAX_FILES = 3000  # files read: code, notebooks, dependency and environment files
MAX_SECONDS = 0.3
_PROJECT_FILES = frozenset({"pyproject.toml", "setup.py", "setup.cfg", "environment.yml", "environment.yaml",
                            "Pipfile", "Pipfile.lock", "uv.lock", "poetry.lock"})

FAMILIES = frameworks.DECISION  # the frameworks whose code and dependencies answer `existing_code`
_LABEL = {f: frameworks.title(f) for f in FAMILIES}
# Keras 3 backends, and the framework each one counts for (None: neither of the two).
_BACKENDS = {**{f.keras_backend: f.id if f.id in FAMILIES else None for f in frameworks.known() if f.keras_backend},
             "numpy": None, "openvino": None}


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
                requirements = name.startswith("requirements") and name.endswith(".txt")
                if name == ".git" or name in _PROJECT_FILES or requirements:
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


def scan(root: Path, max_files: int = MAX_FILES, max_seconds: float = MAX_SECONDS,
         apis: "Sequence[ApiEntry] | None" = None, code_bytes: int = CODE_BYTES) -> ProjectScan:
    """Scan `root` (bounded) and suggest `existing_code` / `experience` with the evidence for each.

    `apis`: the API map to look for (the built-in rulebook's when None); `code_bytes`: how much of each code file
    is read (`fwguide scan` reads more than `ask`, whose scan must go unnoticed).
    """
    return _conclude(walk(root, max_files, max_seconds, None, matcher_for(apis), code_bytes))


def scan_cached(root: Path, apis: "Sequence[ApiEntry] | None" = None) -> ProjectScan:
    """`scan`, reading only the files that changed since the last scan of `root` (what each said is cached)."""
    from fwguide import __version__
    from fwguide.cache import KeyedCache

    memo: KeyedCache[dict[str, FileFindings]] = KeyedCache("project", dict[str, FileFindings], max_bytes=4 << 20,
                                                           max_entries=32)
    from fwguide.project import apis as project_apis
    from fwguide.project import files as project_files
    from fwguide.project import walk as project_walk

    # What a file says depends on the code that reads it (project_walk, project_files, project_apis) and the API map.
    readers = [os.stat(module) for module in (project_walk.__file__, project_files.__file__, project_apis.__file__)]
    matcher = matcher_for(apis)
    key = "\n".join([__version__, *(f"{s.st_size}:{s.st_mtime_ns}" for s in readers), matcher.fingerprint, str(root)])
    remembered = memo.load(key) or {}
    walker = walk(root, MAX_FILES, MAX_SECONDS, remembered, matcher)
    if walker.findings != remembered:
        memo.store(key, walker.findings)
    return _conclude(walker)


def _keras_backend(s: Walker, notes: list[str]) -> tuple[str | None, str | None]:
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


def _conclude(s: Walker) -> ProjectScan:
    notes: list[str] = []
    backend, keras_family = _keras_backend(s, notes)
    families: list[set[str | None]] = [{keras_family if m == "keras" else MODULES[m] for m in mods}
                                       for mods in s.file_modules]
    imports = {f: sum(1 for fams in families if f in fams) for f in FAMILIES}
    ranked = sorted(s.module_files, key=lambda m: (-s.module_files[m], m))
    modules = {f: [m for m in ranked if MODULES[m] == f or (m == "keras" and keras_family == f)] for f in FAMILIES}
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
        numeric = [m for m in ranked if MODULES[m] == "numpy"]
        if numeric:
            count = sum(1 for mods in s.file_modules if any(MODULES[m] == "numpy" for m in mods))
            answers["experience"] = "python-numpy"
            evidence["experience"] = [_import_phrase(count, numeric)]
    if s.stopped:
        notes.append(f"the scan {s.stopped}")
    if s.cut:
        notes.append(f"only the first {BIG_BYTES >> 20} MB (or {MAX_LINES:,} lines) of {', '.join(s.cut[:3])}"
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
