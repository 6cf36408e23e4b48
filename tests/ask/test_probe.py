"""`ask` with the hardware probe: in the background, from a saved probe, and its facts in the result."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from fwguide.probe import load_probe_json, probe_summary, run_probe
from fwguide.rulebook import load
from fwguide.rulebook.names import PROBE_FACTS
from tests.ask.terminal import ENTER, exit_status, spawn
from tests.conftest import run_cli


@pytest.fixture(scope="module")
def saved_probe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    report = run_probe(bench=False)
    path = tmp_path_factory.mktemp("probe") / "probe.json"
    path.write_text(json.dumps(report.to_json_dict()))
    return path


def test_no_input_run_waits_for_the_probe_and_uses_what_it_found() -> None:
    proc = run_cli("ask", "--no-input", "--set", "deploy=python-server", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    probe = data["probe"]
    assert set(probe["frameworks"]) == {"pytorch", "tensorflow"}
    assert data["facts"] == probe["facts"] and set(data["facts"]) <= set(PROBE_FACTS)
    assert {"os", "hardware"} <= set(data["detected"])


def test_saved_probe_is_used_instead_of_probing(saved_probe: Path) -> None:
    proc = run_cli("ask", "--probe-json", str(saved_probe), "--no-input", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    expected = json.loads(json.dumps(probe_summary(load_probe_json(saved_probe))))
    assert data["probe"] == expected  # the same instant: the file, not a new probe
    assert data["facts"] == expected["facts"]


def test_a_file_that_is_not_a_saved_probe_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "probe.json"
    bad.write_text('{"hello": 1}')
    proc = run_cli("ask", "--probe-json", str(bad), "--no-input", "--json")
    assert proc.returncode == 2
    assert f"{bad}: not a saved `fwguide probe-gpu --json`" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_questionnaire_runs_the_probe_in_the_background(tmp_path: Path) -> None:
    report = tmp_path / "decision.md"
    child = spawn("--report", str(report), timeout=60)
    for _ in load().questions:  # take every default
        child.expect(r"\d+/\d+\S* .*\((default|detected here): ")
        child.send(ENTER)
    assert exit_status(child) == 0
    machine = report.read_text().split("## Machine")[1]
    assert "- frameworks:\n  - pytorch:" in machine and "  - tensorflow:" in machine


def test_ctrl_c_stops_the_background_probe_at_once(tmp_path: Path) -> None:
    child = spawn("--save", str(tmp_path / "answers.yaml"), timeout=60)
    child.expect(r"What kind of project is this\?")
    started = time.monotonic()
    child.sendcontrol("c")
    assert exit_status(child) == 130
    assert time.monotonic() - started < 15
    assert list(tmp_path.iterdir()) == []
