"""What the probe found, in the install table's terms: this machine, the build installed, the interpreter pip reaches.

Everything here is read from the probe's report except one fact that belongs to the shell that
runs fwguide now, not to the (cached) report: which interpreter the `pip` first on PATH
installs into (`pip_runs_here`), read from that launcher's first lines.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
from collections.abc import Sequence

import msgspec

from fwguide import frameworks
from fwguide.install import (
    EnvironmentFacts,
    InstallChoice,
    InstalledBuild,
    MachineFacts,
    choose_install,
    for_interpreter,
    version_tuple,
)
from fwguide.probe.model import Environment, FrameworkReport, MachineInfo
from fwguide.rulebook.schema import Compute, InstallOption

_ARCH = {"amd64": "x86_64", "x86_64": "x86_64", "x64": "x86_64", "arm64": "arm64", "aarch64": "arm64"}
# pip writes a /bin/sh trampoline instead of a shebang when the interpreter's path is too long for one
_TRAMPOLINE = re.compile(r"""^'''exec' "?([^"]+?)"? "\$0" "\$@"$""", re.MULTILINE)


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
    known = frameworks.find(report.framework)
    names = known.distributions if known else ()
    package = next((n for n in names if n in report.packages), names[-1] if names else report.framework)
    build = report.build
    return InstalledBuild(package=package, version=report.version or "", flavour=build.flavour if build else "",
                          cuda=build.cuda if build else None, sees=tuple(sorted({d.kind for d in report.accelerators})),
                          works=report.status == "ok")


def machine_facts(machine: MachineInfo, reports: Sequence[FrameworkReport] = ()) -> MachineFacts:
    """The machine as the install table sees it; `reports` add the devices the frameworks found."""
    seen = {d.kind for r in reports if r.status == "ok" for d in r.accelerators}
    platforms = {"cpu"}
    if machine.nvidia.gpus or "cuda" in seen:
        platforms.add("cuda")
    if (machine.amd.gpus and machine.amd.rocm_driver) or "rocm" in seen:
        platforms.add("rocm")
    if (machine.apple.apple_silicon and not machine.apple.rosetta) or "mps" in seen:
        platforms.add("mps")
    if "tpu" in seen:
        platforms.add("tpu")
    missing = {}
    if machine.nvidia.status == "error":
        missing["cuda"] = f"NVIDIA driver: {machine.nvidia.reason}"
    if machine.amd.gpus and not machine.amd.rocm_driver:
        missing["rocm"] = f"{machine.amd.gpus[0]} without the ROCm kernel interface /dev/kfd"
    report = next((r for r in reports if r.status == "ok"), None)
    return MachineFacts(
        os=machine.os, arch=_arch(machine),
        cuda_driver=machine.nvidia.cuda_driver_version if machine.nvidia.status == "ok" else None,
        compute_capability=oldest_capability(machine, report), rocm_version=machine.amd.rocm_version,
        macos_version=machine.apple.macos_version, platforms=frozenset(platforms), missing=missing,
    )


@functools.lru_cache(maxsize=8)
def _pip_launcher_python(pip: str) -> str | None:
    """The interpreter a pip launcher runs: its shebang, or the trampoline pip writes for long paths."""
    try:
        with open(pip, "rb") as file:
            head = file.read(1024).decode("utf-8", "replace")
    except OSError:
        return None
    first, _, rest = head.partition("\n")
    if not first.startswith("#!"):
        return None
    words = first[2:].split()
    if not words:
        return None
    if os.path.basename(words[0]) == "env" and len(words) > 1:  # #!/usr/bin/env python3
        return shutil.which(words[1])
    if os.path.basename(words[0]) == "sh":
        found = _TRAMPOLINE.search(rest)
        return found.group(1) if found else None
    return words[0]


def _same_interpreter(a: str, b: str) -> bool:
    """One interpreter: the same folder (a venv is its folder) and the same binary behind the links."""
    try:
        return os.path.samefile(os.path.dirname(a), os.path.dirname(b)) and os.path.samefile(a, b)
    except OSError:
        return False


def pip_runs_here(python: str) -> bool | None:
    """Whether the `pip` first on PATH installs into `python`: False also when there is no pip or it cannot be
    told where it installs; None when `python` is not on this machine (a report from elsewhere)."""
    if not os.path.exists(python):
        return None
    pip = shutil.which("pip")
    if pip is None:
        return False
    target = _pip_launcher_python(pip)
    if target is None:  # a Windows pip.exe: it belongs to the interpreter in or above its Scripts folder
        folder = os.path.dirname(pip)
        target = next((c for c in (os.path.join(folder, "python.exe"), os.path.join(folder, "..", "python.exe"))
                       if os.path.exists(c)), None)
    return target is not None and _same_interpreter(target, python)


def environment_facts(environment: Environment, framework: str) -> EnvironmentFacts:
    """The probed environment as the next step needs it: its interpreter, whether plain `pip` reaches it, the build."""
    return EnvironmentFacts(python=environment.python, pip_runs_here=pip_runs_here(environment.python),
                            installed=installed_build(environment.framework(framework)))


def install_for(options: Sequence[InstallOption], framework: str, machine: MachineInfo,
                report: FrameworkReport | None = None, compute: Compute | None = None) -> InstallChoice | None:
    """The install command for `framework` on this machine (for `compute`, default what the hardware calls for).

    With `report`, the command replaces the build it found and is written for its interpreter.
    """
    known = frameworks.find(framework)
    facts = machine_facts(machine, [report] if report is not None else [])
    choice = choose_install(
        options, known.install_id if known else framework, os=machine.os, compute=compute or best_compute(machine),
        arch=facts.arch, cuda_driver=facts.cuda_driver, compute_capability=facts.compute_capability,
        rocm_version=facts.rocm_version, macos_version=facts.macos_version, installed=installed_build(report),
    )
    if choice is None or report is None or choice.command is None:
        return choice
    return here(choice, report.python, machine.os)


def here(choice: InstallChoice, python: str, os_name: str) -> InstallChoice:
    """`choice` written for the interpreter `python` of this machine."""
    command = for_interpreter(choice.command or "", python, pip_runs_here(python), os_name)
    return msgspec.structs.replace(choice, command=command, python=python)


def command_here(command: str | None, python: str, os_name: str) -> str:
    """A bare install command (a report's) written for the interpreter `python` of this machine."""
    return for_interpreter(command, python, pip_runs_here(python), os_name) if command else ""
