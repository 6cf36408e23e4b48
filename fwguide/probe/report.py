"""Turn what a worker said (or why it said nothing) into a FrameworkReport; add published peaks and the
capability matrix."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Sequence

import msgspec

from fwguide import frameworks
from fwguide.probe.diagnose import install_for
from fwguide.probe.model import (
    Capability,
    CapabilityCell,
    Environment,
    FrameworkReport,
    FrameworkStatus,
    MachineInfo,
    Matmul,
    ProbedFields,
    WorkerBench,
    WorkerDevice,
    WorkerMatmul,
    WorkerProbe,
)
from fwguide.rulebook.schema import DevicePeak, InstallOption


def now_iso() -> str:
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()


def cache_age(gathered_at: str, now: datetime.datetime | None = None) -> str:
    """How old a cached result is: "cached 12 min ago" ("cached" when its time cannot be read)."""
    try:
        then = datetime.datetime.fromisoformat(gathered_at)
    except ValueError:
        return "cached"
    now = now or datetime.datetime.now(datetime.timezone.utc)
    minutes = max(0, int((now - then).total_seconds() // 60))
    if minutes < 120:
        age = f"{minutes} min"
    elif minutes < 48 * 60:
        age = f"{minutes // 60} h"
    else:
        age = f"{minutes // (24 * 60)} days"
    return f"cached {age} ago"


def cache_note(gathered_at: str, now: datetime.datetime | None = None) -> str:
    """How old a cached result is, and how to get a fresh one: "cached 12 min ago; --refresh to probe again"."""
    return f"{cache_age(gathered_at, now)}; --refresh to probe again"


def _bench_device(devices: Sequence[WorkerDevice], label: str) -> WorkerDevice | None:
    """The probed device a benchmark label names: cuda:0, mps, cpu, /GPU:0, /CPU:0."""
    kind, _, index = label.strip("/").lower().replace(":", " ").partition(" ")
    wanted_cpu = kind == "cpu"
    candidates = [d for d in devices if (d.kind == "cpu") == wanted_cpu]
    number = int(index) if re.fullmatch(r"[0-9]{1,6}", index) else 0  # not isdigit(): "¹" passes it
    return next((d for d in candidates if d.index == number), candidates[0] if candidates else None)


def _device_name(device: WorkerDevice | None, machine: MachineInfo) -> str:
    if device is None:
        return "unknown device"
    if device.kind in ("mps", "gpu") and machine.apple.apple_silicon and machine.apple.chip:
        return f"{machine.apple.chip} GPU"
    return device.name


def from_probe(python: str, probe: WorkerProbe, machine: MachineInfo,
               installs: Sequence[InstallOption]) -> FrameworkReport:
    status: FrameworkStatus
    if not probe.installed:
        status, reason = "missing", f"{frameworks.title(probe.framework)} is not installed for {python}"
    elif probe.import_error:
        status, reason = "import-error", f"importing it failed: {probe.import_error}"
    else:
        status, reason = "ok", ""
    option = install_for(installs, probe.framework, machine) if status != "ok" else None
    command = option.command if option else None
    known = frameworks.find(probe.framework)
    if command is None and status != "ok" and known is not None:
        command = known.install_command or None  # the install table has no entry for it here
    found = {name: getattr(probe, name) for name in ProbedFields.__struct_fields__}  # carried over as the worker said
    return FrameworkReport(
        framework=probe.framework, python=python, status=status, reason=reason,
        python_version=probe.python.version, install_command=command,
        install_note=option.note if option else "", probed_at=now_iso(), **found,
    )


def add_bench(report: FrameworkReport, bench: WorkerBench, machine: MachineInfo,
              peaks: Sequence[DevicePeak]) -> FrameworkReport:
    results = []
    for measured in bench.results:
        device = _bench_device(report.devices, measured.device)
        is_cpu = device is None or device.kind == "cpu"
        results.append(with_peak(measured, _device_name(device, machine), peaks, is_cpu))
    status = "ok" if bench.error is None else f"stopped early: {bench.error}"
    return msgspec.structs.replace(report, bench=results, bench_status=status, tf32_note=bench.tf32_note)


def from_failure(python: str, framework: str, status: FrameworkStatus, reason: str,
                 stderr_tail: list[str]) -> FrameworkReport:
    """A framework whose worker gave no usable answer (timeout, crash, garbage, nothing)."""
    return FrameworkReport(framework=framework, python=python, status=status,
                           reason=reason, stderr_tail=stderr_tail, probed_at=now_iso())


# --- published peaks (rules/devices.yaml) beside measured matmul throughput -----------------

# A name that goes on with one of these words is another product: "RTX 4090 Laptop GPU", "RTX 3080 Ti".
VARIANT_WORDS = frozenset({"ti", "super", "d", "laptop", "mobile", "max-q", "pro", "max", "ultra"})


def _matches(pattern: str, name: str) -> bool:
    for found in re.finditer(re.escape(pattern.lower()), name):
        before, after = name[:found.start()], name[found.end():]
        if before[-1:].isalnum() or after[:1].isalnum():
            continue  # "L4" is not in "L40S"
        following = after.lstrip(" -_").split(" ")[0]
        if following not in VARIANT_WORDS:
            return True
    return False


def find_peak(devices: Sequence[DevicePeak], device_name: str) -> DevicePeak | None:
    """The entry whose longest `match` piece occurs in the name as whole words ("H100 PCIe" beats "H100")."""
    name = device_name.lower()
    best: DevicePeak | None = None
    best_length = 0
    for device in devices:
        for pattern in device.match:
            if len(pattern) > best_length and _matches(pattern, name):
                best, best_length = device, len(pattern)
    return best


def with_peak(measured: WorkerMatmul, device_name: str, devices: Sequence[DevicePeak], is_cpu: bool) -> Matmul:
    """The measurement, with the device's published peak for its precision and the share reached."""
    entry = None if is_cpu else find_peak(devices, device_name)
    peak = entry.peaks.get(measured.precision) if entry else None
    return Matmul(
        device=measured.device, device_name=device_name, precision=measured.precision, size=measured.size,
        sizes=measured.sizes, tflops_best=measured.tflops_best, tflops_median=measured.tflops_median,
        samples=measured.samples, peak_tflops=peak,
        share_of_peak=round(measured.tflops_best / peak, 4) if peak else None,
        peak_device=entry.name if entry else None,
    )


# --- the capability matrix: feature x framework, OK / NO / n/a with a one-line reason -------

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
        build = report.build.label if report.build else "CPU"
        return CapabilityCell(ok=False, reason=report.accelerator_error or f"sees no such GPU ({build} build)")
    return cell


def _bf16(machine: MachineInfo, report: FrameworkReport) -> CapabilityCell:
    accelerators = report.gpus
    if not accelerators:
        return CapabilityCell(ok=None, reason="no usable GPU")
    native = [d for d in accelerators if d.bf16]
    if native:
        return CapabilityCell(ok=True, reason=f"native on {native[0].name}")
    return CapabilityCell(ok=False, reason=f"emulated on {accelerators[0].name} (compute capability below 8.0)")


def _memory(machine: MachineInfo, report: FrameworkReport) -> CapabilityCell:
    """Whether it leaves room for other processes on the GPU: what its worker found, else what it does by default."""
    growth = report.memory_growth
    if growth is not None and growth.grabs_all_memory is not None:
        return CapabilityCell(ok=not growth.grabs_all_memory, reason=growth.detail)
    known = frameworks.find(report.framework)
    memory = known.memory if known else frameworks.Memory()
    if not report.gpus:
        return CapabilityCell(ok=None, reason=f"no usable GPU; by default: {memory.default}" if memory.default
                              else "no usable GPU")
    if memory.up_front is None:
        return CapabilityCell(ok=None, reason=growth.detail if growth else "its probe does not say")
    return CapabilityCell(ok=not memory.up_front, reason=memory.default)


FEATURES: list[tuple[str, Cell]] = [
    ("installed and imports", _imports),
    ("NVIDIA GPU (CUDA)", _gpu({"cuda"}, lambda m: bool(m.nvidia.gpus), "no NVIDIA GPU on this machine")),
    ("AMD GPU (ROCm)", _gpu({"rocm"}, lambda m: bool(m.amd.gpus), "no AMD GPU on this machine")),
    ("Apple GPU (Metal)", _gpu({"mps", "gpu"}, lambda m: m.apple.apple_silicon, "not an Apple Silicon Mac")),
    ("Google TPU", _gpu({"tpu"}, lambda m: False, "no TPU seen")),
    ("native bf16 on the GPU", _bf16),
    ("shares the GPU (memory on demand)", _memory),
]
SEEN_ONLY = {"Google TPU"}  # rows shown only where some framework sees such a device


def capabilities(machine: MachineInfo, environment: Environment) -> list[Capability]:
    matrix = []
    for feature, cell in FEATURES:
        if feature in SEEN_ONLY and not any(cell(machine, r).ok for r in environment.frameworks if r.status == "ok"):
            continue
        cells: dict[str, CapabilityCell | None] = {}
        for report in environment.frameworks:
            if feature != "installed and imports" and report.status != "ok":
                cells[report.framework] = CapabilityCell(ok=None, reason="not usable here")
            else:
                cells[report.framework] = cell(machine, report)
        matrix.append(Capability(feature=feature, frameworks=cells))
    return matrix
