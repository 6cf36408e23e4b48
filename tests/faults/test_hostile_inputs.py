"""Hostile input, round 2: malformed fleet reports and answers files, odd encodings, limits and terminals.

Each test names the item of the issue it covers; fwguide runs for real, as a subprocess.
"""

from __future__ import annotations

import copy
import datetime
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import DATA, NEUTRAL_CWD, run_cli
from tests.faults.test_hostile_round2 import report

ASK = ("ask", "--no-input", "--no-probe")
FAKE_NVML = Path(__file__).resolve().parent.parent / "probe" / "fake_nvml"


def _clean(proc: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]


# --- 3. one bad report never sinks the fleet ------------------------------------------------------

def _malformed() -> dict[str, str]:
    """File name -> content, each a report no fwguide writes (or no JSON reader can take)."""
    good = report("x")
    bad: dict[str, dict] = {name: copy.deepcopy(good) for name in ("gpus", "frameworks", "diagnoses", "kind")}
    bad["gpus"]["machine"]["nvidia"]["gpus"] = 5
    bad["frameworks"]["environments"][0]["frameworks"] = 7
    bad["diagnoses"]["diagnoses"] = 3
    bad["kind"]["environments"][0]["frameworks"][0]["devices"] = [{"kind": ["cuda"]}]
    texts = {f"{name}.json": json.dumps(doc) for name, doc in bad.items()}
    texts["digits.json"] = json.dumps(good)[:-1] + ', "cores": ' + "9" * 5000 + "}"
    texts["deep.json"] = '{"machine": ' + "[" * 100_000 + "]" * 100_000 + "}"
    return texts


def test_malformed_reports_are_named_and_skipped_and_the_good_hosts_listed(tmp_path: Path) -> None:
    for name, text in _malformed().items():
        (tmp_path / name).write_text(text)
    (tmp_path / "good.json").write_text(json.dumps(report("good-1")))
    (tmp_path / "super.json").write_text(json.dumps(report("gpu-1²")))
    unreadable = tmp_path / "locked"
    unreadable.mkdir()
    unreadable.chmod(0)
    if _listable(unreadable):  # root lists any folder: one the kernel refuses to list, then
        unreadable = Path("/proc/1/map_files")
        if _listable(unreadable):
            pytest.skip("no folder here that this user cannot list")
    try:
        for fmt in ("--json", "--markdown"):
            proc = run_cli("fleet", fmt, str(tmp_path), str(unreadable), str(tmp_path / "missing.json"))
            _clean(proc)
            assert proc.returncode == 1, proc.stderr
            for name in [*_malformed(), str(unreadable), "missing.json"]:
                assert f"{name}: " in proc.stderr, (name, proc.stderr)
        hosts = {h["host"] for h in json.loads(run_cli("fleet", "--json", str(tmp_path)).stdout)["hosts"]}
        assert hosts == {"good-1", "gpu-1²"}
    finally:
        (tmp_path / "locked").chmod(0o755)


def _listable(folder: Path) -> bool:
    try:
        os.listdir(folder)
    except OSError:
        return False
    return True


def test_5000_hosts_on_stdin_merge_within_6_seconds() -> None:
    lines = "\n".join(json.dumps(report(f"node{n}", version="2.13.0" if n % 7 else "2.12.0")) for n in range(5000))
    started = time.monotonic()
    proc = run_cli("fleet", "--json", "-", input=lines + "\n", timeout=60)
    assert time.monotonic() - started < 6
    _clean(proc)
    data = json.loads(proc.stdout)
    assert len(data["hosts"]) == 5000 and data["hosts"][1]["host"] == "node1"


def test_a_future_dated_report_marks_no_host_stale_and_utc_is_utc(tmp_path: Path) -> None:
    zone = datetime.timezone(datetime.timedelta(hours=5))
    newest = datetime.datetime.now(zone).replace(second=0, microsecond=0) - datetime.timedelta(hours=2)
    dated = {"a": newest - datetime.timedelta(days=3), "b": newest, "c": newest + datetime.timedelta(days=400)}
    for host, when in dated.items():
        (tmp_path / f"{host}.json").write_text(json.dumps({**report(host), "probed_at": when.isoformat()}))
    findings = {f["kind"]: f for f in json.loads(run_cli("fleet", "--json", str(tmp_path)).stdout)["findings"]}
    assert findings["future-report"]["hosts"] == ["c"]
    assert findings["stale-report"]["hosts"] == ["a"]  # against b, the newest report from the present
    utc = newest.astimezone(datetime.timezone.utc)
    assert f"({utc:%Y-%m-%d %H:%M} UTC)" in findings["stale-report"]["message"]


def test_reports_with_a_byte_order_mark_are_read(tmp_path: Path) -> None:
    text = json.dumps(report("bom-1"))
    (tmp_path / "utf8.json").write_bytes(b"\xef\xbb\xbf" + text.encode())
    (tmp_path / "utf16.json").write_bytes(b"\xff\xfe" + json.dumps(report("bom-2")).encode("utf-16-le"))
    proc = run_cli("fleet", "--json", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert {h["host"] for h in json.loads(proc.stdout)["hosts"]} == {"bom-1", "bom-2"}
    saved = tmp_path / "probe.json"
    saved.write_bytes(b"\xef\xbb\xbf" + (DATA / "probe_h100_constructed.json").read_bytes())
    asked = run_cli(*ASK[:2], "--probe-json", str(saved), "--json")
    assert asked.returncode == 0, asked.stderr


# --- 7. answers files: JSON that Python cannot build, byte order marks ------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ('{"scale": ' + "9" * 5000 + "}", "invalid JSON"),
    ("[" * 5000, "invalid JSON"),
    ("? " + "x" * 700_000 + "\n: research\n", "unknown question id"),
    ('{"' + "x" * 700_000 + '": "research"}', "unknown question id"),  # too long a key for YAML: read as JSON
], ids=["huge-number", "deep-nesting", "700-kb-key", "700-kb-json-key"])
def test_answers_that_cannot_be_built_exit_2_quickly_and_briefly(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / ("answers.json" if text[0] in "[{" else "answers.yaml")
    path.write_text(text)
    started = time.monotonic()
    proc = run_cli(*ASK, "--answers", str(path))
    assert time.monotonic() - started < 3
    assert proc.returncode == 2 and expected in proc.stderr and str(path) in proc.stderr, proc.stderr[:500]
    _clean(proc)
    assert len(proc.stderr) < 2048


def test_a_130_kb_unknown_set_id_fails_within_3_s_with_a_short_message() -> None:
    started = time.monotonic()
    proc = run_cli(*ASK, "--set", "x" * 130_000 + "=research")
    assert time.monotonic() - started < 3
    assert proc.returncode == 2 and "unknown question id" in proc.stderr and len(proc.stderr) < 2048


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"], ids=["utf8-bom", "utf16-powershell"])
@pytest.mark.parametrize("name", ["answers.yaml", "answers.json"])
def test_answers_files_with_a_byte_order_mark_are_read(tmp_path: Path, encoding: str, name: str) -> None:
    path = tmp_path / name
    path.write_text('{"scale": "research"}' if name.endswith(".json") else "scale: research\n", encoding=encoding)
    proc = run_cli(*ASK, "--answers", str(path), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["answers"]["scale"] == "research"
    piped = subprocess.run([sys.executable, "-m", "fwguide", *ASK, "--answers", "-", "--json"], input=path.read_bytes(),
                           capture_output=True, timeout=120, cwd=NEUTRAL_CWD)
    assert piped.returncode == 0, piped.stderr
    assert json.loads(piped.stdout)["answers"]["scale"] == "research"


# --- output files never overwrite an input; names that only just fit; a full stdout ----------------

def test_report_or_save_onto_an_input_of_the_run_is_refused_and_nothing_changes(tmp_path: Path) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text("scale: research\n")
    for args in (("--report", str(answers)), ("--report", str(answers), "--force"), ("--save", str(answers), "--force"),
                 ("--save", str(tmp_path / "x.md"), "--report", str(tmp_path / "x.md"))):
        proc = run_cli(*ASK, "--answers", str(answers), *args)
        assert proc.returncode == 2 and "would be overwritten" in proc.stderr, (args, proc.stderr)
        assert answers.read_text() == "scale: research\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["answers.yaml"]


def test_a_report_name_that_only_just_fits_is_written(tmp_path: Path) -> None:
    target = tmp_path / ("d" * 244 + ".md")  # 247 bytes: the temporary name beside it must be shorter
    proc = run_cli(*ASK, "--report", str(target))
    assert proc.returncode == 0, proc.stderr
    assert target.read_text().startswith("# Framework decision")
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


def test_output_cut_short_by_a_file_size_limit_is_an_error(tmp_path: Path) -> None:
    proc = subprocess.run(["bash", "-c", f"ulimit -f 1; {sys.executable} -m fwguide explain deployment --json > out"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "could not be written whole" in proc.stderr
    _clean(proc)


# --- rulebooks: a folder 1 200 deep, who is blamed for an alias clash -------------------------------

def test_a_rules_folder_1200_deep_gives_no_traceback(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    deepest = folder
    for _ in range(1200):
        deepest = deepest / "d"
        deepest.mkdir(parents=deepest.parent == folder)
    (deepest / "team.yaml").write_text("categories: []\n")
    try:
        for args in (("explain", "coverage"), ("rules", "validate")):
            proc = run_cli(*args, "--rules", str(folder)) if args[0] == "explain" else run_cli(*args, str(folder))
            _clean(proc)
            assert proc.returncode in (0, 2), proc.stderr
    finally:  # pytest's own clean-up of old temporary folders recurses, and would fail on 1 200 levels
        (deepest / "team.yaml").unlink()
        while deepest != tmp_path:
            deepest.rmdir()
            deepest = deepest.parent


def test_an_overlay_alias_clash_is_blamed_on_the_overlay(tmp_path: Path) -> None:
    team = tmp_path / "team.yaml"
    team.write_text("categories:\n  - id: coverage\n    aliases: [deployment]\n")
    proc = run_cli("rules", "validate", str(team))
    out = proc.stdout + proc.stderr
    assert proc.returncode == 2 and f"{team}:3: aliases[0]: 'deployment' already names category" in out, out
    assert "categories/deployment.yaml" not in out


# --- 8. driver answers that do not parse --------------------------------------------------------------

def test_superscript_digits_in_cuda_visible_devices_do_not_crash_the_probe(bare_python: Path, tmp_path: Path) -> None:
    env = {"PYTHONPATH": str(FAKE_NVML), "FWGUIDE_FAKE_NVML": "h100x2", "CUDA_VISIBLE_DEVICES": "0,\u00b9",
           "FWGUIDE_CACHE_DIR": str(tmp_path)}
    proc = run_cli("probe-gpu", "--json", "--no-bench", "--python", str(bare_python), env=env)
    _clean(proc)
    gpus = json.loads(proc.stdout)["machine"]["nvidia"]["gpus"]
    assert [g["visible"] for g in gpus] == [True, False]


def test_malformed_nvidia_smi_numbers_are_unknown_not_a_crash(bare_python: Path, tmp_path: Path) -> None:
    tool = tmp_path / "bin" / "nvidia-smi"
    tool.parent.mkdir()
    tool.write_text("#!/bin/sh\nprintf '\u00b9, GPU X, 1.2.3, 550.54.15, 9\u00b9.0, GPU-1\\n'\n")
    tool.chmod(0o755)
    env = {"PATH": f"{tool.parent}:{os.environ['PATH']}", "FWGUIDE_CACHE_DIR": str(tmp_path / "cache")}
    proc = run_cli("probe-gpu", "--json", "--no-bench", "--python", str(bare_python), env=env)
    _clean(proc)
    (gpu,) = json.loads(proc.stdout)["machine"]["nvidia"]["gpus"]
    assert (gpu["index"], gpu["memory_gib"], gpu["compute_capability"]) == (0, None, None)


# --- terminals: latin-1 checkboxes, TERM=dumb ---------------------------------------------------------

SETS = ["--set", "scale=research", "--set", "os=linux", "--set", "hardware=cpu", "--set", "experience=pytorch",
        "--set", "existing_code=none", "--set", "existing_model=none", "--set", "workload=train-own",
        "--set", "model_family=vision", "--set", "pipeline=no", "--set", "custom_kernels=no",
        "--set", "visualization=no"]


def test_a_latin1_terminal_shows_the_checkboxes_as_ascii() -> None:
    import pexpect

    child = pexpect.spawn(sys.executable, ["-m", "fwguide", "ask", "--no-probe", *SETS], cwd=str(NEUTRAL_CWD),
                          env={**os.environ, "TERM": "xterm", "PYTHONIOENCODING": "latin-1"}, dimensions=(50, 120),
                          timeout=60)
    child.expect("Space ticks")
    shown = child.before
    child.sendcontrol("c")
    child.expect(pexpect.EOF)
    assert b"[ ]" in shown or b"[x]" in shown, shown[-2000:]
    assert not re.search(rb"\? (Nowhere|A Python)", shown), shown[-2000:]  # a tick mark the encoding cannot show


def test_a_dumb_terminal_gets_plain_numbered_questions() -> None:
    import pexpect

    given = [*SETS[:-2], "--set", "deploy=none"]  # all but visualization: one yes/no question is asked
    child = pexpect.spawn(sys.executable, ["-m", "fwguide", "ask", "--no-probe", *given],
                          cwd=str(NEUTRAL_CWD), env={**os.environ, "TERM": "dumb"}, dimensions=(50, 100), timeout=60,
                          encoding="utf-8")
    child.expect(r"\? for help\): ")
    prompt = child.before
    child.sendline("maybe")  # not an answer to a yes/no question: said, and asked again
    child.expect(r"\? for help\): ")
    child.sendline("")  # Enter: the pre-filled answer
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert "\x1b" not in prompt + child.before
    assert "Recommendation" in child.before
