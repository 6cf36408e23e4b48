"""One (interpreter, framework) pair of a probe run: shared by the orchestrator and the session that drives it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from fwguide.probe.model import FrameworkReport, WorkerBench, WorkerProbe

if TYPE_CHECKING:  # the worker machinery is imported only when a worker has to run
    from fwguide.probe.interpreter import Interpreter
    from fwguide.probe.runner import WorkerFailure


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
