"""Diagnosis, capabilities and facts, worked out from recorded probe facts (no GPU needed)."""

from __future__ import annotations

import msgspec
import pytest

from fwguide.probe import load_probe_json, machine_answers, probe_facts, probe_summary
from fwguide.probe.diagnose import diagnose
from fwguide.probe.model import (
    AppleInfo,
    BuildFlavour,
    Environment,
    FrameworkReport,
    MachineInfo,
    NvidiaGpu,
    ProbeReport,
    WorkerBuild,
    WorkerDevice,
    WorkerMemoryGrowth,
)
from fwguide.probe.report import capabilities
from fwguide.rulebook import load
from tests.conftest import DATA

RECORDED = load_probe_json(DATA / "probe_h100_constructed.json")
INSTALLS = load().install
replace = msgspec.structs.replace


def _torch() -> FrameworkReport:
    return RECORDED.environments[0].frameworks[0]


def _tensorflow(version: str = "2.21.0", devices: list[WorkerDevice] | None = None, flavour: BuildFlavour = "cpu",
                growth: WorkerMemoryGrowth | None = None) -> FrameworkReport:
    build = WorkerBuild(flavour=flavour, label="CUDA 12.3" if flavour == "cuda" else "CPU only",
                        cuda="12.3" if flavour == "cuda" else None)
    return FrameworkReport(framework="tensorflow", python="/opt/venv/bin/python", status="ok", version=version,
                           build=build, devices=devices or [WorkerDevice(kind="cpu", name="CPU")], memory_growth=growth)


def _report(machine: MachineInfo, *frameworks: FrameworkReport) -> ProbeReport:
    environment = Environment(python="/opt/venv/bin/python", frameworks=list(frameworks))
    environment = replace(environment, capabilities=capabilities(machine, environment))
    report = replace(RECORDED, machine=machine, environments=[environment],
                     diagnoses=diagnose(machine, [environment], INSTALLS))
    return replace(report, facts=sorted(probe_facts(report)))


def _codes(report: ProbeReport, severity: str = "problem") -> dict[str | None, set[str]]:
    found: dict[str | None, set[str]] = {}
    for diagnosis in report.diagnoses:
        if diagnosis.severity == severity:
            found.setdefault(diagnosis.framework, set()).add(diagnosis.code)
    return found


CPU_ONLY_TORCH = replace(_torch(), version="2.13.0+cpu", build=WorkerBuild(flavour="cpu", label="CPU only"),
                         devices=[WorkerDevice(kind="cpu", name="CPU")], tf32_default=None)
GPU_DEVICE = WorkerDevice(kind="cuda", name="NVIDIA H100 80GB HBM3", compute_capability="9.0", bf16=True, fp16=True)


def test_recorded_gpu_machine_needs_no_fix_for_pytorch() -> None:
    assert _codes(RECORDED) == {}
    assert {d.code for d in RECORDED.diagnoses} == {"not-installed"}
    assert set(RECORDED.facts) == {"gpu-nvidia", "tensorflow-missing"}  # TF absent: no claim it cannot use the GPU
    assert machine_answers(RECORDED) == {"os": "linux", "hardware": ["nvidia-gpu"]}
    cuda = next(c for c in RECORDED.environments[0].capabilities if c.feature == "NVIDIA GPU (CUDA)")
    cell = cuda.frameworks["pytorch"]
    assert cell is not None and cell.ok is True and "H100" in cell.reason


def test_recorded_facts_recompute_to_what_was_saved() -> None:
    again = _report(RECORDED.machine, *RECORDED.environments[0].frameworks)
    assert again.diagnoses == RECORDED.diagnoses and again.facts == RECORDED.facts
    assert again.environments[0].capabilities == RECORDED.environments[0].capabilities


def test_cpu_only_torch_on_a_gpu_machine_gets_the_cuda_wheel() -> None:
    report = _report(RECORDED.machine, CPU_ONLY_TORCH)
    (diagnosis,) = [d for d in report.diagnoses if d.severity == "problem"]
    assert diagnosis.code == "cpu-only-build" and diagnosis.framework == "pytorch"
    assert "driver reports 1 NVIDIA GPU" in diagnosis.message
    # The recorded driver supports CUDA 12.4: too old for the package index's CUDA 13 build, so cu126, pinned to
    # torch 2.14 (its last release) and forced over the installed CPU build that pip would otherwise keep.
    assert diagnosis.fix.startswith('install a CUDA build: pip install "torch==2.14.*" '
                                    "--index-url https://download.pytorch.org/whl/cu126 --force-reinstall")
    assert "driver for CUDA 13.0+" in diagnosis.fix and "580 series or newer" in diagnosis.fix


def test_cpu_only_torch_on_windows_gets_the_cuda_index() -> None:
    machine = replace(RECORDED.machine, os="windows")
    (diagnosis,) = [d for d in _report(machine, CPU_ONLY_TORCH).diagnoses if d.code == "cpu-only-build"]
    assert "--index-url https://download.pytorch.org/whl/cu" in diagnosis.fix


def test_framework_built_for_a_newer_cuda_than_the_driver() -> None:
    torch = replace(_torch(), version="2.9.0+cu128", build=WorkerBuild(flavour="cuda", label="CUDA 12.8", cuda="12.8"),
                    devices=[WorkerDevice(kind="cpu", name="CPU")],
                    accelerator_error="torch.cuda.is_available() is False: The NVIDIA driver on your system is too old")
    machine = replace(RECORDED.machine, nvidia=replace(RECORDED.machine.nvidia, cuda_driver_version="12.2",
                                                       driver_version="535.104.05"))
    (diagnosis,) = [d for d in _report(machine, torch).diagnoses if d.severity == "problem"]
    assert diagnosis.code == "cuda-driver-mismatch"
    assert "built for CUDA 12.8" in diagnosis.message and "supports CUDA up to 12.2" in diagnosis.message
    assert "too old" in diagnosis.message and "update the NVIDIA driver" in diagnosis.fix


def test_tensorflow_without_its_cuda_libraries_sees_no_gpu() -> None:
    tf = replace(_tensorflow("2.17.0", flavour="cuda"),
                 accelerator_error="tf.config.list_physical_devices('GPU') is empty")
    (diagnosis,) = [d for d in _report(RECORDED.machine, _torch(), tf).diagnoses if d.severity == "problem"]
    assert diagnosis.code == "gpu-not-found" and "tensorflow[and-cuda]" in diagnosis.fix


def test_windows_with_tensorflow_2_21_cannot_use_the_gpu() -> None:
    machine = replace(RECORDED.machine, os="windows", os_name="Windows-11")
    report = _report(machine, _torch(), _tensorflow("2.21.0"))
    assert _codes(report) == {"tensorflow": {"windows-native-tensorflow"}}
    diagnosis = next(d for d in report.diagnoses if d.code == "windows-native-tensorflow")
    assert "ended with TensorFlow 2.10" in diagnosis.message and "WSL" in diagnosis.fix
    assert {"windows-native", "gpu-torch-only", "gpu-nvidia"} <= set(report.facts)


def test_windows_gpu_counts_against_tensorflow_even_when_it_is_missing() -> None:
    machine = replace(RECORDED.machine, os="windows")
    assert "gpu-torch-only" in _report(machine, *RECORDED.environments[0].frameworks).facts


def test_tensorflow_2_10_on_windows_is_not_blamed_on_windows() -> None:
    report = _report(replace(RECORDED.machine, os="windows"), _tensorflow("2.10.1"))
    assert _codes(report) == {"tensorflow": {"cpu-only-build"}}


def test_both_frameworks_on_the_gpu() -> None:
    tf = _tensorflow("2.17.0", flavour="cuda", devices=[WorkerDevice(kind="cpu", name="CPU"), GPU_DEVICE],
                     growth=WorkerMemoryGrowth(grabs_all_memory=True, detail="reserves nearly all memory",
                                               fix="set_memory_growth"))
    report = _report(RECORDED.machine, _torch(), tf)
    assert "gpu-both" in report.facts
    assert _codes(report, "warning") == {"tensorflow": {"grabs-gpu-memory"}}
    memory = next(c for c in report.environments[0].capabilities if c.feature.startswith("shares the GPU"))
    torch_cell, tf_cell = memory.frameworks["pytorch"], memory.frameworks["tensorflow"]
    assert torch_cell is not None and torch_cell.ok is True
    assert tf_cell is not None and tf_cell.ok is False


APPLE = replace(RECORDED.machine, os="macos", arch="arm64",
                nvidia=replace(RECORDED.machine.nvidia, status="absent", gpus=[]),
                apple=AppleInfo(apple_silicon=True, chip="Apple M2", macos_version="15.1"))


def test_apple_silicon_without_mps() -> None:
    torch = replace(CPU_ONLY_TORCH, build=WorkerBuild(flavour="mps", label="MPS (Apple Metal)"),
                    accelerator_error="torch.backends.mps.is_available() is False")
    report = _report(APPLE, torch, _tensorflow())
    (diagnosis,) = [d for d in report.diagnoses if d.severity == "problem"]
    assert diagnosis.code == "apple-gpu-unused" and diagnosis.framework == "pytorch"
    assert "is_available() is False" in diagnosis.message
    assert "apple-silicon" in report.facts and machine_answers(report)["hardware"] == ["apple-silicon"]


def test_apple_silicon_tensorflow_metal_that_does_not_load() -> None:
    mps = replace(CPU_ONLY_TORCH, devices=[WorkerDevice(kind="cpu", name="CPU"),
                                           WorkerDevice(kind="mps", name="Apple GPU (Metal)", bf16=True, fp16=True)])
    tf = replace(_tensorflow(), packages={"tensorflow-metal": "1.2.0"})
    report = _report(APPLE, mps, tf)
    (warning,) = [d for d in report.diagnoses if d.code == "apple-gpu-unused"]
    assert warning.severity == "warning" and "tensorflow-metal 1.2.0" in warning.message
    assert "gpu-torch-only" in report.facts


def test_rosetta_python_is_the_problem_not_the_frameworks() -> None:
    machine = replace(APPLE, apple=replace(APPLE.apple, rosetta=True))
    assert _codes(_report(machine, CPU_ONLY_TORCH)) == {None: {"rosetta"}}


@pytest.mark.parametrize(("value", "hidden", "severity"),
                         [("1", 1, "warning"), ("", 2, "problem"), ("GPU-bbb", 1, "warning")])
def test_cuda_visible_devices_hiding_gpus(value: str, hidden: int, severity: str) -> None:
    from fwguide.probe.machine import visible_indices

    gpus = [NvidiaGpu(index=0, name="NVIDIA H100 80GB HBM3", uuid="GPU-aaa"),
            NvidiaGpu(index=1, name="NVIDIA H100 80GB HBM3", uuid="GPU-bbb")]
    shown = visible_indices(value, gpus)
    gpus = [replace(g, visible=g.index in shown) for g in gpus]
    machine = replace(RECORDED.machine, nvidia=replace(RECORDED.machine.nvidia, gpus=gpus),
                      visible_devices={"CUDA_VISIBLE_DEVICES": value})
    report = _report(machine, _torch())
    (diagnosis,) = [d for d in report.diagnoses if d.code == "visible-devices"]
    assert diagnosis.severity == severity and f"CUDA_VISIBLE_DEVICES={value!r}" in diagnosis.message
    assert ("every GPU" if hidden == 2 else "1 of 2 GPUs") in diagnosis.message
    assert machine_answers(report)["hardware"] == ["nvidia-gpu", "multi-gpu"]


def test_turing_gpu_gets_the_fp16_advice() -> None:
    t4 = replace(RECORDED.machine.nvidia.gpus[0], name="Tesla T4", compute_capability="7.5")
    machine = replace(RECORDED.machine, nvidia=replace(RECORDED.machine.nvidia, gpus=[t4]))
    (info,) = [d for d in _report(machine, _torch()).diagnoses if d.code == "bf16-emulated"]
    assert "Tesla T4" in info.message and "float16" in info.fix


def test_broken_nvidia_driver_is_a_problem() -> None:
    nvidia = replace(RECORDED.machine.nvidia, status="error", gpus=[], reason="the NVIDIA driver's library and kernel "
                     "module have different versions", hint="reboot: this happens after a driver update")
    report = _report(replace(RECORDED.machine, nvidia=nvidia), CPU_ONLY_TORCH)
    (diagnosis,) = [d for d in report.diagnoses if d.severity == "problem"]
    assert diagnosis.code == "nvidia-driver" and diagnosis.fix.startswith("reboot")


def test_summary_is_compact_and_json_ready() -> None:
    summary = probe_summary(RECORDED)
    assert summary["gpus"] == [{"name": "NVIDIA H100 80GB HBM3", "memory_gib": 79.65, "compute_capability": "9.0"}]
    assert summary["frameworks"]["pytorch"] == {"status": "ok", "version": "2.5.1+cu124", "build": "CUDA 12.4",
                                                "gpus": ["NVIDIA H100 80GB HBM3"]}
    assert summary["frameworks"]["tensorflow"]["status"] == "missing"
    assert summary["facts"] == ["gpu-nvidia", "tensorflow-missing"] and summary["cuda_driver"] == "12.4"
    msgspec.json.encode(summary)
