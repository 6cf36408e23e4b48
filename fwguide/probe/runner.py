"""One worker subprocess: started in its own process group, read defensively, killed whole.

The worker writes its JSON between two marker lines that carry a per-run nonce;
anything else on its stdout (a framework's log line, garbage) is kept only as
evidence. A worker that crashes, hangs, prints garbage or nothing becomes a
`WorkerFailure` with a plain reason and the last lines of its stderr.
"""

from __future__ import annotations

import atexit
import json
import os
import queue
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from fwguide.probe.workers import SCRIPTS

_MAX_LINE = 1 << 20
_MAX_FRAME = 8 << 20
_TAIL_LINES = 8
_live: set[WorkerProcess] = set()
_live_lock = threading.Lock()


class WorkerFailure(Exception):
    """A worker gave no usable answer; `status` is timeout, crashed, bad-output, no-output or cancelled."""

    def __init__(self, status: str, reason: str, stderr_tail: list[str]):
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.stderr_tail = stderr_tail


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


class WorkerProcess:
    """A running worker. `next_frame()` waits for its next result; `kill()` ends it and its children."""

    def __init__(self, python: str, framework: str, request: dict[str, Any]):
        self.nonce = secrets.token_hex(8)
        self.cancelled = threading.Event()
        self._events: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._stderr: deque[str] = deque(maxlen=_TAIL_LINES)
        self._stray: list[str] = []  # stdout lines outside any frame
        group = ({"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP} if sys.platform == "win32"
                 else {"start_new_session": True})
        self.proc = subprocess.Popen(
            [python, str(SCRIPTS[framework])], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, **group,
        )
        with _live_lock:
            _live.add(self)
        threading.Thread(target=self._read_stdout, daemon=True, name=f"fwguide-{framework}-out").start()
        self._stderr_reader = threading.Thread(target=self._read_stderr, daemon=True, name=f"fwguide-{framework}-err")
        self._stderr_reader.start()
        self.send(json.dumps({**request, "nonce": self.nonce}))

    # --- reading -----------------------------------------------------------------------------

    def _read_stdout(self) -> None:
        begin, end = f"fwguide-frame-begin {self.nonce}", f"fwguide-frame-end {self.nonce}"
        frame: list[str] | None = None
        size = 0
        stream = self.proc.stdout
        assert stream is not None
        while raw := stream.readline(_MAX_LINE):
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if line == begin:
                frame, size = [], 0
            elif line == end and frame is not None:
                text, frame = "\n".join(frame), None
                try:
                    self._events.put(("frame", json.loads(text)))
                except ValueError:
                    self._events.put(("garbled", text[:200]))
            elif frame is not None:
                size += len(line)
                if size > _MAX_FRAME:
                    self._events.put(("garbled", "a result too large to read"))
                    frame = None
                else:
                    frame.append(line)
            elif len(self._stray) < 20:
                self._stray.append(line)
        self._events.put(("eof", None))

    def _read_stderr(self) -> None:
        stream = self.proc.stderr
        assert stream is not None
        while raw := stream.readline(_MAX_LINE):
            line = raw.decode("utf-8", "replace").rstrip()
            if line.strip():
                self._stderr.append(line[:500])

    @property
    def stderr_tail(self) -> list[str]:
        return list(self._stderr)

    def next_frame(self, timeout: float) -> dict[str, Any]:
        """The worker's next JSON result, or WorkerFailure saying why there is none."""
        deadline = time.monotonic() + timeout
        while True:
            if self.cancelled.is_set():
                self.kill()
                raise WorkerFailure("cancelled", "the probe was cancelled", self.stderr_tail)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill()
                raise WorkerFailure("timeout", f"no answer within {timeout:g} s; the worker was stopped", self.stderr_tail)
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
                raise WorkerFailure("bad-output", f"its result was not valid JSON: {value!r}", self.stderr_tail)
            raise self._ended_without_result()

    def _ended_without_result(self) -> WorkerFailure:
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
            code = self.proc.returncode
        self._stderr_reader.join(timeout=1)  # its last words come after its stdout closes
        if code is not None and code < 0:
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
        try:
            self.proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            pass
        self.kill()

    def kill(self) -> None:
        """End the worker and every process it started (its whole group), then reap it."""
        if sys.platform == "win32":
            if self.proc.poll() is None:
                self.proc.kill()
        else:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        with _live_lock:
            _live.discard(self)


def run_in_threads(calls: list[Callable[[], None]], name: str, stop: Callable[[], None],
                   poll: Callable[[], None] = lambda: None) -> None:
    """Run `calls` in parallel threads and wait, calling `poll` now and then; on Ctrl-C call `stop` and re-raise."""
    threads = [threading.Thread(target=call, daemon=True, name=f"{name}-{index}") for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            while thread.is_alive():
                thread.join(0.1)  # short joins keep Ctrl-C deliverable to this thread
                poll()
    except BaseException:
        stop()
        raise


def kill_all() -> None:
    """Kill every worker still running (Ctrl-C, interpreter exit)."""
    with _live_lock:
        running = list(_live)
    for worker in running:
        worker.kill()


atexit.register(kill_all)
