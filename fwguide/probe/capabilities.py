"""The capability matrix: feature x framework, OK / NO / n/a with a one-line reason."""

from __future__ import annotations

from collections.abc import Callable

from fwguide.probe.model import Capability, CapabilityCell, Environment, FrameworkReport, MachineInfo

Cell = Callable[[MachineInfo, FrameworkReport], CapabilityCell]


def _imports(machine: MachineInfo, report: FrameworkReport) -> CapabilityCell:
    if report.status == "ok":
        return CapabilityCell(ok=True, reason=f"{report.version} ({report.build.label if report.build else '?'})")
    short = {"missing": "not installed", "import-error": "fails to import", "timeout": "probe timed out"}
    return CapabilityCell(ok=False, reason=short.get(report.status, f"probe failed ({report.status})"))


def _gpu(kinds: set[str], present: Callable[[MachineInfo], bool], absent: str) -> Cell:
    def cell(machine: MachineInfo, report: FrameworkReport) -> CapabilityCell:
        devices = [d for d in report.devices if d.kind in kinds]
        if devices:
            return CapabilityCell(ok=True, reason=f"{len(devices)} x {devices[0].name}")
        if not present(machine):
            return CapabilityCell(ok=None, reason=absent)
        return CapabilityCell(ok=False, reason=report.accelerator_error or f"sees no such GPU ({report.build.label if report.build else 'CPU'} build)")
    return cell


def _bf16(machine: MachineInfo, report: FrameworkReport) -> CapabilityCell:
    accelerators = report.accelerators
    if not accelerators:
        return CapabilityCell(ok=None, reason="no usable GPU")
    native = [d for d in accelerators if d.bf16]
    if native:
        return CapabilityCell(ok=True, reason=f"native on {native[0].name}")
    return CapabilityCell(ok=False, reason=f"emulated on {accelerators[0].name} (compute capability below 8.0)")


def _memory(machine: MachineInfo, report: FrameworkReport) -> CapabilityCell:
    growth = report.memory_growth
    if growth is not None and growth.grabs_all_memory is not None:
        if growth.grabs_all_memory:
            return CapabilityCell(ok=False, reason="reserves nearly all GPU memory (memory growth off)")
        return CapabilityCell(ok=True, reason="memory growth is on")
    if not report.accelerators:
        default = "; by default it would reserve it all" if growth is not None else ""
        return CapabilityCell(ok=None, reason=f"no usable GPU{default}")
    return CapabilityCell(ok=True, reason="caching allocator takes memory as needed")


FEATURES: list[tuple[str, Cell]] = [
    ("installed and imports", _imports),
    ("NVIDIA GPU (CUDA)", _gpu({"cuda"}, lambda m: bool(m.nvidia.gpus), "no NVIDIA GPU on this machine")),
    ("AMD GPU (ROCm)", _gpu({"rocm"}, lambda m: bool(m.amd.gpus), "no AMD GPU on this machine")),
    ("Apple GPU (Metal)", _gpu({"mps", "gpu"}, lambda m: m.apple.apple_silicon, "not an Apple Silicon Mac")),
    ("native bf16 on the GPU", _bf16),
    ("shares the GPU (memory on demand)", _memory),
]


def capabilities(machine: MachineInfo, environment: Environment) -> list[Capability]:
    matrix = []
    for feature, cell in FEATURES:
        cells = {}
        for name in ("pytorch", "tensorflow"):
            report = environment.framework(name)
            if report is None or (feature != "installed and imports" and report.status != "ok"):
                cells[name] = None if report is None else CapabilityCell(ok=None, reason="not usable here")
            else:
                cells[name] = cell(machine, report)
        matrix.append(Capability(feature=feature, **cells))
    return matrix
