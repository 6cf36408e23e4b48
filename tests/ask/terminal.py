"""Run `fwguide ask` in a real pseudo-terminal for the interactive tests."""

from __future__ import annotations

import os
import sys

import pexpect

DOWN, SPACE, ENTER = "\x1b[B", " ", "\r"


def spawn(*args: str, timeout: float = 30) -> pexpect.spawn:
    # pexpect does not answer the terminal's cursor-position queries; without this each prompt waits for a reply.
    env = {**os.environ, "TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1"}
    return pexpect.spawn(sys.executable, ["-m", "fwguide", "ask", *args], dimensions=(40, 120), env=env,
                         encoding="utf-8", timeout=timeout)


def exit_status(child: pexpect.spawn) -> int | None:
    """Wait for the program to end and give its exit status."""
    child.expect(pexpect.EOF)
    child.close()
    return child.exitstatus
