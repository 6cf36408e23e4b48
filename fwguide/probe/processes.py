"""The probe's workers: one child process per framework, its answers read defensively.

A worker writes its JSON between two marker lines that carry a per-run nonce;
anything else on its stdout (a framework's log line, garbage) is kept only as
evidence. A worker that crashes, hangs, prints garbage or nothing becomes a
`WorkerFailure` with a plain reason and the last lines of its stderr. It starts,
and is stopped, as every child does (fwguide.probe.children).
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import threading
import time
from collections import deque
from typing import Any

import msgspec

from fwguide import frameworks
from fwguide.probe.children import WorkerFailure, child_env, kill_child, start_child
from fwguide.probe.workers import COMMON
from fwguide.safetext import clean, one_line

_MAX_LINE = 1 << 20
_MAX_FRAME = 8 << 20
_MAX_STRAY = 20
_TAIL_LINES = 8
_EXIT_GRACE = 1.0  # how long a worker that closed its stdout may take to exit before it is stopped


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


class WorkerProcess:
    """A running worker. `next_frame()` waits for its next result; `kill()` ends it and its children."""

    def __init__(self, python: str, framework: str, request: dict[str, Any], cancel: threading.Event):
        self.nonce = os.urandom(8).hex()
        self.cancelled = cancel
        self._events: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._stderr: deque[str] = deque(maxlen=_TAIL_LINES)
        self._stray: list[str] = []  # stdout lines outside any frame
        # The folder of the workers' shared protocol first on PYTHONPATH: a worker kept elsewhere finds it too.
        self.proc = start_child([python, str(frameworks.get(framework).worker)], cancel,
                                env=child_env((str(COMMON.parent),)),
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
        kill_child(self.proc)


def _decode_frame(data: bytes) -> tuple[str, Any]:
    """("frame", value) for valid JSON (strings made printable), else ("garbled", why)."""
    try:
        return "frame", clean(msgspec.json.decode(data))
    except msgspec.DecodeError as exc:
        return "garbled", f"{exc} ({one_line(data[:120].decode('utf-8', 'replace'))!r})"
    except RecursionError:
        return "garbled", "nested too deeply"


