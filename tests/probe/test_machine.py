"""Machine facts without frameworks: this machine for real, and a driver's answers through stand-ins.

This machine has no NVIDIA driver, so the NVML and nvidia-smi paths run a real
`probe-gpu` subprocess with a stand-in `pynvml` first on PYTHONPATH and a stand-in
`nvidia-smi` on PATH (tests/probe/fake_nvml/), which answer like the real ones do.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fwguide.probe import machine
from tests.conftest import run_cli


def test_this_machine_is_described_without_any_framework() -> None:
    info = machine.machine_info()
    assert info.os == "linux" and info.cores and info.ram_gib and info.cpu
    assert info.nvidia.status == "absent" and info.nvidia.gpus == []
    assert info.apple.apple_silicon is machine.apple_silicon() is False  # one test for it, asked here and by checks


def test_driver_signature_is_cheap_and_stable(monkeypatch: pytest.MonkeyPatch) -> None:
    first = machine.driver_signature()
    assert machine.driver_signature() == first
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1")
    assert machine.driver_signature() != first


FAKE_NVML = Path(__file__).resolve().parent / "fake_nvml"


def _probe_with_driver(case: str, *args: str, path: str | None = None) -> dict:
    """A real `probe-gpu --json` whose NVML answers come from the stand-in library (see fake_nvml/)."""
    env = {"PYTHONPATH": str(FAKE_NVML), "FWGUIDE_FAKE_NVML": case, "CUDA_VISIBLE_DEVICES": "1"}
    if path is not None:
        env["PATH"] = path
    proc = run_cli("probe-gpu", "--json", "--no-bench", "--refresh", *args, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return json.loads(proc.stdout)


def test_nvml_answers_become_gpus(bare_python: Path) -> None:
    nvidia = _probe_with_driver("h100x2", "--python", str(bare_python))["machine"]["nvidia"]
    assert (nvidia["status"], nvidia["source"], nvidia["driver_version"], nvidia["cuda_driver_version"]) == (
        "ok", "NVML", "550.54.15", "12.4")
    assert [(g["name"], g["memory_gib"], g["compute_capability"], g["uuid"], g["visible"]) for g in nvidia["gpus"]] == [
        ("NVIDIA H100 80GB HBM3", 79.65, "9.0", None, False), ("NVIDIA H100 80GB HBM3", 79.65, "9.0", None, True)]


@pytest.mark.needs("torch", "tensorflow")
def test_driver_gpu_with_a_cpu_only_torch_is_diagnosed_with_the_fix() -> None:
    report = _probe_with_driver("h100x2", "--framework", "torch")
    found = [d for d in report["diagnoses"] if d["code"] == "cpu-only-build"]
    assert found, report["diagnoses"]
    assert "the driver reports 1 NVIDIA GPU(s)" in found[0]["message"]
    # The stand-in driver supports CUDA 12.4, too old for the package index's CUDA 13 torch: cu126, pinned to
    # torch 2.14 (its last release), forced over the installed CPU build.
    assert found[0]["fix"].startswith("install a CUDA build: ")
    assert found[0]["command"].endswith(
        'pip install "torch==2.14.*" --index-url https://download.pytorch.org/whl/cu126 --force-reinstall')
    assert "gpu-nvidia" in report["facts"]


@pytest.mark.parametrize(("error", "status", "hint"), [
    ("LibraryNotFound", "absent", ""),
    ("DriverNotLoaded", "error", "modprobe nvidia"),
    ("LibRmVersionMismatch", "error", "reboot"),
])
def test_nvml_failures_become_reasons_not_exceptions(bare_python: Path, error: str, status: str, hint: str) -> None:
    nvidia = _probe_with_driver(error, "--python", str(bare_python), path="/nonexistent")["machine"]["nvidia"]
    assert nvidia["status"] == status and nvidia["gpus"] == [] and hint in nvidia["hint"]


def test_nvidia_smi_answers_when_nvml_cannot_be_loaded(bare_python: Path) -> None:
    nvidia = _probe_with_driver("LibraryNotFound", "--python", str(bare_python),
                                path=f"{FAKE_NVML}:/usr/bin:/bin")["machine"]["nvidia"]
    assert (nvidia["status"], nvidia["source"], nvidia["driver_version"], nvidia["cuda_driver_version"]) == (
        "ok", "nvidia-smi", "550.54.15", "12.4")
    assert [(g["name"], g["compute_capability"], g["uuid"]) for g in nvidia["gpus"]] == [
        ("NVIDIA L4", "8.9", "GPU-1111")]


def test_cuda_driver_versions_read_like_nvidia_smi() -> None:
    assert [machine.cuda_version_text(v) for v in (12040, 11080, 13000)] == ["12.4", "11.8", "13.0"]
