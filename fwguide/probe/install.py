"""Pick the install command for a framework on this machine from the rulebook's install table."""

from __future__ import annotations

from collections.abc import Sequence

from fwguide.probe.model import MachineInfo
from fwguide.rulebook.lookup import install_cell
from fwguide.rulebook.schema import Compute, InstallOption


def best_compute(machine: MachineInfo) -> Compute:
    """The compute platform this machine's hardware calls for."""
    if machine.nvidia.gpus:
        return "cuda"
    if machine.amd.gpus and machine.amd.rocm_driver:
        return "rocm"
    if machine.apple.apple_silicon:
        return "mps"
    return "cpu"


def install_option(options: Sequence[InstallOption], framework: str, machine: MachineInfo,
                   compute: Compute | None = None) -> InstallOption | None:
    """The table's cell for (framework, OS, compute), falling back to the CPU cell as the table promises."""
    os_name = machine.os if machine.os in ("linux", "windows", "macos") else "linux"
    return install_cell(options, framework, os_name, compute or best_compute(machine))
