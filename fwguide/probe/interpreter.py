"""The interpreters the workers run with: validated once, then recognised by cheap file stats.

Asking an interpreter for its import path costs a subprocess, so the answer is
remembered per interpreter, keyed by the interpreter file, its venv config and the
mtimes of its import folders (an install that adds a .pth file changes them).
"""

from __future__ import annotations

import os
import site
import sys
from pathlib import Path

import msgspec

from fwguide import frameworks
from fwguide.cache import KeyedCache
from fwguide.errors import FwguideError
from fwguide.safetext import shown

MIN_VERSION = (3, 9)
_MARK = "fwguide-python "
_QUERY = (
    f"import json, site, sys; print({_MARK!r} + json.dumps({{'version': list(sys.version_info[:3]), "
    "'paths': [p for p in sys.path[1:] if p], "
    "'user_site': site.getusersitepackages() if site.ENABLE_USER_SITE else None}))"
)


class Interpreter(msgspec.Struct, frozen=True):
    path: str  # as given (absolute, symlinks kept: a venv's python is a link whose location matters)
    version: str
    paths: list[str]  # its import path, minus the script folder
    user_site: str | None = None
    stamp: str = ""  # what its import folders looked like when it was asked (see _stamp)

    @property
    def search_dirs(self) -> list[str]:
        return self.paths + ([self.user_site] if self.user_site and self.user_site not in self.paths else [])


def _stat_line(path: str | Path) -> str:
    try:
        stat = os.stat(path)
    except OSError:
        return f"{path}:-"
    return f"{path}:{stat.st_size}:{stat.st_mtime_ns}"


def _identity(path: str) -> list[str]:
    """The interpreter (its folder and real binary: a venv's python and python3 are one interpreter),
    the binary's stat (an upgrade in place changes it), its venv config and PYTHONPATH."""
    binary = os.path.realpath(path)
    return [os.path.dirname(path), _stat_line(binary), _stat_line(Path(path).parent.parent / "pyvenv.cfg"),
            os.environ.get("PYTHONPATH", "")]


def _stamp(path: str, search_dirs: list[str]) -> str:
    return "\n".join(_identity(path) + [_stat_line(d) for d in search_dirs])


def current() -> Interpreter:
    """The interpreter fwguide itself runs on; its import path is known without a subprocess."""
    paths = [p for p in sys.path[1:] if p]
    user_site = site.getusersitepackages() if site.ENABLE_USER_SITE else None
    interpreter = Interpreter(path=sys.executable, version=".".join(map(str, sys.version_info[:3])), paths=paths,
                              user_site=user_site)
    return msgspec.structs.replace(interpreter, stamp=_stamp(interpreter.path, interpreter.search_dirs))


OWN = "fwguide's own interpreter"


def _same_folder(a: str | Path, b: str | Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def _env_python(prefix: Path) -> Path | None:
    for candidate in (prefix / "bin" / "python", prefix / "Scripts" / "python.exe", prefix / "python.exe"):
        if candidate.is_file():
            return candidate
    return None


def default(timeout: float = 30.0) -> tuple[Interpreter, str]:
    """The environment to probe when no --python is given, and why (docs/design.md).

    The activated virtual environment (VIRTUAL_ENV, then CONDA_PREFIX) when fwguide itself runs
    from another one (pipx), so the user's own packages are what gets probed; else fwguide's own.
    """
    notes = []
    for variable, what in (("VIRTUAL_ENV", "VIRTUAL_ENV, the activated environment"),
                           ("CONDA_PREFIX", "CONDA_PREFIX, the activated conda environment")):
        value = os.environ.get(variable)
        if not value:
            continue
        if _same_folder(value, sys.prefix):
            return current(), f"{variable}, fwguide's own environment"
        python = _env_python(Path(value))
        if python is None:
            notes.append(f"{variable}={value} has no Python interpreter")
            continue
        try:
            return resolve(python, timeout), what
        except FwguideError as exc:
            notes.append(f"{variable}={value}: {exc.message}")
    return current(), OWN + (f" ({'; '.join(notes)})" if notes else "")


_MEMO: KeyedCache[Interpreter] = KeyedCache("probe/interpreters", Interpreter)  # keyed by the interpreter's path


def resolve(given: str | Path, timeout: float = 30.0) -> Interpreter:
    """Check that `given` is a Python >= 3.9 and learn its import path (remembered between runs).

    Asking it takes at most `timeout` seconds, its whole process group killed after that.
    """
    from fwguide.probe.children import find_program, is_bare_name

    target = str(given)
    if is_bare_name(target) and not target.startswith("~"):
        # A bare name such as python3.12 is a command, found on PATH as a shell would, never in the current
        # folder (a ./python3 there would run): ./python3 names that file.
        found = find_program(target)
        if found is None:
            here = f" (for the file in this folder, write ./{target})" if os.path.isfile(target) else ""
            raise FwguideError(f"--python {shown(target)}: no such command on PATH{here}",
                               hint="pass the interpreter's path, e.g. ~/proj/.venv/bin/python")
        target = found
    path = Path(os.path.abspath(Path(target).expanduser()))
    given = shown(str(given))
    if not path.exists():
        raise FwguideError(f"--python {given}: no such file",
                           hint="pass the interpreter itself, e.g. ~/proj/.venv/bin/python")
    if path.is_dir():
        raise FwguideError(f"--python {given}: is a folder, not an interpreter",
                           hint=f"did you mean {path / 'bin' / 'python'}?")
    if not os.access(path, os.X_OK):
        raise FwguideError(f"--python {given}: not executable", hint="pass a Python interpreter")
    remembered = _MEMO.load(str(path))
    if remembered is not None and remembered.stamp == _stamp(str(path), remembered.search_dirs):
        return remembered
    interpreter = _ask(path, given, timeout)
    _MEMO.store(str(path), interpreter)
    return interpreter


def _ask(path: Path, given: str | Path, timeout: float) -> Interpreter:
    from fwguide.probe.children import WorkerFailure, run_capped

    not_python = f"--python {given}: does not look like a Python interpreter"
    try:
        proc = run_capped([str(path), "-c", _QUERY], timeout=timeout)
    except (OSError, WorkerFailure) as exc:
        reason = exc.reason if isinstance(exc, WorkerFailure) else exc.strerror or exc
        raise FwguideError(f"{not_python} ({reason})", hint="pass a Python interpreter") from None
    if proc.code is None:
        raise FwguideError(f"{not_python} ({proc.why_stopped}; it was stopped)", hint="pass a Python interpreter")
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith(_MARK)), None)
    if proc.code != 0 or line is None:
        said = (proc.stderr.strip().splitlines() or proc.stdout.strip().splitlines() or ["no output"])[-1]
        raise FwguideError(f"{not_python} (running it with -c: {said[:200]})", hint="pass a Python interpreter")
    import json  # not msgspec: a folder whose name is not UTF-8 comes as an escaped lone surrogate

    try:
        answer = json.loads(line[len(_MARK):])
        version = tuple(int(v) for v in answer["version"])
        paths = [str(p) for p in answer["paths"]]
    except (KeyError, TypeError, ValueError, RecursionError):
        raise FwguideError(f"{not_python} (it answered something unexpected)",
                           hint="pass a Python interpreter") from None
    if version < MIN_VERSION:
        raise FwguideError(f"--python {given} is Python {'.'.join(map(str, version))}; "
                           "the probe needs Python 3.9 or newer")
    user_site = answer.get("user_site")
    interpreter = Interpreter(path=str(path), version=".".join(map(str, version)), paths=paths,
                              user_site=str(user_site) if user_site else None)
    return msgspec.structs.replace(interpreter, stamp=_stamp(interpreter.path, interpreter.search_dirs))


def framework_signature(interpreter: Interpreter, framework: str) -> str:
    """Text that changes when anything that decides what `framework` imports is installed, upgraded or removed.

    Installing something else leaves it alone. The search folders are fresh: a .pth file that
    adds a folder changes the interpreter's stamp, so `resolve` asks the interpreter again.
    """
    known = frameworks.get(framework)
    prefixes, package_dir = known.package_prefixes, known.module.split(".")[0]
    lines = _identity(interpreter.path)
    for folder in interpreter.search_dirs:
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in sorted(names):
            lowered = name.lower()
            if lowered.startswith(prefixes) and lowered.endswith((".dist-info", ".egg-info", ".egg-link", ".pth")):
                lines.append(_stat_line(os.path.join(folder, name)))
        if package_dir in names:
            lines.append(_stat_line(os.path.join(folder, package_dir, "__init__.py")))
    return "\n".join(lines)
