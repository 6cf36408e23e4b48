"""One probe run: machine facts plus one worker per (interpreter, framework), all in parallel, with a cache.

A warm cache answers without starting any process: the keys cost a few stat calls.
All workers import at once; then
benchmarks take turns, so nothing else competes for the device while one is timed.
Each worker has what is left of the run's `timeout` (checking the interpreters spent
some); waiting for a benchmark turn does not count. Ctrl-C or a cancel kills every
worker's process group and writes nothing to the cache.
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import msgspec

from fwguide import __version__, frameworks
from fwguide.errors import FwguideError
from fwguide.probe import cache, interpreter
from fwguide.probe.children import WorkerFailure, run_in_threads, stop_group
from fwguide.probe.diagnose import diagnose
from fwguide.probe.facts import probe_facts
from fwguide.probe.interpreter import Interpreter
from fwguide.probe.machine import driver_signature, machine_info
from fwguide.probe.model import Environment, FrameworkReport, MachineInfo, ProbeReport, WorkerBench, WorkerProbe
from fwguide.probe.processes import WorkerProcess
from fwguide.probe.report import add_bench, cache_note, capabilities, from_failure, from_probe, now_iso
from fwguide.rulebook.schema import DevicePeak, InstallOption

CACHEABLE = frozenset({"ok", "missing"})
Progress = Callable[[str, str], None]  # (label, state); called from worker threads


class ProbeCancelled(Exception):
    """The probe was cancelled before it finished; nothing was cached."""


class Job(msgspec.Struct):
    """One (interpreter, framework) pair and everything learnt about it (filled in by its worker thread)."""

    interpreter: Interpreter
    framework: str
    key: str
    label: str
    cached: FrameworkReport | None = None
    probe: WorkerProbe | None = None
    bench: WorkerBench | None = None
    bench_failure: WorkerFailure | None = None
    failure: WorkerFailure | None = None


# --- driving the workers ------------------------------------------------------------------------

def parse_probe(frame: dict[str, Any], framework: str) -> WorkerProbe:
    """Check a worker's probe frame against the schema; a mismatch is the worker's failure."""
    try:
        probe = msgspec.convert(frame, WorkerProbe)
    except msgspec.ValidationError as exc:
        raise WorkerFailure("bad-output", f"its result did not match the expected shape: {exc}", []) from None
    if probe.framework != framework:
        raise WorkerFailure("bad-output", f"it answered for {probe.framework}, not {framework}", [])
    return probe


def parse_bench(frame: dict[str, Any]) -> WorkerBench:
    try:
        return msgspec.convert(frame, WorkerBench)
    except msgspec.ValidationError as exc:
        raise WorkerFailure("bad-output", f"its benchmark did not match the expected shape: {exc}", []) from None


class Session:
    """The workers of one run, driven together: all import at once, then benchmarks take turns."""

    def __init__(self, timeout: float, bench: bool, progress: Progress, cancel: threading.Event, started: float):
        self.timeout, self.bench, self.progress, self.cancel = timeout, bench, progress, cancel
        self.started = started  # when the run began: its checks spent part of `timeout`
        self.importing = 0  # workers still in their probe phase; benchmarks wait until none is
        self.phase = threading.Condition()
        self.bench_turn = threading.Lock()

    def run(self, jobs: list[Job]) -> None:
        """Drive every job to its end in parallel; Ctrl-C or `cancel` kills all workers."""
        self.importing = len(jobs)
        run_in_threads([functools.partial(self._drive, job) for job in jobs], "fwguide-probe", self.stop, self._poll)

    def _left(self) -> float:
        return max(self.timeout - (time.monotonic() - self.started), 0.5)

    def _poll(self) -> None:
        if self.cancel.is_set():
            self.stop()

    def _drive(self, job: Job) -> None:
        """Run one worker to the end; every outcome lands in `job`, nothing escapes the thread."""
        self.progress(job.label, "probing")
        worker: WorkerProcess | None = None
        try:
            try:
                worker = WorkerProcess(job.interpreter.path, job.framework, {"mode": "probe", "bench": self.bench},
                                       self.cancel)
                job.probe = parse_probe(worker.next_frame(self._left(), self.timeout), job.framework)
            finally:
                with self.phase:
                    self.importing -= 1
                    self.phase.notify_all()
            if self.bench and job.probe.installed and not job.probe.import_error:
                self._benchmark(job, worker, max(self._left(), 1.0))
            self.progress(job.label, "done")
        except WorkerFailure as failure:
            tail = failure.stderr_tail or (worker.stderr_tail if worker else [])
            job.failure = WorkerFailure(failure.status, failure.reason, tail)
            self.progress(job.label, failure.status)
        except OSError as exc:  # the interpreter vanished or cannot run between validation and start
            job.failure = WorkerFailure("crashed", f"it could not be started: {exc}", [])
            self.progress(job.label, "crashed")
        finally:
            if worker is not None:
                worker.finish()

    def _benchmark(self, job: Job, worker: WorkerProcess, budget: float) -> None:
        self.progress(job.label, "waiting to benchmark")
        with self.phase:
            while self.importing > 0 and not self.cancel.is_set():
                self.phase.wait(0.2)
        while not self.bench_turn.acquire(timeout=0.2):
            if self.cancel.is_set():
                raise WorkerFailure("cancelled", "the probe was cancelled", [])
        try:
            self.progress(job.label, "benchmarking")
            worker.send("go")
            job.bench = parse_bench(worker.next_frame(budget))
        except WorkerFailure as failure:
            if failure.status == "cancelled":
                raise
            job.bench_failure = failure
        finally:
            self.bench_turn.release()

    def stop(self) -> None:
        stop_group(self.cancel)


# --- the run, from interpreters to report -------------------------------------------------------

def _tables() -> tuple[list[InstallOption], list[DevicePeak]]:
    from fwguide import rulebook

    try:
        book = rulebook.load()
    except FwguideError:
        return [], []  # a broken rulebook costs install commands and peaks, not the probe
    return book.install, book.devices


def _report(job: Job, machine: MachineInfo, installs: list[InstallOption], peaks: list[DevicePeak]) -> FrameworkReport:
    if job.cached is not None:  # keyed by interpreter, not by which of its names (python, python3) was used
        return msgspec.structs.replace(job.cached, python=job.interpreter.path,
                                       cache_note=cache_note(job.cached.probed_at))
    if job.probe is None:
        failure = job.failure
        assert failure is not None
        return from_failure(job.interpreter.path, job.framework, failure.status, failure.reason, failure.stderr_tail)
    report = from_probe(job.interpreter.path, job.probe, machine, installs)
    if job.bench is not None:
        return add_bench(report, job.bench, machine, peaks)
    if job.bench_failure is not None:
        return msgspec.structs.replace(report, bench_status=f"{job.bench_failure.status}: {job.bench_failure.reason}")
    return report


def _run(jobs: list[Job], remembered: MachineInfo | None, timeout: float, started: float, bench: bool,
         progress: Callable[[str, str], None], cancel: threading.Event | None) -> MachineInfo:
    """Run the jobs' workers; examine the machine meanwhile (unless remembered). Returns the machine."""
    if not jobs:
        return remembered or machine_info()
    session = Session(timeout, bench, progress, cancel or threading.Event(), started)
    found: list[MachineInfo] = []
    examiner = threading.Thread(target=lambda: found.append(remembered or machine_info()), daemon=True)
    examiner.start()
    session.run(jobs)
    examiner.join()
    if session.cancel.is_set():
        raise ProbeCancelled()
    return found[0]


def _host_name() -> str:
    if hasattr(os, "uname"):
        return os.uname().nodename  # what gethostname() answers, without importing socket
    import socket

    return socket.gethostname()


def _assemble(interpreters: list[Interpreter], jobs: list[Job], reports: dict[str, FrameworkReport],
              machine: MachineInfo, installs: list[InstallOption], chosen: dict[str, str]) -> ProbeReport:
    environments = []
    for found in interpreters:
        mine = [reports[j.key] for j in jobs if j.interpreter is found]
        version = next((r.python_version for r in mine if r.python_version), found.version)
        environment = Environment(python=found.path, python_version=version, frameworks=mine,
                                  chosen_by=chosen.get(found.path, ""))
        environments.append(msgspec.structs.replace(environment, capabilities=capabilities(machine, environment)))
    created = now_iso()
    report = ProbeReport(fwguide_version=__version__, created=created, host=_host_name(), probed_at=created,
                         machine=machine, environments=environments,
                         diagnoses=diagnose(machine, environments, installs))
    return msgspec.structs.replace(report, facts=sorted(probe_facts(report)))


def probe(pythons: Sequence[str], asked: Sequence[str], timeout: float, bench: bool, refresh: bool,
          on_progress: Callable[[str, str], None] | None = None, cancel: threading.Event | None = None) -> ProbeReport:
    """Probe the frameworks `asked` for by id or alias (none: every registered one) in each interpreter.

    A framework outside the decision that was not asked for by name is reported only where it is installed.
    """
    if not 0 < timeout < float("inf"):
        raise FwguideError(f"--timeout must be more than 0 seconds, not {timeout:g}", hint="e.g. --timeout 30")
    started = time.monotonic()

    def left() -> float:  # one deadline for the run: checking the interpreters spends the workers' time
        return max(timeout - (time.monotonic() - started), 0.5)

    names = frameworks.ids_for(asked) if asked else list(frameworks.ids())
    always = {*frameworks.DECISION, *(names if asked else ())}  # shown even when not installed
    interpreters = list({i.path: i for i in (interpreter.resolve(p, left()) for p in pythons)}.values())
    chosen = {found.path: "--python" for found in interpreters}
    if not interpreters:  # the activated environment, else fwguide's own (interpreter.default)
        found, why = interpreter.default(left())
        interpreters, chosen = [found], {found.path: why}
    progress = on_progress or (lambda label, state: None)
    drivers = driver_signature()
    jobs = []
    for found in interpreters:
        for name in names:
            key = cache.result_key(found, name, bench, drivers)
            label = name if len(interpreters) == 1 else f"{name} ({found.path})"
            job = Job(found, name, key, label, cached=None if refresh else cache.load_result(key))
            if job.cached is not None:
                progress(label, "cached")
            jobs.append(job)
    machine_key = cache.machine_key(drivers)
    remembered = None if refresh else cache.load_machine(machine_key)
    to_run = [job for job in jobs if job.cached is None]
    machine = _run(to_run, remembered, timeout, started, bench, progress, cancel)
    if remembered is not None:
        machine = msgspec.structs.replace(machine, cache_note=cache_note(machine.examined_at))
    installs, peaks = _tables()
    reports = {job.key: _report(job, machine, installs, peaks) for job in jobs}
    fresh = {job.key: reports[job.key] for job in to_run
             if reports[job.key].status in CACHEABLE and reports[job.key].bench_status in ("ok", "skipped")}
    cache.store(fresh, None if remembered else (machine_key, machine))
    shown = [job for job in jobs if job.framework in always or reports[job.key].status != "missing"]
    return _assemble(interpreters, shown, reports, machine, installs, chosen)
