"""Turn what a worker said (or why it said nothing) into a FrameworkReport."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

import msgspec

from fwguide.probe.install import install_for
from fwguide.probe.model import FrameworkReport, MachineInfo, WorkerBench, WorkerDevice, WorkerProbe
from fwguide.probe.peaks import with_peak
from fwguide.rulebook.names import FRAMEWORK_TITLES
from fwguide.rulebook.schema import DevicePeak, InstallOption

DISPLAY_NAMES = FRAMEWORK_TITLES


def now_iso() -> str:
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()


def cache_note(gathered_at: str, now: datetime.datetime | None = None) -> str:
    """How old a cached result is, and how to get a fresh one: "cached 12 min ago; --refresh to probe again"."""
    try:
        then = datetime.datetime.fromisoformat(gathered_at)
    except ValueError:
        return "cached; --refresh to probe again"
    now = now or datetime.datetime.now(datetime.timezone.utc)
    minutes = max(0, int((now - then).total_seconds() // 60))
    if minutes < 120:
        age = f"{minutes} min"
    elif minutes < 48 * 60:
        age = f"{minutes // 60} h"
    else:
        age = f"{minutes // (24 * 60)} days"
    return f"cached {age} ago; --refresh to probe again"


def _bench_device(devices: Sequence[WorkerDevice], label: str) -> WorkerDevice | None:
    """The probed device a benchmark label names: cuda:0, mps, cpu, /GPU:0, /CPU:0."""
    kind, _, index = label.strip("/").lower().replace(":", " ").partition(" ")
    wanted_cpu = kind == "cpu"
    candidates = [d for d in devices if (d.kind == "cpu") == wanted_cpu]
    number = int(index) if index.isdigit() else 0
    return next((d for d in candidates if d.index == number), candidates[0] if candidates else None)


def _device_name(device: WorkerDevice | None, machine: MachineInfo) -> str:
    if device is None:
        return "unknown device"
    if device.kind in ("mps", "gpu") and machine.apple.apple_silicon and machine.apple.chip:
        return f"{machine.apple.chip} GPU"
    return device.name


def from_probe(python: str, probe: WorkerProbe, machine: MachineInfo, installs: Sequence[InstallOption]) -> FrameworkReport:
    if not probe.installed:
        status, reason = "missing", f"{DISPLAY_NAMES[probe.framework]} is not installed for {python}"
    elif probe.import_error:
        status, reason = "import-error", f"importing it failed: {probe.import_error}"
    else:
        status, reason = "ok", ""
    option = install_for(installs, probe.framework, machine) if status != "ok" else None
    return FrameworkReport(
        framework=probe.framework, python=python, status=status, reason=reason,  # type: ignore[arg-type]
        python_version=probe.python.version, version=probe.version, build=probe.build, devices=probe.devices,
        accelerator_error=probe.accelerator_error, memory_growth=probe.memory_growth, tf32_default=probe.tf32_default,
        packages=probe.packages, env=probe.env, warnings=probe.warnings, import_s=probe.import_s,
        device_init_s=probe.device_init_s, install_command=option.command if option else None,
        install_note=option.note if option else "", probed_at=now_iso(),
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


def from_failure(python: str, framework: str, status: str, reason: str, stderr_tail: list[str]) -> FrameworkReport:
    """A framework whose worker gave no usable answer (timeout, crash, garbage, nothing)."""
    return FrameworkReport(framework=framework, python=python, status=status,  # type: ignore[arg-type]
                           reason=reason, stderr_tail=stderr_tail, probed_at=now_iso())
