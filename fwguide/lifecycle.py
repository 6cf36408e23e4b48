"""What every run sets up before its command: signals that interrupt it, standard streams that cannot crash it.

SIGTERM and SIGHUP interrupt a run the way Ctrl-C does, so the same cleanup (every
child process group killed, nothing half-written) runs for all three. A closed
stdout or stderr never lets fd 1 or 2 be reused by a file fwguide opens, and writing
to a closed stdout ends the run quietly, like a broken pipe. A terminal whose encoding
cannot show a character gets an ASCII stand-in instead of a crash.
"""

from __future__ import annotations

import codecs
import errno
import os
import signal
import sys
from typing import Any

# Stand-ins for the characters fwguide's own views use; anything else is shown escaped.
_ASCII = {
    "—": "-", "–": "-", "•": "*", "…": "...", "→": "->", "←": "<-", "✓": "ok", "✔": "ok", "✗": "x", "✘": "x",
    "×": "x", "≥": ">=", "≤": "<=", "≈": "~", "‘": "'", "’": "'", "“": '"', "”": '"', "·": "-", "±": "+/-",
    "│": "|", "─": "-", "━": "-", "┃": "|", "╭": "+", "╮": "+", "╰": "+", "╯": "+", "▸": ">", "▶": ">", "°": "deg",
    "µ": "u", "\u00a0": " ",
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
        sys.stdout = _ClosedStdout()  # type: ignore[assignment]
    if stderr_closed:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives as long as the run
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors=ERRORS)
            except (ValueError, OSError):
                pass
