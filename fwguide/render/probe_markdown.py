"""`probe-gpu --markdown`: a compact report to paste into a GitHub issue.

Every value sits beside where it came from (the OS, NVML or nvidia-smi, nvcc, or the
framework's own API), because the same CUDA number means different things from each: the
driver's newest CUDA, the system toolkit, and the CUDA a framework was built with.
"""

from __future__ import annotations

from fwguide import frameworks
from fwguide.probe.model import Environment, FrameworkReport, MachineInfo, ProbeReport

def _cell(text: object) -> str:
    """A value safe inside a Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|") or "-"


def _row(*cells: object) -> str:
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def _table(header: tuple[str, ...], rows: list[tuple[object, ...]]) -> list[str]:
    top = "| " + " | ".join(header) + " |"
    return [top, "|" + "---|" * len(header), *(_row(*r) for r in rows)]


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
    devices = "; ".join(f"{d.kind}:{d.index} {d.name}" + (f" (cc {d.compute_capability})" if d.compute_capability else "")
                        for d in report.accelerators) or "none"
    if report.accelerator_error:
        devices += f" ({report.accelerator_error})"
    return [report.version or "?", _distribution(report), build.label if build else "?", cuda, devices]


def _environment(environment: Environment) -> list[str]:
    labels = ("version", "distribution", "build", "bundled CUDA / cuDNN", "devices it sees")
    keys = ("version", "distribution", "build", "cuda", "devices")
    reports = environment.frameworks
    columns = [_column(r) for r in reports]
    known = [frameworks.find(r.framework) for r in reports if r.status == "ok"]
    rows = []
    for index, (label, key) in enumerate(zip(labels, keys)):
        sources = "; ".join(dict.fromkeys(f.source(key) for f in known if f is not None and f.source(key)))
        rows.append((label, *(column[index] for column in columns), sources or "-"))
    chosen = f"; {environment.chosen_by}" if environment.chosen_by else ""
    lines = [f"#### Python environment: `{environment.python}` (Python {environment.python_version or '?'}{chosen})", ""]
    lines += _table(("", *(frameworks.title(r.framework) for r in reports), "from"), rows)
    notes = sorted({r.cache_note for r in reports if r.cached and r.cache_note})
    if notes:
        lines += ["", f"Framework results {notes[-1]}."]
    return lines


def probe_markdown(report: ProbeReport) -> str:
    """The whole report as GitHub-flavoured Markdown."""
    host = getattr(report, "host", "")  # added to reports for `fwguide fleet`; older reports lack it
    heading = f"fwguide {report.fwguide_version} · probed {report.created}" + (f" · host `{host}`" if host else "")
    cached = f" ({report.machine.cache_note})" if report.machine.cache_note else ""
    lines = ["### `fwguide probe-gpu` report", "", heading, "", f"#### Machine{cached}", ""]
    lines += _table(("", "value", "from"), _machine_rows(report.machine))
    for environment in report.environments:
        lines += ["", *_environment(environment)]
    lines += ["", "#### Diagnosis", ""]
    if not report.diagnoses:
        lines.append("No problems found.")
    for diagnosis in report.diagnoses:
        who = f"{frameworks.title(diagnosis.framework)}: " if diagnosis.framework else ""
        fix = f" Fix: {diagnosis.fix_words}" if diagnosis.fix else ""
        fix += f" `{diagnosis.command}`" if diagnosis.command else ""
        lines.append(f"- **{diagnosis.severity}** {who}{' '.join(diagnosis.message.split())}.{fix}")
    return "\n".join(lines) + "\n"
