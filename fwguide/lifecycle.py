"""What every run sets up before its command: signals that interrupt it, standard streams that cannot crash it.

SIGTERM and SIGHUP interrupt a run the way Ctrl-C does, so the same cleanup (every
child process group killed, nothing half-written) runs for all three. A closed
stdout or stderr never lets fd 1 or 2 be reused by a file fwguide opens, and writing
to a closed stdout ends the run quietly, like a broken pipe. A terminal whose encoding
cannot show a character gets an ASCII stand-in instead of a crash.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import io
import os
import signal
import sys
from typing import Any

# Stand-ins for the characters fwguide's own views use; anything else is shown escaped.
_ASCII = {
    "—": "-", "–": "-", "•": "*", "…": "...", "→": "->", "←": "<-", "✓": "ok", "✔": "ok", "✗": "x", "✘": "x",
    "×": "x", "≥": ">=", "≤": "<=", "≈": "~", "‘": "'", "’": "'", "“": '"', "”": '"', "·": "-", "±": "+/-",
    "│": "|", "─": "-", "━": "-", "┃": "|", "╭": "+", "╮": "+", "╰": "+", "╯": "+", "▸": ">", "▶": ">", "°": "deg",
    "µ": "u", "\u00a0": " ", "●": "[x]", "○": "[ ]", "»": ">", "↑": "Up", "↓": "Down",
}
ERRORS = "fwguide-ascii"


def _ascii_fallback(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    shown = []
    for char in error.object[error.start:error.end]:
        code = ord(char)
        if char in _ASCII:
            shown.append(_ASCII[char])
        elif 0xDC80 <= code <= 0xDCFF:  # an undecodable byte kept by os.fsdecode
            shown.append(f"\\x{code - 0xDC00:02x}")
        else:
            shown.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
    return "".join(shown), error.end


codecs.register_error(ERRORS, _ascii_fallback)


class _ClosedStdout:
    """Stands in for a stdout that was closed before fwguide started: writing to it is a broken pipe."""

    encoding = "utf-8"
    errors = "strict"

    def write(self, text: str) -> int:
        raise BrokenPipeError(errno.EPIPE, "stdout is closed")

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return 1  # held on /dev/null (see _hold_standard_fds), as rich expects after a broken pipe


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _hold_standard_fds() -> None:
    """Point closed fds 0-2 at /dev/null, so the next file fwguide opens cannot become its stdout."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            held = os.open(os.devnull, os.O_RDWR)
            if held != fd:
                os.dup2(held, fd)
                os.close(held)


def prepare() -> None:
    """Make this run safe to interrupt and safe to print from, whatever it was started with."""
    for name in ("SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is not None and signal.getsignal(number) is signal.SIG_DFL:
            signal.signal(number, _interrupt)
    stdout_closed, stderr_closed = sys.stdout is None, sys.stderr is None
    _hold_standard_fds()
    if stdout_closed:
        sys.stdout = _ClosedStdout()
    if stderr_closed:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives as long as the run
    _check_stdout_writes()
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors=ERRORS)


class _CheckedWrites(io.RawIOBase):
    """fd 1, written whole or not at all: a short write (a file-size limit, a full disk) raises.

    Python's own buffered stdout can drop the rest of a short write without a word, which
    would let `fwguide ... --json > out` exit 0 with half a document in `out`.
    """

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return 1

    def isatty(self) -> bool:
        return False

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        total = len(view)
        while view:
            view = view[os.write(1, view):]
        return total


def _check_stdout_writes() -> None:
    """Route a redirected stdout (file or pipe) through _CheckedWrites; a terminal keeps Python's own."""
    stream = sys.stdout
    if type(stream) is not io.TextIOWrapper or isinstance(getattr(stream, "buffer", None), _Checked):
        return
    try:
        if stream.fileno() != 1 or stream.isatty():
            return
        stream.flush()
    except (OSError, ValueError):
        return
    sys.stdout = io.TextIOWrapper(_Checked(_CheckedWrites()), encoding=stream.encoding, errors=stream.errors,
                                  newline=None, line_buffering=stream.line_buffering, write_through=False)


class _Checked(io.BufferedWriter):
    pass


def finish_output(code: int) -> int:
    """Flush what the run printed and return its exit code; output cut short makes it 1.

    A reader that went away (a closed pipe) ends the run quietly; a write that failed for
    another reason (a full disk, a file-size limit) is said on stderr, so a truncated
    `--json > out` never passes for a complete one.
    """
    try:
        sys.stdout.flush()
    except (OSError, ValueError) as exc:
        return output_failed(exc, code)
    return code


def output_failed(exc: OSError | ValueError, code: int = 1) -> int:
    """The exit code for a run whose writing to stdout raised `exc`: `code` (never 0) when the reader went
    away, else 1 with the reason on stderr."""
    _silence_stdout()
    if isinstance(exc, BrokenPipeError) or getattr(exc, "errno", None) == errno.EPIPE:
        return code or 1
    _say(f"error: the output could not be written whole ({getattr(exc, 'strerror', None) or exc})\n")
    return 1


def _silence_stdout() -> None:
    """Point fd 1 at /dev/null so the interpreter's own flush at exit cannot fail again."""
    try:
        held = os.open(os.devnull, os.O_WRONLY)
        os.dup2(held, 1)
        os.close(held)
    except OSError:
        pass


def _say(text: str) -> None:
    try:
        sys.stderr.write(text)
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
