"""`probe-gpu --markdown`: a compact report to paste into a GitHub issue.

Every value sits beside where it came from (the OS, NVML or nvidia-smi, nvcc, or the
framework's own API), because the same CUDA number means different things from each: the
driver's newest CUDA, the system toolkit, and the CUDA a framework was built with.
"""

from __future__ import annotations

from collections.abc import Sequence

from fwguide import frameworks
from fwguide.probe.model import Environment, FrameworkReport, MachineInfo, ProbeReport
from fwguide.probe.report import cache_age
from fwguide.render.layout import Block, Heading, Table, text


def _table(header: tuple[str, ...], rows: Sequence[tuple[object, ...]]) -> Table:
    return Table(header=header, rows=[tuple(str(c) for c in row) for row in rows])


def _machine_rows(machine: MachineInfo) -> list[tuple[object, ...]]:
    nvidia = machine.nvidia
    rows: list[tuple[object, ...]] = [
        ("OS", f"{machine.os_name} ({machine.arch})", "platform" + (", WSL2" if machine.wsl else "")),
        ("CPU", f"{machine.cpu}, {machine.cores or '?'} cores, "
                f"{machine.ram_gib if machine.ram_gib is not None else '?'} GiB RAM", "OS"),
    ]
    if nvidia.status == "ok":
        rows += [("NVIDIA driver", nvidia.driver_version or "?", nvidia.source),
                 ("driver's newest CUDA", nvidia.cuda_driver_version or "?", nvidia.source)]
        for gpu in nvidia.gpus:
            memory = f", {gpu.memory_gib:.1f} GiB" if gpu.memory_gib is not None else ""
            hidden = "" if gpu.visible else " (hidden by CUDA_VISIBLE_DEVICES)"
            rows.append((f"GPU {gpu.index}", f"{gpu.name}{memory}, compute capability "
                                             f"{gpu.compute_capability or '?'}{hidden}", nvidia.source))
    else:
        rows.append(("NVIDIA driver", f"{nvidia.reason}", nvidia.source or "NVML, nvidia-smi"))
    kit = machine.cuda_toolkit
    rows.append(("system CUDA toolkit", f"{kit.version} ({kit.path})" if kit else "none found",
                 f"nvcc --version, found via {kit.source}" if kit else "nvcc on PATH, CUDA_HOME, CUDA_PATH"))
    if machine.amd.gpus or machine.amd.rocm_driver:
        rows.append(("AMD GPUs", ", ".join(machine.amd.gpus) or "none", "/sys/class/drm"))
        rows.append(("ROCm", machine.amd.rocm_version or "?", "/opt/rocm/.info/version, /dev/kfd"))
    if machine.apple.apple_silicon:
        rosetta = " (this Python runs under Rosetta)" if machine.apple.rosetta else ""
        rows.append(("Apple chip", f"{machine.apple.chip or 'Apple Silicon'}{rosetta}", "sysctl"))
    rows += [(name, value, "environment") for name, value in machine.visible_devices.items()]
    return rows


def _distribution(report: FrameworkReport) -> str:
    known = frameworks.find(report.framework)
    names = known.distributions if known else ()
    found = [f"{n} {report.packages[n]}" for n in names if n in report.packages]
    return ", ".join(found) or "-"


def _column(report: FrameworkReport) -> list[str]:
    if report.status != "ok":
        state = "not installed" if report.status == "missing" else f"{report.status}: {report.reason}"
        return [state, "-", "-", "-", "-"]
    build = report.build
    cuda = f"{build.cuda or 'none'} / {build.cudnn or 'none'}" if build and (build.cuda or build.cudnn) else "none"
    devices = "; ".join(f"{d.kind}:{d.index} {d.name}"
                        + (f" (cc {d.compute_capability})" if d.compute_capability else "")
                        for d in report.accelerators) or "none"
    if report.accelerator_error:
        devices += f" ({report.accelerator_error})"
    return [report.version or "?", _distribution(report), build.label if build else "?", cuda, devices]


def _environment(environment: Environment) -> list[Block]:
    labels = ("version", "distribution", "build", "bundled CUDA / cuDNN", "devices it sees")
    keys = ("version", "distribution", "build", "cuda", "devices")
    reports = environment.frameworks
    columns = [_column(r) for r in reports]
    known = [frameworks.find(r.framework) for r in reports if r.status == "ok"]
    rows = []
    for index, (label, key) in enumerate(zip(labels, keys, strict=True)):
        sources = "; ".join(dict.fromkeys(f.source(key) for f in known if f is not None and f.source(key)))
        rows.append((label, *(column[index] for column in columns), sources or "-"))
    chosen = f"; {environment.chosen_by}" if environment.chosen_by else ""
    blocks: list[Block] = [
        Heading(f"Python environment: {environment.python} (Python {environment.python_version or '?'}{chosen})",
                level=4),
        _table(("", *(frameworks.title(r.framework) for r in reports), "from"), rows)]
    # Only how old, never the advice to the person who ran it ("--refresh"): a pasted report has no reader to act.
    oldest = min((r.probed_at for r in reports if r.cached), default=None)
    if oldest is not None:
        blocks.append(text(f"Framework results {cache_age(oldest)}."))
    return blocks


def markdown_blocks(report: ProbeReport) -> list[Block]:
    """The whole report for `--markdown`: a compact form to paste into a GitHub issue."""
    host = f" · host {report.host}" if report.host else ""
    heading = f"fwguide {report.fwguide_version} · probed {report.created}{host}"
    cached = f" ({cache_age(report.machine.examined_at)})" if report.machine.cache_note else ""
    blocks: list[Block] = [Heading("fwguide probe-gpu report", level=3), text(heading),
                           Heading(f"Machine{cached}", level=4),
                           _table(("", "value", "from"), _machine_rows(report.machine))]
    for environment in report.environments:
        blocks += _environment(environment)
    blocks.append(Heading("Diagnosis", level=4))
    if not report.diagnoses:
        blocks.append(text("No problems found."))
    for diagnosis in report.diagnoses:
        who = f"{frameworks.title(diagnosis.framework)}: " if diagnosis.framework else ""
        fix = f" Fix: {diagnosis.fix_words}" if diagnosis.fix else ""
        blocks.append(text((diagnosis.severity, "bold"), f" {who}{diagnosis.message}.{fix}", lead="- "))
        if diagnosis.command:
            blocks.append(text(diagnosis.command, keep=True, indent=2))
    return blocks
