"""Pick the install command for a framework on this machine: the probe's facts handed to fwguide.install."""

from __future__ import annotations

from collections.abc import Sequence

from fwguide.install import InstallChoice, InstalledBuild, choose_install, version_tuple
from fwguide.probe.model import FrameworkReport, MachineInfo
from fwguide.rulebook.schema import Compute, InstallOption

# The distributions that can provide each framework, the most specific first.
DISTRIBUTIONS = {"pytorch": ("torch",),
                  "tensorflow": ("tensorflow-cpu", "tensorflow-rocm", "tensorflow-macos", "tensorflow")}
_ARCH = {"amd64": "x86_64", "x86_64": "x86_64", "x64": "x86_64", "arm64": "arm64", "aarch64": "arm64"}


def best_compute(machine: MachineInfo) -> Compute:
    """The compute platform this machine's hardware calls for."""
    if machine.nvidia.gpus:
        return "cuda"
    if machine.amd.gpus and machine.amd.rocm_driver:
        return "rocm"
    if machine.apple.apple_silicon:
        return "mps"
    return "cpu"


def _arch(machine: MachineInfo) -> str | None:
    if machine.apple.apple_silicon:
        return "arm64"  # also under Rosetta, where Python reports x86_64
    return _ARCH.get(machine.arch.lower())


def oldest_capability(machine: MachineInfo, report: FrameworkReport | None = None) -> str | None:
    """The lowest compute capability among the GPUs in use: the one a build must still have kernels for."""
    found = [g.compute_capability for g in machine.nvidia.gpus if g.visible and g.compute_capability]
    if not found and report is not None:
        found = [d.compute_capability for d in report.devices if d.kind == "cuda" and d.compute_capability]
    return min(found, key=version_tuple) if found else None


def installed_build(report: FrameworkReport | None) -> InstalledBuild | None:
    """What is installed now, from the framework's own report; None when it is not installed."""
    if report is None or report.status not in ("ok", "import-error"):
        return None
    names = DISTRIBUTIONS.get(report.framework, ())
    package = next((n for n in names if n in report.packages), names[-1] if names else report.framework)
    build = report.build
    return InstalledBuild(package=package, version=report.version or "", flavour=build.flavour if build else "",
                          cuda=build.cuda if build else None)


def install_for(options: Sequence[InstallOption], framework: str, machine: MachineInfo,
                report: FrameworkReport | None = None, compute: Compute | None = None) -> InstallChoice | None:
    """The install command for `framework` on this machine (for `compute`, default what the hardware calls for)."""
    return choose_install(
        options, framework, os=machine.os, compute=compute or best_compute(machine), arch=_arch(machine),
        cuda_driver=machine.nvidia.cuda_driver_version if machine.nvidia.status == "ok" else None,
        compute_capability=oldest_capability(machine, report), rocm_version=machine.amd.rocm_version,
        installed=installed_build(report),
    )


def fix_text(choice: InstallChoice | None, lead: str) -> str:
    """`lead: command`, with what replacing the installed build involves and what the machine still lacks."""
    if choice is None:
        return ""
    extra = choice.because + [choice.replaces] * bool(choice.replaces) + choice.warnings
    return f"{lead}: {choice.command}" + (f" ({'; '.join(extra)})" if extra else "")
