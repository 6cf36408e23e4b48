"""What the rest of fwguide takes from a probe: named facts, pre-filled answers, a compact summary."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, get_args

from fwguide import frameworks
from fwguide.frameworks import DECISION
from fwguide.rulebook.names import GPU_ONLY_FACT
from fwguide.rulebook.schema import OperatingSystem

if TYPE_CHECKING:
    from fwguide.probe.model import ProbeReport


def _gpu_usable(report: ProbeReport, framework: str) -> bool | None:
    """True / False when this environment shows whether the framework can use a GPU here; None if unknown."""
    environment = report.primary
    found = environment.framework(framework) if environment else None
    if found is None:
        return None
    if found.gpus:
        return True
    windows_gpu = report.machine.os == "windows" and bool(report.machine.nvidia.gpus)
    if windows_gpu and not frameworks.get(framework).windows_gpu and found.status in ("ok", "missing"):
        return False  # its current releases use a GPU only under WSL2, never on native Windows
    return False if found.status == "ok" else None


def _has_gpu(report: ProbeReport) -> bool:
    machine = report.machine
    return bool(machine.nvidia.gpus or machine.amd.gpus or machine.apple.apple_silicon)


def probe_facts(report: ProbeReport) -> frozenset[str]:
    """The names of fwguide.rulebook.names.PROBE_FACTS that hold for this report."""
    machine = report.machine
    facts: set[str] = set()
    usable = {framework: _gpu_usable(report, framework) for framework in DECISION}
    if machine.nvidia.gpus:
        facts.add("gpu-nvidia")
    if not _has_gpu(report) and not any(usable.values()):
        facts.add("gpu-none")
    if all(usable.values()):
        facts.add("gpu-both")
    for framework, fact in GPU_ONLY_FACT.items():
        if usable[framework] and all(usable[other] is False for other in DECISION if other != framework):
            facts.add(fact)
    if machine.os == "windows":
        facts.add("windows-native")
    if machine.apple.apple_silicon:
        facts.add("apple-silicon")
    environment = report.primary
    for framework in DECISION:
        found = environment.framework(framework) if environment else None
        if found is not None and found.status == "missing":
            facts.add(f"{framework}-missing")
    return frozenset(facts)


def _hardware(nvidia: int, amd: int, apple: bool, tpu: bool = False) -> list[str]:
    choices = []
    if nvidia:
        choices.append("nvidia-gpu")
    if amd:
        choices.append("amd-gpu")
    if apple:
        choices.append("apple-silicon")
    if tpu:
        choices.append("tpu")
    if nvidia + amd > 1:
        choices.append("multi-gpu")
    return choices or ["cpu"]


def _os_answer(name: str) -> str:
    """The `os` answer for an OS the questionnaire names; any other Unix-like system answers as Linux."""
    return name if name in get_args(OperatingSystem) else "linux"


def machine_answers(report: ProbeReport | None) -> dict[str, str | list[str]]:
    """Pre-filled answers for the `os` and `hardware` questions.

    Without a report only fast, framework-free facts are used (the platform, /proc or NVML).
    """
    if report is not None:
        machine = report.machine
        kinds = {d.kind for env in report.environments for f in env.frameworks for d in f.accelerators}
        nvidia = len(machine.nvidia.gpus) or int("cuda" in kinds)
        amd = len(machine.amd.gpus) or int("rocm" in kinds)
        apple = machine.apple.apple_silicon or "mps" in kinds
        return {"os": _os_answer(machine.os), "hardware": _hardware(nvidia, amd, apple, "tpu" in kinds)}
    from fwguide.probe import machine as detect

    amd = 0
    if sys.platform == "linux":
        amd = len(detect.amd_info().gpus)
    return {"os": _os_answer(detect.os_id()),
            "hardware": _hardware(detect.quick_nvidia_count(), amd, detect.apple_silicon())}


def probe_summary(report: ProbeReport) -> dict[str, Any]:
    """A compact, JSON-ready view of the machine and the frameworks for `ask --json` and its report."""
    machine = report.machine
    summary: dict[str, Any] = {
        "os": machine.os_name, "cpu": machine.cpu, "cores": machine.cores, "ram_gib": machine.ram_gib,
        "gpus": [{"name": g.name, "memory_gib": g.memory_gib, "compute_capability": g.compute_capability}
                 for g in machine.nvidia.gpus] + [{"name": name} for name in machine.amd.gpus],
        "nvidia_driver": machine.nvidia.driver_version, "cuda_driver": machine.nvidia.cuda_driver_version,
        "apple_chip": machine.apple.chip, "frameworks": {},
        "facts": sorted(probe_facts(report)),
        "problems": [d.message for d in report.diagnoses if d.severity == "problem"],
        "probed_at": report.created,
    }
    environment = report.primary
    if environment is not None:
        summary["python"] = environment.python
        summary["python_chosen_by"] = environment.chosen_by
        for found in environment.frameworks:
            summary["frameworks"][found.framework] = {
                "status": found.status, "version": found.version,
                "build": found.build.label if found.build else None,
                "gpus": [d.name for d in found.accelerators],
            }
    return summary
