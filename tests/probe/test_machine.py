"""Machine facts without frameworks: this machine for real, and NVML's answers through a stand-in library.

This machine has no NVIDIA driver, so the NVML paths run against a small stand-in
module that answers like the real nvidia-ml-py does (same names, same error classes).
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable

import pytest

from fwguide.probe import machine


def test_this_machine_is_described_without_any_framework() -> None:
    info = machine.machine_info()
    assert info.os == "linux" and info.cores and info.ram_gib and info.cpu
    assert info.nvidia.status == "absent" and info.nvidia.gpus == []


def test_driver_signature_is_cheap_and_stable(monkeypatch: pytest.MonkeyPatch) -> None:
    first = machine.driver_signature()
    assert machine.driver_signature() == first
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1")
    assert machine.driver_signature() != first


def _nvml(init: Callable[[], None] | None = None, gpus: int = 1) -> types.ModuleType:
    module = types.ModuleType("pynvml")

    class NVMLError(Exception):
        pass

    module.NVMLError = NVMLError
    for name in ("LibraryNotFound", "DriverNotLoaded", "LibRmVersionMismatch", "NotSupported"):
        setattr(module, f"NVMLError_{name}", type(f"NVMLError_{name}", (NVMLError,), {}))

    def not_supported(handle: object) -> None:
        raise module.NVMLError_NotSupported()

    module.nvmlInit = init or (lambda: None)
    module.nvmlShutdown = lambda: None
    module.nvmlSystemGetDriverVersion = lambda: "550.54.15"
    module.nvmlSystemGetCudaDriverVersion = lambda: 12040
    module.nvmlDeviceGetCount = lambda: gpus
    module.nvmlDeviceGetHandleByIndex = lambda index: index
    module.nvmlDeviceGetName = lambda handle: b"NVIDIA H100 80GB HBM3"  # older releases return bytes
    module.nvmlDeviceGetMemoryInfo = lambda handle: types.SimpleNamespace(total=85520809984)
    module.nvmlDeviceGetCudaComputeCapability = lambda handle: (9, 0)
    module.nvmlDeviceGetUUID = not_supported
    return module


def test_nvml_answers_become_gpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", _nvml(gpus=2))
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1")
    driver = machine.nvidia_driver()
    assert (driver.status, driver.driver_version, driver.cuda_driver_version) == ("ok", "550.54.15", "12.4")
    assert [(g.name, g.memory_gib, g.compute_capability, g.uuid, g.visible) for g in driver.gpus] == [
        ("NVIDIA H100 80GB HBM3", 79.65, "9.0", None, False), ("NVIDIA H100 80GB HBM3", 79.65, "9.0", None, True)]


@pytest.mark.parametrize(("error", "status", "hint"), [
    ("NVMLError_LibraryNotFound", "absent", ""),
    ("NVMLError_DriverNotLoaded", "error", "modprobe nvidia"),
    ("NVMLError_LibRmVersionMismatch", "error", "reboot"),
])
def test_nvml_failures_become_reasons_not_exceptions(monkeypatch: pytest.MonkeyPatch, error: str, status: str,
                                                    hint: str) -> None:
    module = _nvml()

    def fail() -> None:
        raise getattr(module, error)()

    module.nvmlInit = fail
    monkeypatch.setitem(sys.modules, "pynvml", module)
    monkeypatch.setenv("PATH", "/nonexistent")  # no nvidia-smi to fall back on
    driver = machine.nvidia_driver()
    assert driver.status == status and driver.gpus == [] and hint in driver.hint


def test_cuda_driver_versions_read_like_nvidia_smi() -> None:
    assert [machine.cuda_version_text(v) for v in (12040, 11080, 13000)] == ["12.4", "11.8", "13.0"]
