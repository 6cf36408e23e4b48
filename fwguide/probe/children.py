"""Child processes: each started in its own process group, in an empty folder of fwguide's own, and killed whole.

Every child is registered the moment it exists, under the same lock that stopping takes: a stop
(Ctrl-C, SIGTERM, a cancel, interpreter exit) can never miss a child that was being started, and
no child starts once its group was stopped. The probe's workers (fwguide.probe.processes) start
here; `run_capped` runs a short command with a deadline and a cap on what it prints.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import msgspec

from fwguide.probe.model import FrameworkStatus

_GROUP: dict[str, Any]  # each child leads its own process group, so stopping it stops what it started
if sys.platform == "win32":
    _GROUP = {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
else:
    _GROUP = {"start_new_session": True}
_live: dict[subprocess.Popen[bytes], threading.Event] = {}  # each child and the cancel event of its group
_live_lock = threading.Lock()
_closing = threading.Event()  # set by kill_all: no child may start any more


class WorkerFailure(Exception):
    """A worker (or a short command) gave no usable answer; `status` is timeout, crashed, bad-output, no-output
    or cancelled."""

    def __init__(self, status: FrameworkStatus, reason: str, stderr_tail: list[str]):
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.stderr_tail = stderr_tail


_neutral: list[str] = []  # the empty folder children run in, made on first use


def _neutral_folder() -> str:
    """An empty folder of fwguide's own to run children in, so nothing in the user's folder is on their path.

    `python -c` puts its working folder first on sys.path (a json.py there would run), and
    -I or -P cannot be used: -P exists only from Python 3.11, and -I drops PYTHONPATH and the
    user site, which the probe must see as the user's own programs do.
    """
    if not _neutral:
        import shutil
        import tempfile

        try:
            folder = tempfile.mkdtemp(prefix="fwguide-run-")
            atexit.register(shutil.rmtree, folder, True)
        except OSError:
            folder = os.path.abspath(os.sep)  # the root: no user's files, and only an administrator's to write
        _neutral.append(folder)
    return _neutral[0]


def child_env(extra_paths: tuple[str, ...] = ()) -> dict[str, str]:
    """This environment for a child run in the neutral folder: PYTHONPATH entries absolute, as the user meant them.

    An empty entry (which Python reads as the working folder, usually from `$PYTHONPATH:x` with
    nothing set) is dropped; a relative one is made absolute against the folder fwguide runs in.
    """
    env = dict(os.environ)
    given = [entry for entry in env.get("PYTHONPATH", "").split(os.pathsep) if entry]
    paths = [*extra_paths, *(os.path.abspath(entry) for entry in given)]
    if paths:
        env["PYTHONPATH"] = os.pathsep.join(paths)
    else:
        env.pop("PYTHONPATH", None)
    return env


def is_bare_name(name: str) -> bool:
    """A command name such as python3, as opposed to a path such as ./python3."""
    return os.sep not in name and not (os.altsep and os.altsep in name)


def find_program(name: str) -> str | None:
    """Where the command `name` is: PATH's absolute folders only, never the current folder (as a shell does)."""
    import shutil

    folders = [f for f in os.environ.get("PATH", os.defpath).split(os.pathsep) if f and os.path.isabs(f)]
    return shutil.which(name, path=os.pathsep.join(folders))


def _program(name: str) -> str:
    """`name` as a path to run: a bare name is looked up with find_program."""
    if not is_bare_name(name):
        return name
    found = find_program(name)
    if found is None:
        raise FileNotFoundError(2, "not found on PATH", name)
    return found


def start_child(argv: list[str], cancel: threading.Event, **pipes: Any) -> subprocess.Popen[bytes]:
    """Start `argv` in a process group of its own, registered before anyone can try to stop it.

    It runs in an empty folder of fwguide's own, never in the user's current folder.
    """
    argv = [_program(argv[0]), *argv[1:]]
    pipes.setdefault("env", child_env())
    with _live_lock:
        if _closing.is_set() or cancel.is_set():
            raise WorkerFailure("cancelled", "the probe was cancelled", [])
        proc = subprocess.Popen(argv, cwd=_neutral_folder(), **pipes, **_GROUP)
        _live[proc] = cancel
    return proc


def kill_child(proc: subprocess.Popen[bytes]) -> None:
    """End `proc` and every process it started (its whole group), then reap it."""
    if sys.platform == "win32":
        if proc.poll() is None:
            proc.kill()
    else:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)
    with _live_lock:
        _live.pop(proc, None)


def stop_group(cancel: threading.Event) -> None:
    """Cancel a group of children: none of it starts from now on, and every one running is killed."""
    cancel.set()
    with _live_lock:  # waits for a start in progress, which then is in the list
        members = [proc for proc, group in _live.items() if group is cancel]
    for proc in members:
        kill_child(proc)


def kill_all() -> None:
    """Kill every child still running, and start no more (Ctrl-C, SIGTERM, interpreter exit)."""
    with _live_lock:
        _closing.set()
        running = list(_live)
    for proc in running:
        kill_child(proc)


atexit.register(kill_all)


class Capture(msgspec.Struct, frozen=True):
    """What a short-lived child printed (each stream cut at the cap) and how it ended."""

    code: int | None  # None: it was stopped (timeout, or output over the cap)
    stdout: str
    stderr: str
    why_stopped: str = ""


def run_capped(argv: list[str], timeout: float, cap: int = 1 << 20) -> Capture:
    """Run `argv` in its own process group with no input; kill the group at the deadline or past `cap` bytes.

    The child runs from a helper thread, so a Ctrl-C in the main thread never lands
    half-way through starting it; the main thread kills its group and re-raises.
    """
    cancel = threading.Event()
    outcome: list[Capture | BaseException] = []

    def go() -> None:
        try:
            outcome.append(_capture(argv, timeout, cap, cancel))
        except BaseException as exc:  # handed to the caller's thread
            outcome.append(exc)

    run_in_threads([go], "fwguide-run", lambda: stop_group(cancel))
    result = outcome[0] if outcome else WorkerFailure("cancelled", "it was cancelled", [])
    if isinstance(result, BaseException):
        raise result
    return result


def _capture(argv: list[str], timeout: float, cap: int, cancel: threading.Event) -> Capture:
    proc = start_child(argv, cancel, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    chunks: dict[str, bytearray] = {"stdout": bytearray(), "stderr": bytearray()}
    flooded = threading.Event()

    def drain(name: str) -> None:
        stream = getattr(proc, name)
        kept = chunks[name]
        while data := stream.read1(65536):
            if len(kept) < cap:
                kept += data[: cap - len(kept)]
            else:
                flooded.set()
                kill_child(proc)
                break

    readers = [threading.Thread(target=drain, args=(name,), daemon=True) for name in chunks]
    for reader in readers:
        reader.start()
    deadline = time.monotonic() + timeout
    why = ""
    while proc.poll() is None:
        if flooded.is_set():
            why = f"it printed more than {cap >> 20} MB"
            break
        if cancel.is_set():
            why = "it was cancelled"
            break
        if time.monotonic() >= deadline:
            why = f"it did not answer within {round(timeout, 1):g} s"
            break
        time.sleep(0.02)
    code = proc.returncode
    kill_child(proc)  # its children too, even when it has exited
    for reader in readers:
        reader.join(timeout=1)
    text = {name: data.decode("utf-8", "replace") for name, data in chunks.items()}
    if flooded.is_set():
        why = why or f"it printed more than {cap >> 20} MB"
    return Capture(None if why else code, text["stdout"], text["stderr"], why)


def run_in_threads(calls: list[Callable[[], None]], name: str, stop: Callable[[], None],
                   poll: Callable[[], None] = lambda: None) -> None:
    """Run `calls` in parallel threads and wait, calling `poll` now and then; on Ctrl-C call `stop` and re-raise."""
    threads = [threading.Thread(target=call, daemon=True, name=f"{name}-{index}") for index, call in enumerate(calls)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            while thread.is_alive():
                thread.join(0.1)  # short joins keep Ctrl-C deliverable to this thread
                poll()
    except BaseException:
        stop()
        raise
