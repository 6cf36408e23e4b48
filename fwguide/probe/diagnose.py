"""Diagnosis: what stands between this machine's hardware and each framework, with the fix.

Pure but for one fact: it reads the facts (machine, framework reports, the rulebook's install
table) and returns findings; it runs nothing and prints nothing. The install command a fix names
comes from the probe's facts handed to fwguide.install (`install_for`, in install_here), written
as `PYTHON -m pip` when the `pip` on PATH installs elsewhere (the one fact read from the shell).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from fwguide import frameworks
from fwguide.install import InstallChoice, at_most, gpu_generation, newest_kernels, sm_name, version_tuple
from fwguide.probe.install_here import (  # re-exported: the probe's report and `ask` call them from here
    best_compute,
    command_here,
    install_for,
    installed_build,
    oldest_capability,
)
from fwguide.probe.model import Diagnosis, Environment, FrameworkReport, MachineInfo
from fwguide.rulebook.schema import InstallOption

__all__ = ["best_compute", "diagnose", "install_for", "installed_build", "oldest_capability"]

_ORDER = {"problem": 0, "warning": 1, "info": 2}


# --- the install command a fix names ---------------------------------------------------------


def _fix(choice: InstallChoice | None, lead: str, otherwise: str, before: str = "") -> dict[str, str]:
    """A finding's fix, `before` then `lead: command` with what replacing the installed build involves and
    what the machine still lacks; the command alone beside it. `otherwise` when there is no choice."""
    if choice is None or choice.command is None:
        return {"fix": before + otherwise if otherwise else ""}
    extra = choice.because + [choice.replaces] * bool(choice.replaces) + choice.warnings
    fix = f"{before}{lead}: {choice.command}" + (f" ({'; '.join(extra)})" if extra else "")
    return {"fix": fix, "command": choice.command}


# --- findings ---------------------------------------------------------------------------------


def diagnose(machine: MachineInfo, environments: Sequence[Environment],
             installs: Sequence[InstallOption]) -> list[Diagnosis]:
    found = list(_machine(machine))
    for environment in environments:
        for report in environment.frameworks:
            found += _framework(machine, report, installs)
    unique = {(d.code, d.framework, d.python, d.message): d for d in found}
    return sorted(unique.values(), key=lambda d: _ORDER[d.severity])


def _machine(machine: MachineInfo) -> Iterator[Diagnosis]:
    nvidia = machine.nvidia
    if nvidia.status == "error":
        yield Diagnosis(severity="problem", code="nvidia-driver", message=f"NVIDIA driver: {nvidia.reason}",
                        fix=nvidia.hint)
    hidden = [g for g in nvidia.gpus if not g.visible]
    if hidden:
        value = machine.visible_devices.get("CUDA_VISIBLE_DEVICES", "")
        shown = len(nvidia.gpus) - len(hidden)
        what = "every GPU" if not shown else f"{len(hidden)} of {len(nvidia.gpus)} GPUs"
        yield Diagnosis(
            severity="problem" if not shown else "warning", code="visible-devices",
            message=f"CUDA_VISIBLE_DEVICES={value!r} hides {what} from both frameworks",
            fix="unset CUDA_VISIBLE_DEVICES, or list the GPUs to use by index or UUID (nvidia-smi -L); "
                "CUDA counts fastest first unless CUDA_DEVICE_ORDER=PCI_BUS_ID, so indices may not match nvidia-smi's",
        )
    for gpu in nvidia.gpus:
        if gpu.compute_capability and version_tuple(gpu.compute_capability) < (8, 0):
            yield Diagnosis(
                severity="info", code="bf16-emulated",
                message=f"{gpu.name} (compute capability {gpu.compute_capability}) has no native bf16: "
                        "bf16 runs emulated, slower than fp32",
                fix="use fp16 for mixed precision: torch.autocast('cuda', dtype=torch.float16), "
                    "or keras.mixed_precision.set_global_policy('mixed_float16')",
            )
    if machine.apple.rosetta:
        yield Diagnosis(
            severity="problem", code="rosetta",
            message="this Python runs under Rosetta (x86_64) on an Apple Silicon Mac: no Apple GPU, slower CPU code",
            fix="install an arm64 Python (python.org installer, or Homebrew under /opt/homebrew) "
                "and recreate the environment",
        )
    if machine.amd.gpus and not machine.amd.rocm_driver:
        yield Diagnosis(
            severity="warning", code="rocm-driver",
            message=f"AMD GPU found ({machine.amd.gpus[0]}) but the ROCm kernel interface /dev/kfd is missing",
            fix="install ROCm with AMD's amdgpu-install and add your user to the render and video groups",
        )


def _framework(machine: MachineInfo, report: FrameworkReport, installs: Sequence[InstallOption]) -> list[Diagnosis]:
    name = frameworks.title(report.framework)
    tag: dict[str, Any] = {"framework": report.framework, "python": report.python}
    known = frameworks.find(report.framework)
    probe_it = f"run `{report.python} -c \"import {known.module if known else report.framework}\"` to see"
    install = command_here(report.install_command, report.python, machine.os)  # for the probed interpreter
    if report.status == "missing":
        fix = f"install it: {install}" if install else ""
        return [Diagnosis(severity="info", code="not-installed", message=f"{name} is not installed for {report.python}",
                          fix=fix, command=install, **tag)]
    if report.status == "import-error":
        cuda_libraries = re.search(r"cud|cublas|nvidia|\.so|dll", report.reason, re.IGNORECASE)
        cause = "its CUDA libraries are missing or do not match; " if cuda_libraries else ""
        command = f": {install}" if install else ""
        return [Diagnosis(severity="problem", code="import-failed", message=f"{name} is installed but {report.reason}",
                          fix=f"{cause}reinstall it in a fresh virtual environment{command}",
                          command=install, **tag)]
    if report.status == "timeout":
        return [Diagnosis(severity="problem", code="timeout", message=f"probing {name} timed out: {report.reason}",
                          fix=f"{probe_it} where it hangs; if it is only slow, raise --timeout", **tag)]
    if report.status in ("crashed", "bad-output", "no-output"):
        last = f" (its last words: {report.stderr_tail[-1]})" if report.stderr_tail else ""
        return [Diagnosis(severity="problem", code=f"worker-{report.status}",
                          message=f"the {name} probe failed: {report.reason}{last}",
                          fix=f"{probe_it} the error", **tag)]
    if report.status != "ok":
        return []
    return [Diagnosis(**tag, **fields) for fields in _gpu_findings(machine, report, installs)]


def _gpu_findings(machine: MachineInfo, report: FrameworkReport, installs: Sequence[InstallOption]) -> Iterator[dict]:
    name, version = frameworks.title(report.framework), report.version or "?"
    flavour = report.build.flavour if report.build else "cpu"
    kinds = {d.kind for d in report.accelerators}
    visible = [g for g in machine.nvidia.gpus if g.visible]
    if visible and "cuda" not in kinds:
        yield from _nvidia_unused(machine, report, installs, len(visible))
    if visible and flavour == "cuda":
        yield from _no_kernels(machine, report, installs)
    if machine.amd.gpus and not machine.nvidia.gpus and "rocm" not in kinds and flavour != "rocm":
        choice = install_for(installs, report.framework, machine, report, "rocm")
        yield {"severity": "warning", "code": "cpu-only-build",
               "message": f"{name} {version} is a {report.build.label if report.build else 'CPU'} build; "
                          f"the AMD GPU ({machine.amd.gpus[0]}) needs a ROCm build",
               **_fix(choice if choice and choice.compute == "rocm" else None, "install the ROCm build", "")}
    if machine.apple.apple_silicon and not kinds and not machine.apple.rosetta:
        yield _apple_finding(machine, report)
    growth = report.memory_growth
    if growth is not None and growth.grabs_all_memory:
        known = frameworks.find(report.framework)
        yield {"severity": "warning", "code": "grabs-gpu-memory", "message": growth.detail,
               "fix": growth.fix or (known.memory.fix if known else "")}


def _nvidia_unused(machine: MachineInfo, report: FrameworkReport, installs: Sequence[InstallOption],
                   gpu_count: int) -> Iterator[dict]:
    name, version = frameworks.title(report.framework), report.version or "?"
    build = report.build
    flavour = build.flavour if build else "cpu"
    gpus = f"the driver reports {gpu_count} NVIDIA GPU(s)"
    too_new = _too_new(machine, report, installs)
    if too_new is not None:  # a CUDA build's own finding comes from _no_kernels
        yield from [too_new] if flavour != "cuda" else []
        return
    choice = install_for(installs, report.framework, machine, report, "cuda")
    if choice is not None and choice.compute != "cuda":
        choice = None
    cuda_command = choice.command if choice else None
    known = frameworks.find(report.framework)
    last = known.windows_gpu_last if known else ""
    if machine.os == "windows" and known is not None and not known.windows_gpu and (
            not last or version_tuple(version)[:2] > version_tuple(last)[:2]):
        ended = f": GPU support there ended with {name} {last}" if last else ": it reaches NVIDIA GPUs only in WSL2"
        pin = f", or pin {known.distributions[-1]}=={last}.*" if last else ""
        yield {"severity": "problem", "code": f"windows-native-{report.framework}",
               "message": f"{name} {version} cannot use the GPU on native Windows ({gpus}){ended}",
               "fix": f"use WSL2 ({cuda_command})" if cuda_command else f"use WSL2{pin}"}
        return
    if flavour != "cuda":
        label = build.label if build else "CPU-only"
        yield {"severity": "problem", "code": "cpu-only-build",
               "message": f"{name} {version} is a {label} build, but {gpus}",
               **_fix(choice, "install a CUDA build", "install a CUDA build of it")}
        return
    framework_cuda, driver_cuda = build.cuda if build else None, machine.nvidia.cuda_driver_version
    seen = f" ({report.accelerator_error})" if report.accelerator_error else ""
    if framework_cuda and driver_cuda and version_tuple(framework_cuda)[:2] > version_tuple(driver_cuda)[:2]:
        # within one major version, CUDA's minor-version compatibility often bridges the gap
        certain = version_tuple(framework_cuda)[0] > version_tuple(driver_cuda)[0]
        yield {"severity": "problem", "code": "cuda-driver-mismatch",
               "message": f"{name} {version} is built for CUDA {framework_cuda}, but the driver "
                          f"({machine.nvidia.driver_version}) supports CUDA up to {driver_cuda}"
                          f"{'' if certain else ', which can be why'}: {name} sees no GPU{seen}",
               **_fix(choice, f"install a {name} build this driver runs",
                      f"install a {name} build for CUDA {driver_cuda} or older",
                      before=f"update the NVIDIA driver to one that supports CUDA {framework_cuda}, or ")}
        return
    lead = known.gpu_not_found_fix if known else "reinstall the CUDA build"
    yield {"severity": "problem", "code": "gpu-not-found",
           "message": f"{name} {version} is built with CUDA {framework_cuda or '?'} and {gpus}, "
                      f"yet {name} sees none{seen}",
           **_fix(choice, lead, lead)}


def _no_kernels(machine: MachineInfo, report: FrameworkReport, installs: Sequence[InstallOption]) -> Iterator[dict]:
    """A CUDA build with no kernels for this GPU: the install table says which GPUs each CUDA build covers."""
    build, capability = report.build, oldest_capability(machine, report)
    if build is None or not build.cuda or not capability:
        return
    too_new = _too_new(machine, report, installs)
    if too_new is not None:
        yield too_new
        return
    needs = [o.min_compute_capability for o in installs if o.framework == report.framework and o.cuda
             and o.min_compute_capability and version_tuple(o.cuda)[:1] == version_tuple(build.cuda)[:1]]
    if not needs:
        return
    lowest = min(needs, key=version_tuple)
    if version_tuple(capability) < version_tuple(lowest):
        name = frameworks.title(report.framework)
        yield {"severity": "problem", "code": "gpu-too-old-for-build",
               "message": f"{name} {report.version} is built for CUDA {build.cuda}, whose builds have kernels for "
                          f"compute capability {lowest} and newer only; this GPU has {capability}",
               **_fix(install_for(installs, report.framework, machine, report, "cuda"),
                      "install a build with kernels for it", "")}


def _too_new(machine: MachineInfo, report: FrameworkReport, installs: Sequence[InstallOption]) -> dict | None:
    """The GPU is newer than every build of the framework's kind carries kernels for (TensorFlow's CUDA 12.5
    builds and sm_120, Blackwell); with the build that has them when another one does."""
    capability, build = oldest_capability(machine, report), report.build
    cuda = build.cuda if build is not None and build.flavour == "cuda" else None
    known = frameworks.find(report.framework)
    key = known.install_id if known else report.framework
    newest = newest_kernels(installs, key, machine.os if machine.os in ("linux", "windows") else None, cuda)
    if newest is None or not capability or at_most(capability, newest.max_compute_capability) is not False:
        return None
    name, version = frameworks.title(report.framework), report.version or "?"
    issue = f" ({newest.known_issue})" if newest.known_issue else ""
    gpu = f"compute capability {gpu_generation(capability)}, {sm_name(capability)}"
    what = (f"{name} {version} is built with CUDA {cuda} and has" if cuda else
            f"{name} {version} is a {build.label if build else 'CPU-only'} build, and no {name} CUDA build has any")
    choice = install_for(installs, report.framework, machine, report, "cuda")
    if choice is not None and choice.compute == "cuda":  # another build of it carries them
        fix = _fix(choice, "install a build with kernels for it", "")
    else:
        fix = {"fix": f"no {name} release has kernels for this GPU yet{issue}: run {name} on the CPU here"}
    return {"severity": "problem", "code": "gpu-too-new-for-build",
            "message": f"{what} {'kernels' if not cuda else 'no kernels'} for this GPU ({gpu}): the newest its CUDA "
                       f"{newest.cuda} builds carry is {newest.max_compute_capability}{issue}", **fix}


def _apple_finding(machine: MachineInfo, report: FrameworkReport) -> dict:
    """Why a framework leaves the Apple GPU unused, in its own registry entry's words."""
    known = frameworks.find(report.framework)
    apple = known.apple if known else frameworks.AppleGpu()
    name, version = frameworks.title(report.framework), report.version or "?"
    if apple.flavour:  # the framework carries the Apple GPU itself
        built = report.build is not None and report.build.flavour == apple.flavour
        macos = version_tuple(machine.apple.macos_version)
        if not built:
            cause, fix = apple.unbuilt, apple.install
        elif apple.min_macos and macos and macos < apple.min_macos:
            needed = ".".join(map(str, apple.min_macos)).removesuffix(".0")
            cause = (f"{name}'s {apple.device} device needs macOS {needed} or newer "
                     f"(this is {machine.apple.macos_version})")
            fix = "update macOS"
        else:
            cause = report.accelerator_error or f"its {apple.device} device is not available"
            fix = f"update macOS and {known.module if known else name}"
        return {"severity": "problem", "code": "apple-gpu-unused",
                "message": f"{name} cannot use the Apple GPU ({apple.device}) here: {cause}", "fix": fix}
    plugin = report.packages.get(apple.plugin) if apple.plugin else None
    if plugin:
        note = f" ({apple.plugin_note})" if apple.plugin_note else ""
        return {"severity": "warning", "code": "apple-gpu-unused",
                "message": f"{apple.plugin} {plugin} is installed but gives {name} {version} no GPU{note}",
                "fix": apple.fix}
    return {"severity": "info", "code": "apple-gpu-unused",
            "message": apple.absent or f"{name} has no Apple GPU support; it runs on the CPU here", "fix": apple.fix}
