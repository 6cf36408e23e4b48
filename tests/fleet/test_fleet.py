"""`fwguide fleet` on real `probe-gpu --json` reports from this machine, some edited to stand for other hosts."""

from __future__ import annotations

import copy
import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from fwguide import frameworks
from tests.conftest import DATA, NEUTRAL_CWD, run_cli

OTHER = "node-b.cluster.example.org"  # long, as real host names are: it does not fit a table at 60 columns
FAKE_NVML = Path(__file__).resolve().parent.parent / "probe" / "fake_nvml"


@pytest.fixture(scope="session")
def real_report() -> dict:
    """This machine's `probe-gpu --json --no-bench`, as a fleet's node would send it."""
    proc = run_cli("probe-gpu", "--json", "--no-bench", timeout=300)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["host"] == socket.gethostname() and report["probed_at"] == report["created"]
    return report


def _framework(report: dict, name: str) -> dict:
    return next(f for f in report["environments"][0]["frameworks"] if f["framework"] == name)


@pytest.fixture
def two_hosts(tmp_path: Path, real_report: dict) -> tuple[Path, Path]:
    """The real report, and a copy edited to another host with another torch version."""
    other = copy.deepcopy(real_report)
    other["host"] = OTHER
    _framework(other, "pytorch")["version"] = "2.12.0+cpu"
    first, second = tmp_path / "this.json", tmp_path / f"{OTHER}.json"
    first.write_text(json.dumps(real_report, indent=2))
    second.write_text(json.dumps(other, indent=2))
    return first, second


def _fleet_json(*args: str, input: str | None = None) -> tuple[int, dict, str]:
    proc = run_cli("fleet", "--json", *args, input=input)
    assert "Traceback" not in proc.stderr
    return proc.returncode, json.loads(proc.stdout), proc.stderr


@pytest.mark.needs("torch", "tensorflow")
def test_two_reports_merge_into_two_hosts_with_torch_drift_as_json(two_hosts: tuple[Path, Path],
                                                                   real_report: dict) -> None:
    code, data, _ = _fleet_json(*map(str, two_hosts))
    assert code == 0  # drift is a warning, not a problem
    assert sorted(h["host"] for h in data["hosts"]) == sorted([OTHER, real_report["host"]])
    assert all(h["probed_at"] == real_report["probed_at"] for h in data["hosts"])
    torch_version = _framework(real_report, "pytorch")["version"]
    drift = [f for f in data["findings"] if f["kind"] == "version-drift"]
    assert len(drift) == 1 and drift[0]["message"].startswith("PyTorch differs across hosts")
    assert f"{torch_version} on {real_report['host']}" in drift[0]["message"]
    assert f"2.12.0+cpu on {OTHER}" in drift[0]["message"]
    assert set(drift[0]) >= {"kind", "hosts", "message"}
    assert all(f["severity"] != "problem" for f in data["findings"])


@pytest.mark.needs("torch", "tensorflow")
def test_markdown_has_a_row_per_host_and_the_drift(two_hosts: tuple[Path, Path], real_report: dict) -> None:
    proc = run_cli("fleet", "--markdown", *map(str, two_hosts))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "# Fleet: 2 hosts: 0 problems, 1 warning"
    # the decision's two frameworks always, and any other one a report probed (JAX where it is installed)
    probed = {f["framework"] for env in real_report["environments"] for f in env["frameworks"]}
    columns = [f.title for f in frameworks.known() if f.id in frameworks.DECISION or f.id in probed]
    assert f"| Host | GPUs | Driver | {' | '.join(columns)} | Probed |" in lines
    assert any(line.startswith(f"| {OTHER} | none | none | 2.12.0+cpu<br>") for line in lines)
    assert any(line.startswith(f"| {real_report['host']} |") for line in lines)
    assert any(line.startswith("- **warning** (version-drift): PyTorch differs across hosts") for line in lines)


@pytest.mark.needs("torch", "tensorflow")
@pytest.mark.parametrize("columns", [120, 60])
def test_rich_view_in_a_terminal_shows_both_hosts_wide_and_stacked(two_hosts: tuple[Path, Path], columns: int) -> None:
    child = pexpect.spawn(sys.executable, ["-m", "fwguide", "fleet", *map(str, two_hosts)], dimensions=(60, columns),
                          env={**os.environ, "TERM": "xterm"}, encoding="utf-8", timeout=60, cwd=NEUTRAL_CWD)
    child.expect(pexpect.EOF)
    child.close()
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", child.before).replace("\r\n", "\n")
    screen = "\n".join(line.rstrip() for line in text.split("\n"))
    assert child.exitstatus == 0, screen
    assert "Fleet: 2 hosts: 0 problems, 1 warning" in screen
    assert OTHER in screen and "PyTorch differs across hosts" in screen
    if columns < 80:  # cells are never cut: each host becomes a block of label: value lines
        assert "\n    GPUs: none\n" in screen and "Host " not in screen
    else:
        assert "Host " in screen and "GPUs" in screen and "\n    GPUs: none\n" not in screen
    assert max(len(line) for line in screen.split("\n")) <= columns


def test_a_corrupt_report_is_named_and_skipped_and_the_rest_merge(two_hosts: tuple[Path, Path],
                                                                  tmp_path: Path) -> None:
    corrupt = tmp_path / "node-c.json"
    corrupt.write_text(two_hosts[0].read_text()[:300])  # cut off mid-way, as a full disk leaves it
    not_a_report = tmp_path / "notes.json"
    not_a_report.write_text('{"hello": "world"}')
    code, data, stderr = _fleet_json(*map(str, two_hosts), str(corrupt), str(not_a_report))
    assert code == 1  # a host whose state is unknown is a problem
    assert f"skipped {corrupt}: not JSON" in stderr and f"skipped {not_a_report}: not a `fwguide probe-gpu" in stderr
    assert len(data["hosts"]) == 2
    unreadable = [f for f in data["findings"] if f["kind"] == "unreadable-report"]
    assert [f["severity"] for f in unreadable] == ["problem", "problem"]
    assert str(corrupt) in unreadable[0]["message"]


def test_a_folder_and_stdin_with_reports_back_to_back(two_hosts: tuple[Path, Path], tmp_path: Path) -> None:
    code, data, _ = _fleet_json(str(tmp_path))  # the folder holding both
    assert (code, len(data["hosts"])) == (0, 2)

    pretty = two_hosts[0].read_text() + two_hosts[1].read_text()  # what an ssh loop prints
    code, data, _ = _fleet_json("-", input=pretty)
    assert (code, len(data["hosts"])) == (0, 2)
    assert data["hosts"][0]["source"].startswith("<stdin>:")

    lines = "\n".join(json.dumps(json.loads(p.read_text())) for p in two_hosts) + "\nnot json\n"
    code, data, stderr = _fleet_json("-", input=lines)
    assert len(data["hosts"]) == 2 and "skipped <stdin>:3: not JSON" in stderr and code == 1


def test_unreadable_input_exits_2_without_a_traceback(tmp_path: Path) -> None:
    for args, message in [
        ([str(tmp_path / "missing.json")], "no such file"),
        ([str(tmp_path)], "no .json/.jsonl/.ndjson files in this folder"),
        (["--json", "--markdown", str(tmp_path)], "cannot be combined"),
    ]:
        proc = run_cli("fleet", *args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert message in proc.stderr and "Traceback" not in proc.stderr
    garbage = tmp_path / "garbage.json"
    garbage.write_bytes(b"\x00\xff\xfe binary")
    proc = run_cli("fleet", str(garbage))
    assert proc.returncode == 2 and "no readable probe-gpu report" in proc.stderr
    assert f"skipped {garbage}" in proc.stderr


@pytest.mark.needs("torch", "tensorflow")
def test_a_gpu_the_framework_cannot_use_is_a_problem_with_the_diagnosis_fix(tmp_path: Path,
                                                                           real_report: dict) -> None:
    # A real probe whose driver answers come from the stand-in NVML (two H100s, one visible): torch here is CPU-only.
    env = {"PYTHONPATH": str(FAKE_NVML), "FWGUIDE_FAKE_NVML": "h100x2", "CUDA_VISIBLE_DEVICES": "1"}
    proc = run_cli("probe-gpu", "--json", "--no-bench", "--refresh", "--framework", "torch", env=env, timeout=300)
    gpu_host = json.loads(proc.stdout)
    gpu_host["host"] = "gpu-1"
    (tmp_path / "gpu-1.json").write_text(json.dumps(gpu_host))
    (tmp_path / "this.json").write_text(json.dumps(real_report))
    code, data, _ = _fleet_json(str(tmp_path))
    assert code == 1
    unusable = next(f for f in data["findings"] if f["kind"] == "gpu-unusable")
    assert unusable["hosts"] == ["gpu-1"] and unusable["severity"] == "problem"
    diagnosis = next(d for d in gpu_host["diagnoses"] if d["severity"] == "problem")
    assert diagnosis["code"] == "cpu-only-build"
    assert unusable["message"] == f"PyTorch cannot use the GPUs on gpu-1: {diagnosis['message']}"
    assert unusable["fix"] == diagnosis["fix"] and "pip install torch" in unusable["fix"]
    host = next(h for h in data["hosts"] if h["host"] == "gpu-1")
    assert host["gpus"] == ["NVIDIA H100 80GB HBM3"] and host["driver"] == "550.54.15"
    assert host["frameworks"]["pytorch"]["uses_gpu"] is False


@pytest.mark.needs("torch", "tensorflow")
def test_older_reports_merge_where_keys_allow_and_stale_and_missing_are_found(tmp_path: Path,
                                                                           real_report: dict) -> None:
    old = json.loads((DATA / "probe_h100_constructed.json").read_text())  # fwguide 0.1.0: no host, no probed_at
    assert "host" not in old and "probed_at" not in old
    old["some_future_key"] = {"nested": [1, 2]}
    (tmp_path / "h100-old.json").write_text(json.dumps(old))
    (tmp_path / "this.json").write_text(json.dumps(real_report))
    code, data, _ = _fleet_json(str(tmp_path))
    hosts = {h["host"]: h for h in data["hosts"]}
    assert hosts["h100-old"]["probed_at"] == old["created"]  # named after its file, dated by `created`
    assert hosts["h100-old"]["frameworks"]["pytorch"]["uses_gpu"] is True
    kinds = {f["kind"]: f for f in data["findings"]}
    assert kinds["no-host-name"]["hosts"] == ["h100-old"]
    assert kinds["stale-report"]["hosts"] == ["h100-old"]
    assert kinds["framework-missing"]["hosts"] == ["h100-old"] and "TensorFlow is missing" in kinds[
        "framework-missing"]["message"]
    assert code == 0  # stale, missing and drift are warnings


def test_fleet_never_imports_a_framework(two_hosts: tuple[Path, Path]) -> None:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "fwguide", "fleet", *map(str, two_hosts)],
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-2000:]
    modules = {line.split("|")[-1].strip().split(".")[0] for line in proc.stderr.splitlines()
               if line.startswith("import time:")}
    assert "fwguide" in modules and not modules & {"torch", "tensorflow", "keras", "jax"}
