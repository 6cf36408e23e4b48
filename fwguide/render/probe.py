"""Show a probe: live progress while it runs, then the report as rich tables (terminal) or plain text (pipes).

The report is first laid out as plain sections (title, header, rows, notes); two small
backends draw them. rich is imported only by the terminal backend, so piped output
stays greppable and the command stays at start-up speed.
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from fwguide.probe.model import CapabilityCell, Environment, FrameworkReport, MachineInfo, ProbeReport
from fwguide.rulebook.names import FRAMEWORK_TITLES

NAMES = FRAMEWORK_TITLES
_RUNNING = ("probing", "waiting to benchmark", "benchmarking")
_STYLES = {"OK": "green", "NO": "red", "n/a": "dim", "problem": "bold red", "warning": "yellow", "info": "cyan",
           "ok": "green", "hidden": "red", "grabs all": "red"}


@dataclass(frozen=True)
class Section:
    title: str
    header: tuple[str, ...] = ()  # no header: rows are label / value pairs
    rows: list[tuple[str, ...]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    notes_style: str = "dim"


# --- layout ---------------------------------------------------------------------------------

def _gib(value: float | None) -> str:
    return f"{value:.1f} GiB" if value is not None else "?"


def _seconds(value: float | None) -> str:
    return f"{value:.2f} s" if value is not None else "-"


def _cell(cell: CapabilityCell | None) -> str:
    if cell is None:
        return "not probed"
    return f"{ {True: 'OK', False: 'NO', None: 'n/a'}[cell.ok]} {cell.reason}"


def _machine(machine: MachineInfo) -> list[Section]:
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
        rows.append(("Apple", (machine.apple.chip or "Apple Silicon") + (" (Python under Rosetta)" if machine.apple.rosetta else "")))
    if machine.cuda_toolkit is not None:
        kit = machine.cuda_toolkit
        rows.append(("CUDA toolkit", f"{kit.version} (nvcc at {kit.path}, found via {kit.source}; frameworks use their own CUDA)"))
    rows += [(name, repr(value)) for name, value in machine.visible_devices.items()]
    cached = f"; {machine.cache_note}" if machine.cache_note else ""
    sections = [Section(f"Machine (from the OS and the GPU driver, no framework involved{cached})", rows=rows)]
    if nvidia.gpus:
        sections.append(Section("GPUs the NVIDIA driver reports", ("#", "name", "memory", "compute capability", "CUDA sees it"), [
            (str(g.index), g.name, _gib(g.memory_gib), g.compute_capability or "?", "yes" if g.visible else "hidden")
            for g in nvidia.gpus]))
    return sections


def _framework_column(report: FrameworkReport) -> list[str]:
    if report.status != "ok":
        install = f"; install: {report.install_command}" if report.install_command else ""
        return [{"missing": "not installed"}.get(report.status, report.status), report.reason + install] + [""] * 8
    build, growth = report.build, report.memory_growth
    accelerators = report.accelerators
    devices = "; ".join(f"{d.kind}:{d.index} {d.name}" + (f", {d.memory_gib:.1f} GiB" if d.memory_gib else "")
                        + (f", cc {d.compute_capability}" if d.compute_capability else "") for d in accelerators)
    word = {True: "native", False: "emulated", None: "?"}
    precisions = f"bf16 {word[accelerators[0].bf16]}, fp16 {word[accelerators[0].fp16]}" if accelerators else "-"
    memory = "-" if growth is None else {True: "grabs all", False: "on demand", None: "no GPU"}[growth.grabs_all_memory]
    return [
        "ok" + (" (cached)" if report.cached else ""), "", report.version or "?", build.label if build else "?",
        f"{build.cuda or '-'} / {build.cudnn or '-'}" if build else "-",
        (devices or "CPU only") + (f" ({report.accelerator_error})" if report.accelerator_error else ""),
        precisions, memory, _seconds(report.import_s), _seconds(report.device_init_s),
    ]


def _environment(environment: Environment) -> list[Section]:
    labels = ("status", "why", "version", "build", "CUDA / cuDNN", "GPUs it sees", "bf16 / fp16", "GPU memory",
              "import time", "device init")
    columns = [_framework_column(r) for r in environment.frameworks]
    rows = [(label, *(column[i] for column in columns)) for i, label in enumerate(labels)
            if any(column[i] for column in columns)]
    names = [n for n in ("pytorch", "tensorflow") if environment.framework(n) is not None]
    chosen = f"{environment.chosen_by}; " if environment.chosen_by else ""
    title = (f"Frameworks in {environment.python} ({chosen}Python {environment.python_version or '?'}), "
             "as each reports itself")
    return [
        Section(title, ("", *(NAMES[r.framework] for r in environment.frameworks)), rows),
        Section("Capabilities", ("feature", *(NAMES[n] for n in names)),
                [(c.feature, *(_cell(getattr(c, n)) for n in names)) for c in environment.capabilities]),
    ]


def _diagnoses(report: ProbeReport) -> Section:
    rows = []
    for d in report.diagnoses:
        who = f"{NAMES[d.framework]}: " if d.framework else ""
        rows.append((d.severity, who + d.message + (f"\nfix: {d.fix}" if d.fix else "")))
    return Section("Diagnosis", rows=rows, notes=[] if rows else ["No problems found."], notes_style="green")


def _benchmark(report: ProbeReport) -> Section | None:
    frameworks = [r for e in report.environments for r in e.frameworks]
    rows = [(NAMES[r.framework], m.device_name, m.precision, f"{m.tflops_best:.3f}", f"{m.tflops_median:.3f}", str(m.size),
             f"{m.peak_tflops:g} ({m.peak_device})" if m.peak_tflops else "-",
             f"{m.share_of_peak:.0%}" if m.share_of_peak is not None else "-")
            for r in frameworks for m in r.bench]
    notes = sorted({r.tf32_note for r in frameworks if r.tf32_note})
    notes += [f"{NAMES[r.framework]}: benchmark {r.bench_status}" for r in frameworks
              if r.status == "ok" and r.bench_status not in ("ok", "skipped")]
    if not rows and not notes:
        return None
    if any(row[6] == "-" for row in rows):
        notes.append("no share is shown for a CPU or for a device without a published peak in rules/devices.yaml")
    header = ("framework", "device", "dtype", "TFLOPS", "median", "n", "peak", "share")
    return Section("Matmul benchmark (n x n; best and median of timed batches)", header, rows, notes)


def sections(report: ProbeReport) -> list[Section]:
    laid_out = _machine(report.machine)
    for environment in report.environments:
        laid_out += _environment(environment)
    laid_out.append(_diagnoses(report))
    bench = _benchmark(report)
    if bench is not None:
        laid_out.append(bench)
    cached = sorted({r.cache_note for e in report.environments for r in e.frameworks if r.cached and r.cache_note})
    if cached:
        laid_out.append(Section("", notes=[f"Framework results from the cache ({cached[-1]})."]))
    return laid_out


# --- drawing ----------------------------------------------------------------------------------

def _plain(section: Section) -> list[str]:
    lines = [section.title] if section.title else []
    rows = [section.header, *section.rows] if section.header else section.rows
    flat = [tuple(cell.replace("\n", "; ") for cell in row) for row in rows]
    if flat:
        widths = [max(len(row[i]) for row in flat) for i in range(len(flat[0]))]
        lines += ["  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in flat]
    return lines + [f"  {note}" for note in section.notes] + [""]


def _styled(text: str) -> Any:
    from rich.text import Text

    word = next((w for w in _STYLES if text == w or text.startswith(w + " ")), None)
    styled = Text(text)
    if word is not None:
        styled.stylize(_STYLES[word], 0, len(word))
    return styled


def _rich(section: Section) -> list[Any]:
    from rich.table import Table
    from rich.text import Text

    parts: list[Any] = [Text(section.title, style="bold underline")] if section.title else []
    if section.rows:
        table = Table(show_header=bool(section.header)) if section.header else Table.grid(padding=(0, 2))
        for index, name in enumerate(section.header or ("", "")):
            table.add_column(name, style="bold" if not section.header and index == 0 else None)
        for row in section.rows:
            table.add_row(*(_styled(cell) for cell in row))
        parts.append(table)
    parts += [Text(note, style=section.notes_style) for note in section.notes]
    return parts


def show_report(report: ProbeReport) -> None:
    """The report as rich tables on a terminal, as aligned plain text anywhere else."""
    laid_out = sections(report)
    if not sys.stdout.isatty():
        sys.stdout.write("\n".join(line for section in laid_out for line in _plain(section)))
        return
    from fwguide.render.console import stdout_console

    console = stdout_console()
    for section in laid_out:
        for part in _rich(section):
            console.print(part)
        console.print()


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
