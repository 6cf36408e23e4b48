"""Probe results on disk, keyed so that they can never outlive what they describe.

A framework's result is keyed by the interpreter, the framework's installed files
(dist-info folders and package stats, see interpreter.framework_signature), the
GPU drivers and visible devices (machine.driver_signature), the environment
variables that change what a framework sees, the worker script (and common.py) and fwguide's
version. Computing a key costs a few stat calls, no subprocess. Each file holds its
whole key and is used only if the key matches to the letter (the file name is just a
checksum of it). Files are written atomically, and only once a whole probe has finished.
"""

from __future__ import annotations

import os
import time
import zlib
from pathlib import Path

import msgspec

from fwguide import __version__
from fwguide.files import cache_dir, write_atomic
from fwguide.probe.interpreter import Interpreter, framework_signature
from fwguide.probe.model import FrameworkReport, MachineInfo
from fwguide.probe.workers import COMMON, SCRIPTS

# Variables that change what a framework finds or how fast it runs (HSA_OVERRIDE_GFX_VERSION picks ROCm
# kernels, OMP_/MKL_ thread counts move the benchmark).
_ENV_PREFIXES = ("CUDA_", "HIP_", "ROCR_", "ROCM_", "HSA_", "TF_", "XLA_", "KERAS_", "PYTORCH_", "TORCH_", "NVIDIA_",
                 "OMP_", "MKL_")
_ENV_NAMES = ("LD_LIBRARY_PATH", "DYLD_LIBRARY_PATH", "PYTHONPATH", "PYTHONHOME")
# What changes the machine facts: where nvidia-smi and nvcc are found (PATH, CUDA_HOME), which NVML library
# and nvidia-ml-py load (LD_LIBRARY_PATH, PYTHONPATH), which GPUs are visible (in the driver signature).
_MACHINE_ENV_NAMES = ("PATH", "CUDA_HOME", "CUDA_PATH", "LD_LIBRARY_PATH", "DYLD_LIBRARY_PATH", "PYTHONPATH")
_ENV_IGNORED = ("TF_CPP_MIN_LOG_LEVEL",)  # the worker sets it itself
_KEEP_SECONDS = 30 * 24 * 3600


def _folder() -> Path:
    return cache_dir() / "probe"


def _environment() -> list[str]:
    return sorted(f"{k}={v}" for k, v in os.environ.items()
                  if (k.startswith(_ENV_PREFIXES) or k in _ENV_NAMES) and k not in _ENV_IGNORED)


class _ResultEntry(msgspec.Struct, frozen=True):
    key: str
    report: FrameworkReport


class _MachineEntry(msgspec.Struct, frozen=True):
    key: str
    machine: MachineInfo


def _name(key: str) -> str:
    data = key.encode()
    return f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}"


def result_key(interpreter: Interpreter, framework: str, bench: bool, drivers: str) -> str:
    scripts = [path.stat() for path in (SCRIPTS[framework], COMMON)]
    return "\n".join([
        __version__, framework, f"bench={bench}", drivers, framework_signature(interpreter, framework),
        *(f"{s.st_size}:{s.st_mtime_ns}" for s in scripts), *_environment(),
    ])


def machine_key(drivers: str) -> str:
    return "\n".join([__version__, "machine", drivers,
                      *(f"{name}={os.environ.get(name, '')}" for name in _MACHINE_ENV_NAMES)])


def load_result(key: str) -> FrameworkReport | None:
    try:
        entry = msgspec.json.decode((_folder() / "results" / f"{_name(key)}.json").read_bytes(), type=_ResultEntry)
    except (OSError, msgspec.DecodeError, msgspec.ValidationError):
        return None
    return msgspec.structs.replace(entry.report, cached=True) if entry.key == key else None


def load_machine(key: str) -> MachineInfo | None:
    try:
        entry = msgspec.json.decode((_folder() / f"machine-{_name(key)}.json").read_bytes(), type=_MachineEntry)
    except (OSError, msgspec.DecodeError, msgspec.ValidationError):
        return None
    return entry.machine if entry.key == key else None


def store(results: dict[str, FrameworkReport], machine: tuple[str, MachineInfo] | None) -> None:
    """Write finished results (each file atomically) and drop entries written over a month ago."""
    folder = _folder()
    try:
        for key, report in results.items():
            write_atomic(folder / "results" / f"{_name(key)}.json", msgspec.json.encode(_ResultEntry(key, report)))
        if machine is not None:
            key, info = machine
            write_atomic(folder / f"machine-{_name(key)}.json", msgspec.json.encode(_MachineEntry(key, info)))
        _prune(folder)
        _prune(folder / "results")
    except OSError:
        pass  # a read-only cache only costs speed


def _prune(folder: Path) -> None:
    cutoff = time.time() - _KEEP_SECONDS
    for entry in folder.iterdir():
        try:
            if entry.is_file() and entry.stat().st_mtime < cutoff:
                entry.unlink()
        except OSError:
            pass
