"""The probe's Python API as `fwguide ask` uses it: background start, cancel, saved reports, fast answers."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from fwguide.errors import FwguideError
from fwguide.probe import load_probe_json, machine_answers, run_probe, start_probe
from tests.probe.test_faults import _running


def test_start_probe_returns_at_once_and_finishes_in_the_background(bare_python: Path) -> None:
    started = time.monotonic()
    handle = start_probe(python=str(bare_python), timeout=60)
    assert time.monotonic() - started < 0.5
    report = handle.result(timeout=60)
    assert handle.done() and report is not None and handle.error is None
    assert {f.status for f in report.environments[0].frameworks} == {"missing"}


def test_cancel_kills_the_workers_and_gives_no_result(fake_python, tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    handle = start_probe(python=str(fake_python(f'echo $$ >> "{pids}"; exec sleep 300')), timeout=120)
    deadline = time.monotonic() + 30
    while len(pids.read_text().split() if pids.exists() else []) < 2:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    handle.cancel()
    assert handle.done() and handle.result(timeout=0) is None
    time.sleep(0.2)
    assert [pid for pid in map(int, pids.read_text().split()) if _running(pid)] == []


def test_bad_interpreter_in_the_background_is_an_error_not_a_crash(tmp_path: Path) -> None:
    handle = start_probe(python=str(tmp_path / "missing-python"))
    assert handle.result(timeout=30) is None
    assert isinstance(handle.error, FwguideError) and "no such file" in str(handle.error)


def test_run_probe_accepts_the_cli_framework_names(bare_python: Path) -> None:
    report = run_probe(pythons=[str(bare_python)], frameworks=["torch"], bench=False)
    assert [f.framework for f in report.environments[0].frameworks] == ["pytorch"]
    with pytest.raises(FwguideError, match="unknown framework 'no-such-flow'"):
        run_probe(frameworks=["no-such-flow"])


def test_machine_answers_without_a_report_are_fast() -> None:
    machine_answers(None)  # first call pays for imports
    started = time.perf_counter()
    answers = machine_answers(None)
    assert time.perf_counter() - started < 0.1
    assert answers == {"os": "linux", "hardware": ["cpu"]}


@pytest.mark.parametrize(("content", "message"), [
    ("not json", "not a saved `fwguide probe-gpu --json`"),
    ('{"hello": 1}', "not a saved `fwguide probe-gpu --json`"),
    (None, "cannot read it"),
])
def test_bad_saved_probe_is_a_usage_error(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "probe.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(FwguideError, match=message) as caught:
        load_probe_json(path)
    assert caught.value.exit_code == 2


def test_saved_probe_keeps_unknown_keys_out(tmp_path: Path) -> None:
    from tests.conftest import DATA

    data = json.loads((DATA / "probe_h100_constructed.json").read_text())
    assert "_provenance" in data  # recorded files say where they come from; loading ignores it
    assert load_probe_json(DATA / "probe_h100_constructed.json").machine.nvidia.gpus[0].name == "NVIDIA H100 80GB HBM3"
