"""Live checks that cannot apply say n/a (never FAIL), checks have human names, the article's notes have no
winner, the interpreter is chosen as docs/design.md says; all through real `fwguide` subprocesses."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from fwguide import frameworks
from fwguide.rulebook import load
from tests.conftest import ROOT, run_cli

FAKE_NVML = ROOT / "tests" / "probe" / "fake_nvml"
NOTES = {"visualization", "high-level-api", "dynamic-batching"}


def _checks(*args: str, env: dict[str, str] | None = None) -> tuple[int, dict]:
    proc = run_cli("explain", "device-management", "--check", "--json", *args, env=env, timeout=300)
    assert "Traceback" not in proc.stderr
    return proc.returncode, json.loads(proc.stdout)


@pytest.mark.needs("torch", "tensorflow")
def test_device_management_check_passes_on_a_cpu_only_linux_machine() -> None:
    code, data = _checks()
    statuses = {(r["framework"], r["check"]): r for r in data["check_results"]}
    assert code == 0
    assert {r["status"] for r in data["check_results"]} <= {"pass", "n/a"}
    cuda = statuses[("pytorch", "built_with_cuda")]
    assert cuda["status"] == "n/a" and cuda["detail"].startswith("no NVIDIA GPU on this machine")
    assert statuses[("pytorch", "mps_available")]["detail"].startswith("not an Apple Silicon Mac")
    assert statuses[("tensorflow", "memory_growth_default")]["status"] == "n/a"


@pytest.mark.needs("torch", "tensorflow")
def test_a_cpu_build_beside_an_nvidia_gpu_is_a_real_failure() -> None:
    """With the stand-in driver reporting a GPU, a CPU-only build fails the CUDA check and exits 1."""
    code, data = _checks(env={"PYTHONPATH": str(FAKE_NVML), "FWGUIDE_FAKE_NVML": "pascal"})
    cuda = next(r for r in data["check_results"] if (r["framework"], r["check"]) == ("pytorch", "built_with_cuda"))
    assert cuda["status"] == "fail" and code == 1


@pytest.mark.needs("torch", "tensorflow")
def test_plain_check_screen_shows_no_fail_and_names_the_interpreter() -> None:
    proc = run_cli("explain", "device-management", "--check", timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "FAIL" not in proc.stdout and "n/a" in proc.stdout
    assert "Live checks on this machine with " in " ".join(proc.stdout.split())


def test_checks_are_named_for_people_once_each() -> None:
    for category in load().categories:
        shown = [(c.framework, c.label) for c in category.checks]
        assert all(label and "_" not in label.split()[0] for _, label in shown), category.id
        assert len(set(shown)) == len(shown), category.id
    listed = run_cli("explain", "device-management").stdout
    assert "built_with_cuda" not in listed and "mps_available" not in listed


def test_explain_check_runs_with_another_interpreter(bare_python: Path) -> None:
    proc = run_cli("explain", "coverage", "--check", "--json", "--python", str(bare_python), timeout=300)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["checked_with"] == {"python": str(bare_python), "chosen_by": "--python"}
    assert {r["status"] for r in data["check_results"]} == {"skip"}


def test_python_without_check_is_bad_usage() -> None:
    proc = run_cli("explain", "coverage", "--python", "/usr/bin/python3")
    assert proc.returncode == 2 and "--python only applies with --check" in proc.stderr


def test_the_articles_notes_carry_no_2017_winner() -> None:
    listing = json.loads(run_cli("explain", "--list", "--json").stdout)["categories"]
    winners = {c["id"]: c["winner_2017"] for c in listing}
    assert {winners[n] for n in NOTES} == {"note"}
    assert winners["coverage"] == "tensorflow" and winners["ecosystem"] is None
    one = json.loads(run_cli("explain", "visualization", "--json").stdout)
    assert one["seed"]["winner"] is None and one["winner_2017"] == "note"
    assert "tensorboard_logger" in one["seed"]["summary"] and "easier" in one["seed"]["summary"]
    plain = run_cli("explain", "--list").stdout
    row = next(line for line in plain.splitlines() if line.lstrip().startswith("visualization"))
    assert " note " in row


def test_no_rulebook_text_offers_a_tensorboard_extra() -> None:
    text = "\n".join(p.read_text() for p in (ROOT / "rules").rglob("*.yaml"))
    assert "tensorflow[tensorboard]" not in text and "unmaintained" not in text


def test_ask_probes_the_interpreter_given(bare_python: Path) -> None:
    proc = run_cli("ask", "--no-input", "--json", "--python", str(bare_python), timeout=300)
    assert proc.returncode == 0, proc.stderr
    probe = json.loads(proc.stdout)["probe"]
    assert probe["python"] == str(bare_python) and probe["python_chosen_by"] == "--python"


def test_ask_with_a_bad_python_is_bad_input() -> None:
    proc = run_cli("ask", "--no-input", "--python", "/no/such/python")
    assert proc.returncode == 2 and "no such file" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.needs("torch", "tensorflow")
def test_rules_validate_warns_when_frameworks_are_newer_than_the_table(tmp_path: Path) -> None:
    entries = "\n".join(
        f"  - {{framework: {fw}, os: [{os_name}], compute: cpu, command: pip install {fw}, "
        f"source: https://example.org/, checked: {{version: '1.0', date: 2020-01-01}}}}"
        for fw in frameworks.DECISION for os_name in ("linux", "windows", "macos"))
    rules = tmp_path / "team.yaml"
    rules.write_text(f"rulebook: {{version: team-1, as_of: 2026-11-01}}\ninstall:\n{entries}\n")
    proc = run_cli("rules", "validate", str(rules))
    assert proc.returncode == 0, proc.stderr
    assert "warning: install table: PyTorch 2.13.0+cpu is installed, newer than 1.0" in proc.stderr
    built_in = run_cli("rules", "validate", "--json")
    assert built_in.returncode == 0 and json.loads(built_in.stdout)["warnings"] == []


def _route(category: str, framework: str, check: str) -> tuple[int, dict]:
    proc = run_cli("explain", category, "--check", "--json", timeout=300)
    assert "Traceback" not in proc.stderr
    results = json.loads(proc.stdout)["check_results"]
    return proc.returncode, next(r for r in results if (r["framework"], r["check"]) == (framework, check))


@pytest.mark.needs("torch")
@pytest.mark.skipif(importlib.util.find_spec("onnxscript") is not None, reason="onnxscript is installed here")
def test_the_onnx_route_never_passes_without_onnxscript() -> None:
    code, onnx = _route("deployment", "pytorch", "onnx_export")
    assert onnx["status"] == "n/a" and code == 0  # not a failure of this machine: a missing prerequisite, named
    assert onnx["detail"].startswith("onnxscript not installed: pip install onnxscript")


@pytest.mark.needs("torch")
@pytest.mark.skipif(importlib.util.find_spec("triton") is not None, reason="triton is installed here")
def test_triton_custom_operators_never_pass_without_triton() -> None:
    code, triton = _route("custom-extensions", "pytorch", "triton_op")
    assert triton["status"] == "n/a" and code == 0
    assert triton["detail"].startswith("triton not installed")


@pytest.mark.needs("torch", "tensorflow")
def test_routes_whose_prerequisites_are_here_run_for_real() -> None:
    proc = run_cli("explain", "serialization", "--check", "--json", timeout=300)
    results = {r["check"]: r for r in json.loads(proc.stdout)["check_results"]}
    assert proc.returncode == 0, proc.stderr
    roundtrip = results["export_roundtrip"]
    assert roundtrip["status"] == "pass" and "the same output" in roundtrip["detail"]
    assert results["saved_model_roundtrip"]["status"] == "pass"
    assert results["keras_export"]["status"] == "pass" and "the model's output" in results["keras_export"]["detail"]
    _, litert = _route("deployment", "tensorflow", "litert_convert")
    assert litert["status"] == "pass" and "[[2.0, 0.0, 4.0]]" in litert["detail"]


def test_license_matches_the_package_metadata() -> None:
    assert 'license = "MIT"' in (ROOT / "pyproject.toml").read_text()
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
