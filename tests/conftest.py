"""Shared test helpers: run the CLI (in this process, or a real one where a process matters), with an isolated
cache; a bare and fake interpreters; the needs(...) marker."""

from __future__ import annotations

import atexit
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
# fwguide runs from an empty folder unless a test says otherwise: `ask` would read the checkout as a project.
NEUTRAL_CWD = Path(tempfile.mkdtemp(prefix="fwguide-cwd-"))
atexit.register(shutil.rmtree, NEUTRAL_CWD, True)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "needs(*modules): skip unless every module named is installed "
                                       "(looked up with importlib.util.find_spec, never imported)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test marked needs("torch") skips cleanly where torch is not installed."""
    found: dict[str, bool] = {}
    for item in items:
        wanted = [name for marker in item.iter_markers("needs") for name in marker.args]
        missing = [name for name in wanted if not found.setdefault(name, importlib.util.find_spec(name) is not None)]
        if missing:
            item.add_marker(pytest.mark.skip(reason=f"needs {', '.join(missing)}, which is not installed"))


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Every fwguide run in the tests uses a fresh cache folder, never the user's."""
    os.environ["FWGUIDE_CACHE_DIR"] = str(tmp_path_factory.mktemp("fwguide-cache"))
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"


def run_cli(*args: str, input: str | None = None, timeout: float = 120, env: dict[str, str] | None = None,
            cwd: Path | None = None, process: bool = False) -> subprocess.CompletedProcess[str]:
    """Run `fwguide ARGS` and capture its output: through `main(argv)` in this process, as a child would see it
    (empty stdin, no terminal, 120 columns); in a real `python -m fwguide` process where one matters: input on
    stdin, an environment of its own (a stand-in NVML, another VIRTUAL_ENV), or `process=True` (signals, start-up)."""
    if not process and input is None and not env:
        from tests.helpers.inprocess import run_in_process

        return run_in_process(args, cwd or NEUTRAL_CWD)
    full_env = {**os.environ, "COLUMNS": "120", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "fwguide", *args],
        input=input, capture_output=True, text=True, timeout=timeout, env=full_env,
        cwd=cwd or NEUTRAL_CWD, stdin=None if input is not None else subprocess.DEVNULL,
    )


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
