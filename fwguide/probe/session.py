"""Drive the workers of one probe: all import at once, then benchmarks take turns.

Benchmarks start once every worker has finished importing and run one at a time,
so nothing else competes for the device while one is timed. Each worker has what is
left of the run's `timeout` (checking the interpreters spent some); waiting for its
benchmark turn does not count.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from fwguide.probe.model import WorkerBench, WorkerProbe
from fwguide.probe.job import Job
from fwguide.probe.runner import WorkerFailure, WorkerProcess, run_in_threads, stop_group

Progress = Callable[[str, str], None]  # (label, state); called from worker threads


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


@dataclass
class Session:
    timeout: float
    bench: bool
    progress: Progress
    cancel: threading.Event
    importing: int = 0  # workers still in their probe phase; benchmarks wait until none is
    phase: threading.Condition = field(default_factory=threading.Condition)
    bench_turn: threading.Lock = field(default_factory=threading.Lock)
    started: float = field(default_factory=time.monotonic)  # when the run began: its checks spent part of `timeout`

    def run(self, jobs: list[Job]) -> None:
        """Drive every job to its end in parallel; Ctrl-C or `cancel` kills all workers."""
        self.importing = len(jobs)
        run_in_threads([lambda job=job: self._drive(job) for job in jobs], "fwguide-probe", self.stop, self._poll)

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
