"""Run `fwguide ARGS` in this process through `main(argv)`, as a subprocess would see it.

stdin is empty and not a terminal, stdout and stderr are captured text that is not a terminal,
COLUMNS is 120 and the working folder is the one given: what `run_cli` gives a child process.
Tests that need what only a process has (signals, a terminal, its own environment or start-up,
input on stdin) run a real one instead.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path


class _Captured(io.StringIO):
    encoding = "utf-8"

    def isatty(self) -> bool:
        return False


@contextlib.contextmanager
def _as_a_child(cwd: Path, columns: str) -> Iterator[tuple[_Captured, _Captured]]:
    out, err = _Captured(), _Captured()
    saved = (sys.stdin, sys.stdout, sys.stderr, os.getcwd(), os.environ.get("COLUMNS"))
    sys.stdin, sys.stdout, sys.stderr = io.StringIO(""), out, err
    os.environ["COLUMNS"] = columns
    os.chdir(cwd)
    try:
        yield out, err
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved[0], saved[1], saved[2]
        os.chdir(saved[3])
        if saved[4] is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = saved[4]


def run_in_process(args: tuple[str, ...], cwd: Path, columns: str = "120") -> subprocess.CompletedProcess[str]:
    """`main(list(args))` with the streams and folder a child process would have; its exit code and output."""
    from fwguide.cli import main

    with _as_a_child(cwd, columns) as (out, err):
        code = main(list(args))
    return subprocess.CompletedProcess(["fwguide", *args], code, out.getvalue(), err.getvalue())
