"""Fixtures for the probe tests: a bare interpreter without frameworks, fake interpreters, one real probe."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import run_cli

# A fake interpreter answers fwguide's "are you a Python?" question (`-c CODE`) with a real
# Python, and does BEHAVIOUR when asked to run a worker script.
FAKE = """#!/bin/sh
if [ "$1" = "-c" ]; then exec "{python}" "$@"; fi
{behaviour}
"""


@pytest.fixture(scope="session")
def bare_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with neither framework (nor pip)."""
    folder = tmp_path_factory.mktemp("bare-venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True, timeout=120)
    python = folder / "bin" / "python"
    assert python.exists()
    return python


@pytest.fixture
def fake_python(tmp_path: Path, bare_python: Path) -> Callable[..., Path]:
    """Make an executable fake interpreter whose worker runs do `behaviour` (shell)."""

    def make(behaviour: str, name: str = "python", delegate: Path | str | None = None) -> Path:
        path = tmp_path / name
        path.write_text(FAKE.format(python=delegate or bare_python, behaviour=behaviour))
        path.chmod(0o755)
        return path

    return make


@pytest.fixture(scope="session")
def real_probe() -> dict:
    """One real `probe-gpu --json` of this interpreter: both frameworks, in parallel, with the benchmark."""
    proc = run_cli("probe-gpu", "--json", "--refresh", timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def framework(report: dict, name: str, environment: int = 0) -> dict:
    return next(f for f in report["environments"][environment]["frameworks"] if f["framework"] == name)
