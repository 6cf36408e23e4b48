"""Probe results on disk, keyed so that they can never outlive what they describe.

A framework's result is keyed by the interpreter, the framework's installed files
(dist-info folders and package stats, see interpreter.framework_signature), the
GPU drivers and visible devices (machine.driver_signature), the environment
variables that change what that framework sees (its registry entry names their
prefixes), the worker script (and fwguide_worker.py) and fwguide's version. Computing
a key costs a few stat calls, no subprocess. Each file holds its whole key and is used
only if the key matches to the letter (the file name is just a checksum of it; see
fwguide.cache). Files are written only once a whole probe has finished.
"""

from __future__ import annotations

import os

import msgspec

from fwguide import __version__, frameworks
from fwguide.cache import KeyedCache
from fwguide.probe.interpreter import Interpreter, framework_signature
from fwguide.probe.model import FrameworkReport, MachineInfo
from fwguide.probe.workers import COMMON

# Variables that change what any framework finds or how fast it runs (HSA_OVERRIDE_GFX_VERSION picks ROCm
# kernels, OMP_/MKL_ thread counts move the benchmark); each framework adds its own (frameworks.Framework.env_prefixes).
_ENV_PREFIXES = ("CUDA_", "HIP_", "ROCR_", "ROCM_", "HSA_", "NVIDIA_", "OMP_", "MKL_")
_ENV_NAMES = ("LD_LIBRARY_PATH", "DYLD_LIBRARY_PATH", "PYTHONPATH", "PYTHONHOME")
# What changes the machine facts: where nvidia-smi and nvcc are found (PATH, CUDA_HOME), which NVML library
# and nvidia-ml-py load (LD_LIBRARY_PATH, PYTHONPATH), which GPUs are visible (in the driver signature).
_MACHINE_ENV_NAMES = ("PATH", "CUDA_HOME", "CUDA_PATH", "LD_LIBRARY_PATH", "DYLD_LIBRARY_PATH", "PYTHONPATH")


def _environment(framework: frameworks.Framework) -> list[str]:
    prefixes = _ENV_PREFIXES + framework.env_prefixes
    return sorted(f"{k}={v}" for k, v in os.environ.items()
                  if (k.startswith(prefixes) or k in _ENV_NAMES) and k not in framework.env_ignored)


# Results of a few interpreters, several frameworks and bench on/off each; one machine per driver state.
_RESULTS: KeyedCache[FrameworkReport] = KeyedCache("probe/results", FrameworkReport, max_bytes=4 << 20)
_MACHINES: KeyedCache[MachineInfo] = KeyedCache("probe/machine", MachineInfo, max_bytes=1 << 20, max_entries=16)


def result_key(interpreter: Interpreter, framework: str, bench: bool, drivers: str) -> str:
    known = frameworks.get(framework)
    scripts = [path.stat() for path in (known.worker, COMMON)]
    return "\n".join([
        __version__, framework, f"bench={bench}", drivers, framework_signature(interpreter, framework),
        *(f"{s.st_size}:{s.st_mtime_ns}" for s in scripts), *_environment(known),
    ])


def machine_key(drivers: str) -> str:
    return "\n".join([__version__, "machine", drivers,
                      *(f"{name}={os.environ.get(name, '')}" for name in _MACHINE_ENV_NAMES)])


def load_result(key: str) -> FrameworkReport | None:
    report = _RESULTS.load(key)
    return msgspec.structs.replace(report, cached=True) if report is not None else None


def load_machine(key: str) -> MachineInfo | None:
    return _MACHINES.load(key)


def store(results: dict[str, FrameworkReport], machine: tuple[str, MachineInfo] | None) -> None:
    """Write finished results (each file atomically); the cache prunes old entries as it writes."""
    for key, report in results.items():
        _RESULTS.store(key, report)
    if machine is not None:
        _MACHINES.store(*machine)
