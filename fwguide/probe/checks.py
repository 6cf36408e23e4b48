"""Run a rulebook's live checks against the installed frameworks, one worker per framework, in parallel.

A check that cannot apply on this machine (CUDA without an NVIDIA GPU, Apple's GPU off a
Mac, an ONNX export without onnxscript) is reported as "n/a" with the reason, never as a
failure: only "fail" and "error" are problems. Checks that promise a route run a small real
operation on it, each within CHECK_SECONDS.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from typing import Literal

import msgspec

from fwguide import frameworks
from fwguide.probe import interpreter
from fwguide.probe.children import WorkerFailure, run_in_threads, stop_group
from fwguide.probe.model import WorkerChecks
from fwguide.probe.processes import WorkerProcess
from fwguide.rulebook.schema import Check

CHECK_SECONDS = 30.0  # for each check in the worker: an export or a conversion takes a few seconds

CheckStatus = Literal["pass", "fail", "skip", "error", "n/a"]


class CheckResult(msgspec.Struct, frozen=True):
    framework: str
    check: str
    target: str | None
    label: str
    status: CheckStatus
    detail: str
    framework_version: str | None = None
    python: str = ""  # the interpreter whose framework answered
    chosen_by: str = ""  # why that interpreter: --python, the activated environment, or fwguide's own


def _not_apple_silicon() -> str | None:
    from fwguide.probe.machine import apple_silicon

    return None if apple_silicon() else "not an Apple Silicon Mac: the Apple GPU exists only there"


def _no_nvidia_gpu() -> str | None:
    """Why CUDA cannot apply here, or None when the NVIDIA driver reports a GPU."""
    import sys

    if sys.platform == "darwin":
        return "macOS has no CUDA builds"
    from fwguide.probe.machine import nvidia_driver

    return None if nvidia_driver().gpus else "no NVIDIA GPU on this machine, so a build without CUDA is the right one"


# A failed check that cannot apply on this machine: the reason it does not apply, or None when it does.
_APPLIES = {
    "built_with_cuda": _no_nvidia_gpu,
    "mps_available": _not_apple_silicon,
}


def _honest(results: list[CheckResult]) -> list[CheckResult]:
    """Turn failures of checks that cannot apply here into n/a, each with its reason (asked once per check name)."""
    reasons: dict[str, str | None] = {}
    honest = []
    for result in results:
        if result.status == "fail" and result.check in _APPLIES:
            if result.check not in reasons:
                reasons[result.check] = _APPLIES[result.check]()
            reason = reasons[result.check]
            if reason:
                result = msgspec.structs.replace(result, status="n/a", detail=f"{reason}; {result.detail}")
        honest.append(result)
    return honest


def _result(check: Check, status: CheckStatus, detail: str, version: str | None = None) -> CheckResult:
    return CheckResult(framework=check.framework, check=check.check, target=check.target, label=check.label,
                       status=status, detail=detail, framework_version=version)


def _ask_worker(python: str, framework: str, checks: list[Check], timeout: float,
                cancel: threading.Event) -> list[CheckResult]:
    name = frameworks.title(framework)
    request = {"mode": "checks", "checks": [{"check": c.check, "target": c.target} for c in checks],
               "check_seconds": CHECK_SECONDS}
    worker = None
    try:
        worker = WorkerProcess(python, framework, request, cancel)
        answer = msgspec.convert(worker.next_frame(timeout), WorkerChecks)
    except (WorkerFailure, msgspec.ValidationError, OSError) as exc:
        reason = exc.reason if isinstance(exc, WorkerFailure) else f"its answer could not be read: {exc}"
        return [_result(c, "error", f"the {name} worker failed: {reason}") for c in checks]
    finally:
        if worker is not None:
            worker.finish()
    if not answer.installed:
        return [_result(c, "skip", f"{name} is not installed for {python}") for c in checks]
    if answer.import_error:
        return [_result(c, "error", f"{name} fails to import: {answer.import_error}") for c in checks]
    if len(answer.results) != len(checks):
        return [_result(c, "error", f"the {name} worker answered {len(answer.results)} of {len(checks)} checks")
                for c in checks]
    return [_result(c, r.status, r.detail, answer.version) for c, r in zip(checks, answer.results, strict=True)]


def run_checks(checks: Sequence[Check], *, python: str | None = None, timeout: float = 120) -> list[CheckResult]:
    """Each check's result, in the order given; a framework that is not installed gives "skip".

    The interpreter is `python`, else the activated environment, else fwguide's own (interpreter.default).
    """
    found, chosen_by = (interpreter.resolve(python), "--python") if python else interpreter.default()
    path = found.path
    by_framework: dict[str, list[Check]] = {}
    for check in checks:
        by_framework.setdefault(check.framework, []).append(check)
    answers: dict[str, list[CheckResult]] = {}
    cancel = threading.Event()

    def ask(framework: str, batch: list[Check]) -> None:
        answers[framework] = _ask_worker(path, framework, batch, timeout, cancel)

    run_in_threads([functools.partial(ask, fw, batch) for fw, batch in by_framework.items()], "fwguide-checks",
                   lambda: stop_group(cancel))
    order = {fw: iter(results) for fw, results in answers.items()}
    ordered = [msgspec.structs.replace(next(order[check.framework]), python=path, chosen_by=chosen_by)
               for check in checks]
    return _honest(ordered)
