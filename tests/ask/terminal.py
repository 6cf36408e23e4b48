"""Run `fwguide ask` in a real pseudo-terminal for the interactive tests.

`Screen` also feeds everything the program writes into a terminal emulator (pyte), so a
test reads what a person would see: the terminal redraws only the characters that
change, and the raw output alone does not show a whole line.
"""

from __future__ import annotations

import os
import re
import sys
import time

import pexpect
import pyte

from tests.conftest import NEUTRAL_CWD

DOWN, SPACE, ENTER = "\x1b[B", " ", "\r"


def spawn(*args: str, timeout: float = 30, rows: int = 40, columns: int = 120) -> pexpect.spawn:
    # pexpect does not answer the terminal's cursor-position queries; without this each prompt waits for a reply.
    env = {**os.environ, "TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1"}
    return pexpect.spawn(sys.executable, ["-m", "fwguide", "ask", *args], dimensions=(rows, columns), env=env,
                         cwd=NEUTRAL_CWD, encoding="utf-8", timeout=timeout)


class Screen:
    """`fwguide ask ARGS` in a pty of `rows` x `columns`, read through a terminal emulator."""

    def __init__(self, *args: str, rows: int = 40, columns: int = 120, timeout: float = 30):
        self.child = spawn(*args, timeout=timeout, rows=rows, columns=columns)
        self.screen = pyte.Screen(columns, rows)
        self.stream = pyte.Stream(self.screen)
        self.timeout = timeout
        self.ended = False

    def _pump(self, wait: float) -> None:
        try:
            self.stream.feed(self.child.read_nonblocking(65536, timeout=wait))
        except pexpect.TIMEOUT:
            pass
        except pexpect.EOF:
            self.ended = True

    @property
    def text(self) -> str:
        """What the terminal shows now, one line per row."""
        return "\n".join(line.rstrip() for line in self.screen.display)

    def expect(self, pattern: str) -> re.Match[str]:
        """Wait until `pattern` (a regular expression) is on the screen."""
        deadline = time.monotonic() + self.timeout
        while True:
            found = re.search(pattern, self.text)
            if found:
                return found
            if self.ended or time.monotonic() > deadline:
                raise AssertionError(f"{pattern!r} never showed; the screen:\n{self.text}")
            self._pump(0.1)

    def settle(self, seconds: float = 1.0) -> None:
        """Read what the program writes for `seconds`, e.g. after a key that should hide something."""
        deadline = time.monotonic() + seconds
        while not self.ended and time.monotonic() < deadline:
            self._pump(0.1)

    def send(self, keys: str) -> None:
        self.child.send(keys)
        time.sleep(0.15)  # let the program read the keys one batch at a time, as typed

    def exit_status(self) -> int | None:
        """Wait for the program to end (reading all it writes) and give its exit status."""
        deadline = time.monotonic() + self.timeout
        while not self.ended and time.monotonic() < deadline:
            self._pump(0.2)
        self.child.close()
        return self.child.exitstatus


def exit_status(child: pexpect.spawn) -> int | None:
    """Wait for the program to end and give its exit status."""
    child.expect(pexpect.EOF)
    child.close()
    return child.exitstatus
