"""The next step for this machine and this environment, from plain facts about both.

Pure. Three cases (docs/design.md, `next_step`):
- the answers name hardware the probe did not find here (or another OS): the command is for the
  training machine, chosen from the answers alone, and never removes or replaces a build here;
- the framework is already installed here in a build that suits the answers: no command;
- otherwise the command fits this machine (driver, GPU generation, what is installed) and names
  the probed interpreter (`PYTHON -m pip`) when the `pip` first on PATH installs elsewhere.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence

import msgspec

from fwguide import frameworks
from fwguide.install.choice import InstallChoice, InstalledBuild, build_words, choose_install, covers
from fwguide.rulebook.schema import Compute, InstallOption

__all__ = ["EnvironmentFacts", "MachineFacts", "for_interpreter", "next_step"]

ELSEWHERE = "the training machine was not probed"
_MISSING = {"cuda": "no NVIDIA GPU", "rocm": "no AMD GPU with ROCm", "mps": "no Apple Silicon GPU"}
_OS = {"linux": "Linux", "windows": "Windows", "macos": "macOS"}


class MachineFacts(msgspec.Struct, frozen=True, kw_only=True):
    """What the probe found on this machine; every field but `os` may be unknown (None)."""

    os: str
    arch: str | None = None
    cuda_driver: str | None = None  # the newest CUDA the NVIDIA driver supports
    compute_capability: str | None = None  # of the oldest GPU in use
    rocm_version: str | None = None
    macos_version: str | None = None
    platforms: frozenset[str] = frozenset({"cpu"})  # the compute platforms it has: cpu, cuda, rocm, mps
    missing: dict[str, str] = {}  # why a platform is absent, when the probe said: {"cuda": "NVIDIA driver: ..."}


class EnvironmentFacts(msgspec.Struct, frozen=True, kw_only=True):
    """The probed Python environment."""

    python: str  # its interpreter
    pip_runs_here: bool | None  # the `pip` first on PATH installs into this interpreter (None: cannot be told)
    installed: InstalledBuild | None = None  # the framework's build there; None when it is not installed


def _shell_word(path: str, os_name: str) -> str:
    if os_name == "windows":
        return f'"{path}"' if re.search(r'[\s&()^%!"]', path) else path
    return shlex.quote(path)


def for_interpreter(command: str, python: str, pip_runs_here: bool | None, os_name: str) -> str:
    """`command` with every `pip` it starts run as `PYTHON -m pip`, unless the `pip` on PATH installs into `python`
    (or that cannot be told: `pip_runs_here` None keeps the plain form)."""
    if pip_runs_here is not False:
        return command
    launcher = f"{_shell_word(python, os_name)} -m pip "
    return re.sub(r"(^|&& )pip ", lambda found: found.group(1) + launcher, command)


def _suits(table: Sequence[InstallOption], framework: str, installed: InstalledBuild | None, compute: Compute,
           capability: str | None) -> bool:
    """Whether the installed build already does what the answers ask of it on this machine."""
    if installed is None or not installed.works:
        return False
    if compute == "cpu":  # every build runs on the CPU
        return True
    if installed.flavour != compute or not ({compute, "gpu"} & set(installed.sees)):
        return False
    return compute != "cuda" or covers(table, framework, installed.cuda, capability)


def _installed_words(installed: InstalledBuild, framework: str) -> str:
    """'PyTorch 2.13.0 (CPU)'."""
    words = "CPU" if installed.flavour == "cpu" else build_words(installed)
    build = f" ({words})" if words else ""
    return f"{frameworks.title(framework)} {installed.version.split('+')[0]}{build}"


def _training_machine(choice: InstallChoice, wanted: Compute, machine: MachineFacts, answered_os: str,
                      installed: InstalledBuild | None) -> InstallChoice:
    if wanted == "tpu":
        why = "a Cloud TPU is reached through its own VM, never this machine"
    elif machine.os != answered_os:
        why = f"the answers describe a {_OS.get(answered_os, answered_os)} machine and this one runs " \
              f"{_OS.get(machine.os, machine.os)}"
    else:
        found = machine.missing.get(wanted)
        why = f"the probe found {_MISSING.get(wanted, wanted)} here" + (f" ({found})" if found else "")
    kept = f" {_installed_words(installed, choice.framework)} here stays as it is." if installed else ""
    situation = f"For the training machine: {why}, so run this there.{kept}"
    return msgspec.structs.replace(choice, where="training-machine", python=None, situation=situation,
                                   note=f"{situation} {choice.note}".strip())


def next_step(table: Sequence[InstallOption], framework: str, *, os: str, compute: Compute,
              machine: MachineFacts | None = None, environment: EnvironmentFacts | None = None) -> InstallChoice | None:
    """The install step for `framework` on the answered OS and compute platform, fitted to what was probed.

    Without `machine` and `environment` (no probe) nothing is known of this machine: the command
    comes from the answers, with what it assumed. None only when the table has no entry at all.
    """
    if machine is None or environment is None:
        return choose_install(table, framework, os=os, compute=compute)
    installed = environment.installed
    if machine.os != os or (compute != "cpu" and compute not in machine.platforms):
        answered = choose_install(table, framework, os=os, compute=compute, unprobed=ELSEWHERE)
        return _training_machine(answered, compute, machine, os, installed) if answered else None
    choice = choose_install(table, framework, os=machine.os, compute=compute, arch=machine.arch,
                            cuda_driver=machine.cuda_driver, compute_capability=machine.compute_capability,
                            rocm_version=machine.rocm_version, macos_version=machine.macos_version,
                            installed=installed)
    if choice is None:
        return None
    python = environment.python
    if installed is not None and _suits(table, framework, installed, choice.compute, machine.compute_capability):
        return msgspec.structs.replace(
            choice, command=None, installed=True, python=python, because=[], assumed=[], warnings=[], replaces="",
            note=f"{_installed_words(installed, framework)} is already installed in {python}: nothing to install.")
    command = for_interpreter(choice.command or "", python, environment.pip_runs_here, machine.os)
    return msgspec.structs.replace(choice, command=command, python=python)
