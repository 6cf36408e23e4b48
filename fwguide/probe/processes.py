"""Child processes of the probe: started in their own process group, read defensively, killed whole.

A worker writes its JSON between two marker lines that carry a per-run nonce;
anything else on its stdout (a framework's log line, garbage) is kept only as
evidence. A worker that crashes, hangs, prints garbage or nothing becomes a
`WorkerFailure` with a plain reason and the last lines of its stderr.

Every child is registered the moment it exists, under the same lock that stopping
takes: a stop (Ctrl-C, SIGTERM, a cancel, interpreter exit) can never miss a child
that was being started, and no child starts once its group was stopped.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import msgspec

from fwguide import frameworks
from fwguide.probe.model import FrameworkStatus
from fwguide.probe.workers import COMMON
from fwguide.safetext import clean, one_line

_MAX_LINE = 1 << 20
_MAX_FRAME = 8 << 20
_MAX_STRAY = 20
_TAIL_LINES = 8
_EXIT_GRACE = 1.0  # how long a worker that closed its stdout may take to exit before it is stopped
_GROUP: dict[str, Any]  # each worker leads its own process group, so stopping it stops what it started
if sys.platform == "win32":
    _GROUP = {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
else:
    _GROUP = {"start_new_session": True}
_live: dict[subprocess.Popen[bytes], threading.Event] = {}  # each child and the cancel event of its group
_live_lock = threading.Lock()
_closing = threading.Event()  # set by kill_all: no child may start any more


class WorkerFailure(Exception):
    """A worker gave no usable answer; `status` is timeout, crashed, bad-output, no-output or cancelled."""

    def __init__(self, status: FrameworkStatus, reason: str, stderr_tail: list[str]):
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.stderr_tail = stderr_tail


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


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


def _spawn(argv: list[str], cancel: threading.Event, **pipes: Any) -> subprocess.Popen[bytes]:
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


def _kill(proc: subprocess.Popen[bytes]) -> None:
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
        _kill(proc)


def kill_all() -> None:
    """Kill every child still running, and start no more (Ctrl-C, SIGTERM, interpreter exit)."""
    with _live_lock:
        _closing.set()
        running = list(_live)
    for proc in running:
        _kill(proc)


atexit.register(kill_all)


class WorkerProcess:
    """A running worker. `next_frame()` waits for its next result; `kill()` ends it and its children."""

    def __init__(self, python: str, framework: str, request: dict[str, Any], cancel: threading.Event):
        self.nonce = os.urandom(8).hex()
        self.cancelled = cancel
        self._events: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._stderr: deque[str] = deque(maxlen=_TAIL_LINES)
        self._stray: list[str] = []  # stdout lines outside any frame
        # The folder of the workers' shared protocol first on PYTHONPATH: a worker kept elsewhere finds it too.
        self.proc = _spawn([python, str(frameworks.get(framework).worker)], cancel, env=child_env((str(COMMON.parent),)),
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        threading.Thread(target=self._read_stdout, daemon=True, name=f"fwguide-{framework}-out").start()
        self._stderr_reader = threading.Thread(target=self._read_stderr, daemon=True, name=f"fwguide-{framework}-err")
        self._stderr_reader.start()
        self.send(msgspec.json.encode({**request, "nonce": self.nonce}).decode())

    # --- reading -----------------------------------------------------------------------------

    def _read_stdout(self) -> None:
        begin, end = f"fwguide-frame-begin {self.nonce}".encode(), f"fwguide-frame-end {self.nonce}".encode()
        frame: list[bytes] | None = None
        size = 0
        stream = self.proc.stdout
        assert stream is not None
        while raw := stream.readline(_MAX_LINE):
            line = raw.rstrip(b"\r\n")
            if line == begin:
                frame, size = [], 0
            elif line == end and frame is not None:
                self._events.put(_decode_frame(b"\n".join(frame)))
                frame = None
            elif frame is not None:
                size += len(line)
                if size > _MAX_FRAME:
                    self._events.put(("garbled", "a result too large to read"))
                    frame = None
                else:
                    frame.append(line)
            elif len(self._stray) < _MAX_STRAY:
                self._stray.append(one_line(line.decode("utf-8", "replace"))[:500])
        self._events.put(("eof", None))

    def _read_stderr(self) -> None:
        stream = self.proc.stderr
        assert stream is not None
        while raw := stream.readline(_MAX_LINE):
            line = one_line(raw.decode("utf-8", "replace").rstrip())
            if line.strip():
                self._stderr.append(line[:500])

    @property
    def stderr_tail(self) -> list[str]:
        return list(self._stderr)

    def next_frame(self, timeout: float, limit: float | None = None) -> dict[str, Any]:
        """The worker's next JSON result within `timeout` seconds, or WorkerFailure saying why there is none.

        `limit` is the time limit to name when it runs out (the run's --timeout, of which `timeout` is what is left).
        """
        deadline = time.monotonic() + timeout
        while True:
            if self.cancelled.is_set():
                self.kill()
                raise WorkerFailure("cancelled", "the probe was cancelled", self.stderr_tail)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill()
                raise WorkerFailure("timeout", f"no answer within {limit or timeout:g} s; the worker was stopped",
                                    self.stderr_tail)
            try:
                kind, value = self._events.get(timeout=min(remaining, 0.2))
            except queue.Empty:
                continue
            if kind == "frame":
                if isinstance(value, dict):
                    return value
                raise WorkerFailure("bad-output", "its result was JSON but not an object", self.stderr_tail)
            if kind == "garbled":
                self.kill()
                raise WorkerFailure("bad-output", f"its result was not valid JSON: {value}", self.stderr_tail)
            raise self._ended_without_result(deadline)

    def _ended_without_result(self, deadline: float) -> WorkerFailure:
        try:
            code = self.proc.wait(timeout=max(min(_EXIT_GRACE, deadline - time.monotonic()), 0.01))
        except subprocess.TimeoutExpired:
            self.kill()
            self._stderr_reader.join(timeout=1)
            return WorkerFailure("no-output", "it closed its output without a result but kept running; it was stopped",
                                 self.stderr_tail)
        self._stderr_reader.join(timeout=1)  # its last words come after its stdout closes
        if code < 0:
            return WorkerFailure("crashed", f"it was killed by {_signal_name(-code)}", self.stderr_tail)
        if code:
            return WorkerFailure("crashed", f"it exited with code {code} before giving a result", self.stderr_tail)
        if self._stray:
            shown = "; ".join(line[:120] for line in self._stray[:3])
            return WorkerFailure("bad-output", f"it printed text that is not a result: {shown!r}", self.stderr_tail)
        return WorkerFailure("no-output", "it exited without printing a result", self.stderr_tail)

    # --- writing and ending ----------------------------------------------------------------------

    def send(self, line: str) -> None:
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write(line.encode() + b"\n")
            self.proc.stdin.flush()
        except (OSError, ValueError):
            pass  # it has exited already; reading its output says why

    def finish(self, wait: float = 5.0) -> None:
        """Close its stdin, give it `wait` seconds to exit, then make sure nothing of it is left."""
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
        except OSError:
            pass
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=wait)
        self.kill()

    def kill(self) -> None:
        """End the worker and every process it started (its whole group), then reap it."""
        _kill(self.proc)


def _decode_frame(data: bytes) -> tuple[str, Any]:
    """("frame", value) for valid JSON (strings made printable), else ("garbled", why)."""
    try:
        return "frame", clean(msgspec.json.decode(data))
    except msgspec.DecodeError as exc:
        return "garbled", f"{exc} ({one_line(data[:120].decode('utf-8', 'replace'))!r})"
    except RecursionError:
        return "garbled", "nested too deeply"


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
    proc = _spawn(argv, cancel, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
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
                _kill(proc)
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
    _kill(proc)  # its children too, even when it has exited
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
