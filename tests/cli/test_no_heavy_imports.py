"""--help, explain and ask --no-probe never import torch or tensorflow in the CLI process."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

HEAVY = ("torch", "tensorflow", "keras", "jax")


def _imported_modules(*args: str) -> set[str]:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "fwguide", *args], capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL, env={**os.environ, "COLUMNS": "100"})
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    return {line.split("|")[-1].strip().split(".")[0] for line in proc.stderr.splitlines()
            if line.startswith("import time:")}


@pytest.mark.parametrize("args", [
    ["--help"],
    ["--version"],
    ["explain", "--list"],
    ["explain", "coverage"],
    ["explain", "device-management", "--json"],
    ["rules", "validate"],
    ["ask", "--no-input", "--no-probe", "--json"],
], ids=lambda a: " ".join(a))
def test_command_does_not_import_a_framework(args: list[str]) -> None:
    modules = _imported_modules(*args)
    assert "typer" in modules  # the measurement itself works
    assert not modules & set(HEAVY)
