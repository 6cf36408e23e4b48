"""Fault injection: hostile files, lying and hanging interpreters, signals, bad bytes and parallel runs.

Each test names the item of "Survives anything" it covers. Every case must end with a
clear message and its documented exit code, no traceback, in bounded time, with no
process left running and no file changed but the one asked for.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import NEUTRAL_CWD, run_cli
from tests.probe.conftest import framework
from tests.probe.test_faults import _running

ASK = ("ask", "--no-input", "--no-probe")
# A fake worker that answers with frames of its own making: it reads the request for its nonce.
FORGER = r"""read request
nonce=$(printf '%s' "$request" | sed 's/.*"nonce": *"\([0-9a-f]*\)".*/\1/')
case "$1" in *torch*) fw=pytorch ;; *) fw=tensorflow ;; esac
frame() { printf 'fwguide-frame-begin %s\n%s\nfwguide-frame-end %s\n' "$nonce" "$1" "$nonce"; }
"""
PROBE_FRAME = ('{"kind":"probe","protocol":1,"framework":"\'"$fw"\'","python":{"version":"3.11.0","executable":"/x"},'
               '"installed":true,"version":"9.9","devices":[{"kind":"cpu","name":"cpu","memory_gib":MEMORY}]}')


def _clean(proc: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in proc.stderr and "Exception in thread" not in proc.stderr, proc.stderr


def _pids(path: Path) -> list[int]:
    return [int(p) for p in path.read_text().split()] if path.exists() else []


# --- 1. output files -----------------------------------------------------------------------

def test_report_dash_writes_the_record_to_stdout() -> None:
    proc = run_cli(*ASK, "--report", "-")
    assert proc.returncode == 0 and proc.stdout.startswith("# Framework decision")
    assert not (NEUTRAL_CWD / "-").exists()


def test_report_through_a_symlink_writes_its_target_and_keeps_the_link(tmp_path: Path) -> None:
    target, link = tmp_path / "records" / "decision.md", tmp_path / "latest.md"
    target.parent.mkdir()
    link.symlink_to(target)
    proc = run_cli(*ASK, "--report", str(link))
    assert proc.returncode == 0, proc.stderr
    assert link.is_symlink() and target.read_text().startswith("# Framework decision")


def test_report_into_a_fifo_is_written_in_place(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    time.sleep(0.2)  # the reader is waiting on the FIFO
    proc = run_cli(*ASK, "--report", str(fifo), "--force", timeout=60)
    reader.join(10)
    assert proc.returncode == 0, proc.stderr
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert received and received[0].startswith(b"# Framework decision")


def test_report_into_a_fifo_nobody_reads_fails_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    proc = run_cli(*ASK, "--report", str(fifo), timeout=30)
    assert proc.returncode == 2 and "nothing is reading" in proc.stderr
    _clean(proc)
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_forced_report_replaces_a_file_keeping_its_mode_and_new_files_follow_the_umask(tmp_path: Path) -> None:
    existing, new = tmp_path / "old.md", tmp_path / "new.md"
    existing.write_text("old")
    existing.chmod(0o644)
    assert run_cli(*ASK, "--report", str(existing), "--force").returncode == 0
    assert stat.S_IMODE(existing.stat().st_mode) == 0o644 and existing.read_text().startswith("# Framework")
    mask = os.umask(0)
    os.umask(mask)
    assert run_cli(*ASK, "--report", str(new)).returncode == 0
    assert stat.S_IMODE(new.stat().st_mode) == 0o666 & ~mask
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.md", "old.md"]  # no temporary file left


# --- 2. racing writers ------------------------------------------------------------------------

def test_parallel_saves_without_force_let_exactly_one_win(tmp_path: Path) -> None:
    target = tmp_path / "same.yaml"
    runs = [subprocess.Popen([sys.executable, "-m", "fwguide", *ASK, "--save", str(target)], cwd=NEUTRAL_CWD,
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            for _ in range(8)]
    results = [(run.wait(timeout=120), run.stderr.read()) for run in runs if run.stderr is not None]
    assert sorted(code for code, _ in results) == [0] + [2] * 7
    assert all("already exists" in err and "Traceback" not in err for code, err in results if code)
    assert target.read_text().startswith("# fwguide answers")
    assert [p.name for p in tmp_path.iterdir()] == ["same.yaml"]


# --- 3. the interpreter check obeys --timeout, its children die, its output is capped ----------

def test_hanging_interpreter_obeys_timeout_and_leaves_nothing_running(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    fake = tmp_path / "python"
    fake.write_text(f'#!/bin/sh\nsleep 300 & echo $! >> "{pids}"; echo $$ >> "{pids}"; wait\n')
    fake.chmod(0o755)
    started = time.monotonic()
    proc = run_cli("probe-gpu", "--python", str(fake), "--timeout", "2", timeout=60)
    assert time.monotonic() - started < 12
    assert proc.returncode == 2 and "did not answer within 2 s" in proc.stderr
    _clean(proc)
    time.sleep(0.2)
    assert _pids(pids) and not [pid for pid in _pids(pids) if _running(pid)]


def test_flooding_interpreter_is_cut_off(tmp_path: Path) -> None:
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\nyes | head -c 200000000\n")
    fake.chmod(0o755)
    proc = run_cli("probe-gpu", "--python", str(fake), timeout=60)
    assert proc.returncode == 2 and "more than 1 MB" in proc.stderr
    _clean(proc)


def test_driver_tool_that_leaves_a_child_and_prints_bad_bytes_is_read_and_cleaned_up(bare_python: Path,
                                                                                     tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    tool = tmp_path / "bin" / "nvidia-smi"
    tool.parent.mkdir()
    tool.write_text(f'#!/bin/sh\nsleep 300 & echo $! >> "{pids}"\n'
                    "printf '0, GPU \\377, 81559, 550.54.15, 9.0, GPU-1\\n'\n")
    tool.chmod(0o755)
    env = {"PATH": f"{tool.parent}:{os.environ['PATH']}", "FWGUIDE_CACHE_DIR": str(tmp_path / "cache")}
    started = time.monotonic()
    proc = run_cli("probe-gpu", "--json", "--no-bench", "--python", str(bare_python), env=env, timeout=90)
    assert time.monotonic() - started < 15
    assert proc.returncode == 0, proc.stderr
    _clean(proc)
    (gpu,) = json.loads(proc.stdout)["machine"]["nvidia"]["gpus"]
    assert gpu["name"].startswith("GPU ")
    time.sleep(0.2)
    assert _pids(pids) and [pid for pid in _pids(pids) if _running(pid)] == []


# --- 4. SIGTERM and SIGHUP clean up like Ctrl-C -------------------------------------------------

@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_termination_signals_kill_every_worker(fake_python: Callable[..., Path], tmp_path: Path,
                                               signum: signal.Signals) -> None:
    pids = tmp_path / "pids"
    fake = fake_python(f'sleep 300 & echo $! >> "{pids}"; echo $$ >> "{pids}"; wait')
    proc = subprocess.Popen([sys.executable, "-m", "fwguide", "probe-gpu", "--python", str(fake), "--timeout", "120"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
                            cwd=NEUTRAL_CWD)
    deadline = time.monotonic() + 30
    while len(_pids(pids)) < 4:  # two workers, two children
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 130 and "Traceback" not in err and out == ""
    time.sleep(0.2)
    assert [pid for pid in _pids(pids) if _running(pid)] == []


# --- 5. ask --timeout, and a visible line while the user waits ----------------------------------

def test_ask_timeout_bounds_a_hanging_probe_and_says_it_is_still_probing(fake_python: Callable[..., Path],
                                                                         tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    fake = fake_python(f'echo $$ >> "{pids}"; exec sleep 300')
    started = time.monotonic()
    proc = run_cli("ask", "--no-input", "--json", "--python", str(fake), "--timeout", "3", timeout=60)
    assert time.monotonic() - started < 15
    assert proc.returncode == 0, proc.stderr
    assert "still probing" in proc.stderr
    _clean(proc)
    assert json.loads(proc.stdout)["recommendation"] in ("pytorch", "tensorflow")
    assert [pid for pid in _pids(pids) if _running(pid)] == []


# --- 6. bytes that are not UTF-8 ---------------------------------------------------------------

def test_non_utf8_environment_variables_do_not_break_the_probe(bare_python: Path, tmp_path: Path) -> None:
    env = {"CUDA_VISIBLE_DEVICES": os.fsdecode(b"\xff"), "TF_SOMETHING": os.fsdecode(b"\xfe"),
           "FWGUIDE_CACHE_DIR": str(tmp_path)}
    for _ in range(2):  # cold, then warm cache
        proc = run_cli("probe-gpu", "--json", "--no-bench", "--python", str(bare_python), env=env)
        assert proc.returncode == 0, proc.stderr
        _clean(proc)
        assert "\\xff" in json.loads(proc.stdout)["machine"]["visible_devices"]["CUDA_VISIBLE_DEVICES"]


def test_non_utf8_paths_in_flags_work(bare_python: Path, tmp_path: Path) -> None:
    folder = Path(os.fsdecode(bytes(tmp_path) + b"/d\xff"))
    folder.mkdir()
    (folder / "answers.yaml").write_text("scale: research\n")
    (folder / "team.yaml").write_text("categories: []\n")
    (folder / "python").symlink_to(bare_python)
    for args in [(*ASK, "--answers", str(folder / "answers.yaml"), "--json"),
                 ("explain", "coverage", "--rules", str(folder / "team.yaml")),
                 ("probe-gpu", "--json", "--no-bench", "--python", str(folder / "python"))]:
        proc = run_cli(*args)
        assert proc.returncode == 0, (args, proc.stderr)
        _clean(proc)
    missing = run_cli(*ASK, "--answers", str(folder / "nope.yaml"))
    assert missing.returncode == 2 and "d\\xff" in missing.stderr


def test_worker_frame_with_a_lone_surrogate_is_bad_output(fake_python: Callable[..., Path]) -> None:
    fake = fake_python(FORGER + r"""frame '{"kind":"probe","protocol":1,"framework":"'"$fw"'","""
                       r""""python":{"version":"\ud800","executable":"x"},"installed":true}'""")
    proc = run_cli("probe-gpu", "--json", "--refresh", "--no-bench", "--python", str(fake))
    _clean(proc)
    assert framework(json.loads(proc.stdout), "pytorch")["status"] == "bad-output"


# --- 7. YAML values that cannot be built ---------------------------------------------------------

@pytest.mark.parametrize(("text", "where", "expected"), [
    ("scale: 2026-02-30\n", "answers", "not a real date"),
    ("scale: " + "9" * 5000 + "\n", "answers", "too long"),
    ("? [a]\n: b\n", "answers", "a key must be text or a number"),
    ("rulebook: {version: '1', as_of: 2026-13-45}\n", "rules", "not a real date"),
], ids=["bad-date", "huge-int", "complex-key", "rulebook-date"])
def test_yaml_values_that_cannot_be_built_are_located_errors(tmp_path: Path, text: str, where: str,
                                                            expected: str) -> None:
    path = tmp_path / "input.yaml"
    path.write_text(text)
    flag = ("--answers", str(path)) if where == "answers" else ("--rules", str(path))
    proc = run_cli(*ASK, *flag)
    assert proc.returncode == 2 and f"{path}:1:" in proc.stderr and expected in proc.stderr, proc.stderr
    _clean(proc)


# --- 8. rules folders with broken links --------------------------------------------------------

def test_rules_folder_with_an_editor_lock_and_a_symlink_loop(tmp_path: Path) -> None:
    (tmp_path / "team.yaml").write_text("categories: []\n")
    (tmp_path / ".#team.yaml").symlink_to("user@host.1234:1700000000")  # what emacs leaves while editing
    proc = run_cli("explain", "coverage", "--rules", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    (tmp_path / "loop.yaml").symlink_to("loop.yaml")
    for args in (("explain", "coverage"), ("ask", "--no-input", "--no-probe")):
        proc = run_cli(*args, "--rules", str(tmp_path))
        assert proc.returncode == 2 and "loop.yaml" in proc.stderr, proc.stderr
        _clean(proc)


# --- 9. scoring.base must be a weight -----------------------------------------------------------

@pytest.mark.parametrize("base", [".nan", ".inf", "-1.0"])
def test_rules_validate_refuses_a_base_that_is_not_a_weight(tmp_path: Path, base: str) -> None:
    (tmp_path / "team.yaml").write_text("categories:\n  - id: coverage\n    title: Coverage\n    kind: article\n"
                                        "    current: {winner: tie, summary: s, as_of: 2026-01-01, evidence: []}\n"
                                        f"    scoring:\n      base: {base}\n")
    proc = run_cli("rules", "validate", str(tmp_path / "team.yaml"))
    assert proc.returncode == 2 and "team.yaml:7:" in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    _clean(proc)
    asked = run_cli(*ASK, "--json", "--rules", str(tmp_path / "team.yaml"))
    assert asked.returncode == 2 and "nan" not in asked.stdout


# --- 10. terminals that cannot show everything; a closed stdout --------------------------------

@pytest.mark.parametrize("args", [["explain", "coverage"],
                                  ["ask", "--no-input", "--no-probe", "--set", "scale=research"]])
def test_latin1_terminal_gets_an_ascii_view(args: list[str]) -> None:
    import pexpect

    child = pexpect.spawn(sys.executable, ["-m", "fwguide", *args], dimensions=(50, 120), cwd=str(NEUTRAL_CWD),
                          env={**os.environ, "TERM": "xterm", "PYTHONIOENCODING": "latin-1"}, timeout=60)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0 and b"Traceback" not in child.before
    assert b"\x1b[" in child.before and (b"Coverage" in child.before or b"Recommendation" in child.before)


@pytest.mark.parametrize("args", ["explain coverage", "ask --no-input --no-probe", "rules validate"])
def test_closed_stdout_exits_quietly_with_a_non_zero_code(args: str) -> None:
    proc = subprocess.run(["bash", "-c", f"{sys.executable} -m fwguide {args} >&-"], capture_output=True, text=True,
                          timeout=120, cwd=NEUTRAL_CWD)
    assert proc.returncode != 0 and proc.stderr == ""


# --- 11. caches never block, and are pruned ----------------------------------------------------

def test_fifos_at_every_cache_path_never_block(tmp_path: Path, bare_python: Path) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text("scale: research\n")
    env = {"FWGUIDE_CACHE_DIR": str(tmp_path / "cache")}
    runs = [(*ASK, "--answers", str(answers)), ("probe-gpu", "--json", "--no-bench", "--python", str(bare_python))]
    for args in runs:
        assert run_cli(*args, env=env).returncode == 0
    files = [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    assert files
    for path in files:
        path.unlink()
        os.mkfifo(path)
    for args in runs:
        proc = run_cli(*args, env=env, timeout=30)
        assert proc.returncode == 0, proc.stderr


def test_rulebook_cache_keeps_few_entries_however_often_the_team_rulebook_changes(tmp_path: Path) -> None:
    team = tmp_path / "team.yaml"
    cache = tmp_path / "cache"
    for edit in range(12):
        team.write_text(f"categories: []\n# edit {edit}\n")
        assert run_cli("explain", "--list", "--rules", str(team), env={"FWGUIDE_CACHE_DIR": str(cache)}).returncode == 0
    assert 1 <= len([p for p in (cache / "rulebook").iterdir() if not p.name.startswith(".")]) <= 8


# --- 12. escape sequences never reach the terminal raw -----------------------------------------

def test_escape_sequences_in_set_values_are_shown_escaped() -> None:
    proc = run_cli("ask", "--no-input", "--no-probe", "--set", "scale=\x1b[2Jwiped")
    assert proc.returncode == 2 and "\x1b" not in proc.stderr and "\\x1b[2Jwiped" in proc.stderr


def test_escape_sequences_from_workers_are_shown_escaped(fake_python: Callable[..., Path], bare_python: Path,
                                                         tmp_path: Path) -> None:
    crashing = fake_python("printf 'boom \\033[2J gone\\n' >&2; exit 3")
    broken = tmp_path / "site" / "torch"
    broken.mkdir(parents=True)
    (broken / "__init__.py").write_text('raise ImportError("\\x1b[2J cleared your screen")\n')
    for args, env in [(("--python", str(crashing)), {}),
                      (("--python", str(bare_python), "--framework", "torch"), {"PYTHONPATH": str(tmp_path / "site")})]:
        proc = run_cli("probe-gpu", "--refresh", "--no-bench", *args, env=env)
        _clean(proc)
        assert "\x1b" not in proc.stdout + proc.stderr and "\\x1b[2J" in proc.stdout, proc.stdout


def test_escape_sequences_in_a_rulebook_are_refused(tmp_path: Path) -> None:
    team = tmp_path / "team.yaml"
    team.write_text('categories:\n  - id: coverage\n    title: "\\e[2JCoverage"\n')
    proc = run_cli("explain", "coverage", "--rules", str(team))
    assert proc.returncode == 2 and f"{team}:3:" in proc.stderr and "\x1b" not in proc.stderr
    _clean(proc)


# --- 13. forged, absurd and half-dead worker answers --------------------------------------------

def test_deeply_nested_frame_is_bad_output_at_once(fake_python: Callable[..., Path]) -> None:
    fake = fake_python(FORGER + "frame \"$(head -c 200000 /dev/zero | tr '\\0' '[')\"; sleep 300")
    started = time.monotonic()
    proc = run_cli("probe-gpu", "--json", "--refresh", "--no-bench", "--timeout", "60", "--python", str(fake))
    assert time.monotonic() - started < 20
    _clean(proc)
    assert framework(json.loads(proc.stdout), "pytorch")["status"] == "bad-output"


def test_absurd_measurements_are_rejected_and_never_cached(fake_python: Callable[..., Path], tmp_path: Path) -> None:
    negative = fake_python(FORGER + f"frame '{PROBE_FRAME.replace('MEMORY', '-8.0')}'", name="negative")
    nan_bench = fake_python(FORGER + f"frame '{PROBE_FRAME.replace('MEMORY', '8.0')}'\nread go\n"
                            + """frame '{"kind":"bench","results":[{"device":"cpu","precision":"fp32","size":1024,"""
                            + """"sizes":[1024],"tflops_best":NaN,"tflops_median":1.0,"samples":3}]}'""", name="nan")
    env = {"FWGUIDE_CACHE_DIR": str(tmp_path / "cache")}
    proc = run_cli("probe-gpu", "--json", "--no-bench", "--python", str(negative), env=env)
    assert framework(json.loads(proc.stdout), "pytorch")["status"] == "bad-output"
    for _ in range(2):
        proc = run_cli("probe-gpu", "--json", "--python", str(nan_bench), env=env)
        _clean(proc)
        found = framework(json.loads(proc.stdout), "pytorch")
        assert found["status"] == "ok" and found["bench_status"].startswith("bad-output") and not found["cached"]


def test_worker_that_closes_stdout_but_lives_on_is_stopped_at_once(fake_python: Callable[..., Path],
                                                                   tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    fake = fake_python(f'echo $$ >> "{pids}"; exec sleep 300 >&-')
    started = time.monotonic()
    proc = run_cli("probe-gpu", "--json", "--refresh", "--no-bench", "--timeout", "60", "--python", str(fake))
    assert time.monotonic() - started < 15
    found = framework(json.loads(proc.stdout), "pytorch")
    assert found["status"] == "no-output" and "kept running" in found["reason"] and "SIGKILL" not in found["reason"]
    assert [pid for pid in _pids(pids) if _running(pid)] == []


def test_probe_json_of_another_schema_version_is_refused(tmp_path: Path) -> None:
    saved = tmp_path / "probe.json"
    saved.write_text(json.dumps({"schema_version": 999, "fwguide_version": "9", "created": "x", "machine": {},
                                 "environments": []}))
    proc = run_cli("ask", "--no-input", "--probe-json", str(saved))
    assert proc.returncode == 2 and "schema_version 999" in proc.stderr
    _clean(proc)
