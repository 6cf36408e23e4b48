"""Fixtures for the probe tests: one real probe (the bare and fake interpreters are in tests/conftest.py)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_cli


@pytest.fixture(scope="session")
def real_probe() -> dict:
    """One real `probe-gpu --json` of this interpreter: both frameworks, in parallel, with the benchmark."""
    proc = run_cli("probe-gpu", "--json", "--refresh", timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def framework(report: dict, name: str, environment: int = 0) -> dict:
    return next(f for f in report["environments"][environment]["frameworks"] if f["framework"] == name)
