"""Show a probe: live progress while it runs, then the report laid out as sections (fwguide.render.layout).

The sections are plain data drawn as aligned text in a pipe and as rich tables on a
terminal; rich is imported only for the terminal, so piped output stays greppable.

One vocabulary for what is absent: `none` (no GPU seen, no CUDA in the build), `n/a` with
the reason (a GPU-only property on a machine without one), `not installed` once per framework.
"""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import Any

from fwguide import frameworks
from fwguide.probe.model import CapabilityCell, Environment, FrameworkReport, MachineInfo, Matmul, ProbeReport
from fwguide.render.console import Terminal
from fwguide.render.layout import BLANK, INDENT, Block, Heading, Table, show, text

_RUNNING = ("probing", "waiting to benchmark", "benchmarking")
_STYLES = {"OK": "green", "NO": "red", "n/a": "dim", "none": "dim", "problem": "bold red", "warning": "yellow",
           "info": "cyan", "ok": "green", "hidden": "red", "reserved up front": "red", "not installed": "yellow"}
_NO_GPU = "n/a (no GPU)"


# --- layout ---------------------------------------------------------------------------------

def _gib(value: float | None) -> str:
    return f"{value:.1f} GiB" if value is not None else "?"


def _seconds(value: float | None) -> str:
    return f"{value:.2f} s" if value is not None else "?"


def _cell(cell: CapabilityCell | None) -> str:
    if cell is None:
        return "not probed"
    if cell.ok is None:
        return f"n/a ({cell.reason})" if cell.reason else "n/a"
    return f"{'OK' if cell.ok else 'NO'} {cell.reason}".rstrip()


def _machine(machine: MachineInfo) -> list[Table]:
    nvidia = machine.nvidia
    if nvidia.status == "ok":
        driver = (f"driver {nvidia.driver_version or '?'}, supports CUDA up to {nvidia.cuda_driver_version or '?'} "
                  f"(via {nvidia.source})")
    else:
        driver = nvidia.reason + (f" ({nvidia.hint})" if nvidia.hint else "")
    rows = [("OS", f"{machine.os_name} ({machine.arch})"),
            ("CPU", f"{machine.cpu}, {machine.cores or '?'} cores, {_gib(machine.ram_gib)} RAM"),
            ("NVIDIA", driver)]
    if machine.amd.gpus or machine.amd.rocm_driver:
        rocm = f", ROCm {machine.amd.rocm_version}" if machine.amd.rocm_version else ""
        rows.append(("AMD", (", ".join(machine.amd.gpus) or "no AMD GPU") + rocm))
    if machine.apple.apple_silicon:
        rosetta = " (Python under Rosetta)" if machine.apple.rosetta else ""
        rows.append(("Apple", (machine.apple.chip or "Apple Silicon") + rosetta))
    if machine.cuda_toolkit is not None:
        kit = machine.cuda_toolkit
        rows.append(("CUDA toolkit",
                     f"{kit.version} (nvcc at {kit.path}, found via {kit.source}; frameworks use their own CUDA)"))
    rows += [(name, repr(value)) for name, value in machine.visible_devices.items()]
    cached = f"; {machine.cache_note}" if machine.cache_note else ""
    sections = [Table(f"Machine (from the OS and the GPU driver, no framework involved{cached})", rows=rows,
                      marks=_STYLES)]
    if nvidia.gpus:
        header = ("#", "name", "memory", "compute capability", "CUDA sees it")
        sections.append(Table("GPUs the NVIDIA driver reports", header, [
            (str(g.index), g.name, _gib(g.memory_gib), g.compute_capability or "?", "yes" if g.visible else "hidden")
            for g in nvidia.gpus], marks=_STYLES))
    return sections


def _framework_column(report: FrameworkReport) -> list[str]:
    if report.status != "ok":
        if report.status == "missing":  # the diagnosis says how to install it: said once here, once there
            return ["not installed"] + [""] * 10
        return [report.status, report.reason] + [""] * 9
    build, growth = report.build, report.memory_growth
    accelerators = report.accelerators
    devices = "; ".join(f"{d.kind}:{d.index} {d.name}" + (f", {d.memory_gib:.1f} GiB" if d.memory_gib else "")
                        + (f", cc {d.compute_capability}" if d.compute_capability else "") for d in accelerators)
    word = {True: "native", False: "emulated", None: "?"}
    precisions = f"bf16 {word[accelerators[0].bf16]}, fp16 {word[accelerators[0].fp16]}" if accelerators else _NO_GPU
    memory = _NO_GPU if growth is None or growth.grabs_all_memory is None else (
        "reserved up front" if growth.grabs_all_memory else "on demand")
    cuda = f"{build.cuda or 'none'} / {build.cudnn or 'none'}" if build and (build.cuda or build.cudnn) else "none"
    return [
        "ok" + (" (cached)" if report.cached else ""), "", report.version or "?", build.label if build else "?",
        report.backend or "", cuda if build else "?",
        (devices or "none") + (f" ({report.accelerator_error})" if report.accelerator_error else ""),
        precisions, memory, _seconds(report.import_s), _seconds(report.device_init_s),
    ]


def _environment(environment: Environment) -> list[Table]:
    labels = ("status", "why", "version", "build", "default backend", "CUDA / cuDNN", "GPUs it sees", "bf16 / fp16",
              "GPU memory", "import time", "device init")
    columns = [_framework_column(r) for r in environment.frameworks]
    rows = [(label, *(column[i] for column in columns)) for i, label in enumerate(labels)
            if any(column[i] for column in columns)]
    names = [r.framework for r in environment.frameworks if r.status == "ok"]
    chosen = f"{environment.chosen_by}; " if environment.chosen_by else ""
    title = (f"Frameworks in {environment.python} ({chosen}Python {environment.python_version or '?'}), "
             "as each reports itself")
    tables = [Table(title, ("", *(frameworks.title(r.framework) for r in environment.frameworks)), rows, marks=_STYLES,
                    stack="columns")]
    if names:  # a framework that is not installed has no capabilities to list
        rows = [(c.feature, *(_cell(c.frameworks.get(n)) for n in names)) for c in environment.capabilities]
        # A feature that reads the same for every framework is said once, under the table.
        same = [row for row in rows if len(names) > 1 and len(set(row[1:])) == 1]
        tables.append(Table("Capabilities", ("feature", *(frameworks.title(n) for n in names)),
                            [row for row in rows if row not in same], marks=_STYLES,
                            notes=[f"{row[0]}: {row[1]} for every framework" for row in same]))
    return tables


def _diagnoses(report: ProbeReport) -> list[Block]:
    """Each finding with its fix; a fix's command on a line of its own, never wrapped, to copy whole."""
    blocks: list[Block] = [Heading("Diagnosis")]
    if not report.diagnoses:
        return blocks + [text(("No problems found.", "green"), indent=INDENT)]
    width = max(len(d.severity) for d in report.diagnoses) + 2
    for d in report.diagnoses:
        who = f"{frameworks.title(d.framework)}: " if d.framework else ""
        blocks.append(text(who + d.message, indent=INDENT, lead=(d.severity.ljust(width), _STYLES[d.severity])))
        if d.fix:
            blocks.append(text(d.fix_words, indent=INDENT + width, lead="fix: "))
        if d.command:
            blocks.append(text((d.command, "cyan"), indent=INDENT + width + 2, keep=True))
    return blocks


def _benchmark(report: ProbeReport) -> Table | None:
    reports = [r for e in report.environments for r in e.frameworks]
    measured = [(r, m) for r in reports for m in r.bench]
    sizes = {m.size for _, m in measured}
    rows = [(frameworks.title(r.framework), m.device_name, m.precision, f"{m.tflops_best:.3f}",
             f"{m.tflops_median:.3f}", *([str(m.size)] if len(sizes) > 1 else []),
             f"{m.peak_tflops:g} ({m.peak_device})" if m.peak_tflops else "none",
             f"{m.share_of_peak:.0%}" if m.share_of_peak is not None else "n/a")
            for r, m in measured]
    notes = sorted({r.tf32_note for r in reports if r.tf32_note})
    notes += [f"{frameworks.title(r.framework)}: benchmark {r.bench_status}" for r in reports
              if r.status == "ok" and r.bench_status not in ("ok", "skipped")]
    if not rows and not notes:
        return None
    notes += _peak_notes([m for _, m in measured])
    header = ("framework", "device", "dtype", "TFLOPS", "median", *(["n"] if len(sizes) > 1 else []), "peak", "share")
    shape = f"{next(iter(sizes))} x {next(iter(sizes))}" if len(sizes) == 1 else "n x n"
    return Table(f"Matmul benchmark, {shape} for every framework (best and median of timed batches)",
                 header, rows, notes)


def _on_cpu(matmul: Matmul) -> bool:
    return "cpu" in matmul.device.lower()


def _peak_notes(measured: list[Matmul]) -> list[str]:
    """Why a row has no share of peak, in terms a user can act on."""
    notes = []
    if any(m.peak_tflops is None and _on_cpu(m) for m in measured):
        notes.append("A CPU has no published peak to compare with, so its share is n/a.")
    unknown = sorted({m.device_name for m in measured if m.peak_tflops is None and not _on_cpu(m)})
    if unknown:
        notes.append(f"No published peak is known for {', '.join(unknown)}: compare its TFLOPS with the "
                     "vendor's data sheet (the share is n/a).")
    return notes


def sections(report: ProbeReport) -> list[Block]:
    laid_out: list[Table | list[Block]] = [*_machine(report.machine)]
    for environment in report.environments:
        laid_out += _environment(environment)
    laid_out.append(_diagnoses(report))
    bench = _benchmark(report)
    if bench is not None:
        laid_out.append(bench)
    cached = sorted({r.cache_note for e in report.environments for r in e.frameworks if r.cached and r.cache_note})
    if cached:
        laid_out.append(Table(notes=[f"Framework results from the cache ({cached[-1]})."]))
    blocks: list[Block] = []
    for section in laid_out:
        blocks += [*(section if isinstance(section, list) else [section]), BLANK]
    return blocks


def show_report(report: ProbeReport, terminal: Terminal) -> None:
    """The report as rich tables on a terminal, as aligned plain text anywhere else."""
    show(sections(report), terminal)


class ProgressView:
    """Per-framework states with a spinner on stderr, while the probe runs (for a terminal)."""

    def __init__(self) -> None:
        self._states: dict[str, str] = {}
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._live: Any = None  # rich.live.Live, imported only when shown

    def __enter__(self) -> ProgressView:
        from rich.console import Console
        from rich.live import Live

        self._live = Live(self._view(), console=Console(stderr=True), transient=True, refresh_per_second=8)
        self._live.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self._live.stop()

    def update(self, label: str, state: str) -> None:
        with self._lock:
            self._states[label] = state
            self._live.update(self._view())

    def _view(self) -> Any:
        from rich.spinner import Spinner
        from rich.table import Table
        from rich.text import Text

        grid = Table.grid(padding=(0, 1))
        grid.add_row(Spinner("dots"), Text(f"probing this machine ({time.monotonic() - self._started:.0f} s)"))
        for label, state in self._states.items():
            if state in _RUNNING:
                mark: Any = Spinner("dots")
            else:
                mark = Text("✓", style="green") if state in ("done", "cached") else Text("✗", style="red")
            grid.add_row(mark, Text(f"{label}: {state}"))
        return grid
