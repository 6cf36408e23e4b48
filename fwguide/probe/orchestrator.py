"""Run the probe: machine facts plus one worker per (interpreter, framework), all in parallel, with a cache.

A warm cache answers without starting any process: the keys cost a few stat calls
and the worker machinery is not even imported. Ctrl-C or a cancel kills every
worker's process group and writes nothing to the cache.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Sequence

import msgspec

from fwguide import __version__
from fwguide.errors import FwguideError
from fwguide.probe import cache, interpreter
from fwguide.probe.capabilities import capabilities
from fwguide.probe.diagnose import diagnose
from fwguide.probe.facts import probe_facts
from fwguide.probe.interpreter import Interpreter
from fwguide.probe.job import Job
from fwguide.probe.machine import driver_signature, machine_info
from fwguide.probe.model import Environment, FrameworkReport, MachineInfo, ProbeReport
from fwguide.probe.results import add_bench, cache_note, from_failure, from_probe, now_iso
from fwguide.rulebook.schema import DevicePeak, InstallOption

FRAMEWORK_IDS = {"torch": "pytorch", "pytorch": "pytorch", "tensorflow": "tensorflow", "tf": "tensorflow"}
CACHEABLE = frozenset({"ok", "missing"})


class ProbeCancelled(Exception):
    """The probe was cancelled before it finished; nothing was cached."""


def _tables() -> tuple[list[InstallOption], list[DevicePeak]]:
    from fwguide import rulebook

    try:
        book = rulebook.load()
    except FwguideError:
        return [], []  # a broken rulebook costs install commands and peaks, not the probe
    return book.install, book.devices


def _report(job: Job, machine: MachineInfo, installs: list[InstallOption], peaks: list[DevicePeak]) -> FrameworkReport:
    if job.cached is not None:  # keyed by interpreter, not by which of its names (python, python3) was used
        return msgspec.structs.replace(job.cached, python=job.interpreter.path, cache_note=cache_note(job.cached.probed_at))
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
    from fwguide.probe.session import Session

    session = Session(timeout, bench, progress, cancel or threading.Event(), started=started)
    found: list[MachineInfo] = []
    examiner = threading.Thread(target=lambda: found.append(remembered or machine_info()), daemon=True)
    examiner.start()
    session.run(jobs)
    examiner.join()
    if session.cancel.is_set():
        raise ProbeCancelled()
    return found[0]


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
    report = ProbeReport(fwguide_version=__version__, created=created, host=socket.gethostname(), probed_at=created,
                         machine=machine, environments=environments, diagnoses=diagnose(machine, environments, installs))
    return msgspec.structs.replace(report, facts=sorted(probe_facts(report)))


def probe(pythons: Sequence[str], frameworks: Sequence[str], timeout: float, bench: bool, refresh: bool,
          on_progress: Callable[[str, str], None] | None = None, cancel: threading.Event | None = None) -> ProbeReport:
    if not 0 < timeout < float("inf"):
        raise FwguideError(f"--timeout must be more than 0 seconds, not {timeout:g}", hint="e.g. --timeout 30")
    started = time.monotonic()

    def left() -> float:  # one deadline for the run: checking the interpreters spends the workers' time
        return max(timeout - (time.monotonic() - started), 0.5)

    names = list(dict.fromkeys(FRAMEWORK_IDS.get(f, f) for f in frameworks))
    unknown = [n for n in names if n not in ("pytorch", "tensorflow")]
    if unknown:
        raise FwguideError(f"unknown framework {unknown[0]!r}", hint="choose torch or tensorflow")
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
    return _assemble(interpreters, jobs, reports, machine, installs, chosen)
