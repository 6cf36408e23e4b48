"""The hardware probe: what this machine offers each framework of the registry, each probed in its own subprocess.

Public API (used by `fwguide probe-gpu` and `fwguide ask`):
    run_probe(...) -> ProbeReport          probe now, in parallel, with a cache
    start_probe(...) -> ProbeHandle        the same in a background thread, returns at once
    load_probe_json(path) -> ProbeReport   a saved `probe-gpu --json`
    machine_answers(report | None)         pre-filled `os` / `hardware` answers
    probe_facts(report)                    names from fwguide.rulebook.names.PROBE_FACTS
    probe_summary(report)                  compact machine summary for `ask --json` and its report
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fwguide.errors import FwguideError

if TYPE_CHECKING:
    from fwguide.probe.facts import machine_answers, probe_facts, probe_summary
    from fwguide.probe.model import ProbeReport

__all__ = [
    "ProbeHandle", "ProbeReport", "load_probe_json", "machine_answers", "probe_facts", "probe_summary",
    "run_probe", "start_probe",
]


def __getattr__(name: str) -> Any:
    """The report type and the fact helpers, imported on first use: `ask --no-probe` needs neither."""
    if name in ("machine_answers", "probe_facts", "probe_summary"):
        from fwguide.probe import facts

        return getattr(facts, name)
    if name == "ProbeReport":
        from fwguide.probe.model import ProbeReport

        return ProbeReport
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def run_probe(*, pythons: Sequence[str] = (), frameworks: Sequence[str] | None = None,
              timeout: float = 120.0, bench: bool = True, refresh: bool = False,
              on_progress: Callable[[str, str], None] | None = None) -> ProbeReport:
    """Probe the machine and each framework (in each interpreter of `pythons`, or this one).

    `frameworks` are ids or aliases of fwguide.frameworks (default: every registered one; one outside
    frameworks.DECISION then only where it is installed).
    `on_progress(label, state)` is called from worker threads as each framework moves on.
    Raises FwguideError for bad input (an interpreter that is not a Python, a bad timeout).
    """
    from fwguide.probe.run import probe

    return probe(pythons, frameworks or (), timeout, bench, refresh, on_progress)


class ProbeHandle:
    """A probe running in a background thread (see start_probe)."""

    def __init__(self, python: str | None, bench: bool, timeout: float):
        self._cancel = threading.Event()
        self._finished = threading.Event()
        self._report: ProbeReport | None = None
        self.error: Exception | None = None  # why there is no report, when there is none
        self._thread = threading.Thread(target=self._run, args=(python, bench, timeout), daemon=True,
                                        name="fwguide-probe")
        self._thread.start()

    def _run(self, python: str | None, bench: bool, timeout: float) -> None:
        from fwguide.frameworks import DECISION
        from fwguide.probe.run import probe

        try:  # the two frameworks the recommendation is about
            self._report = probe([python] if python else [], DECISION, timeout, bench, False,
                                 cancel=self._cancel)
        except Exception as exc:  # FwguideError, ProbeCancelled, or a bug: the caller goes on without a report
            self.error = exc
        finally:
            self._finished.set()

    def done(self) -> bool:
        return self._finished.is_set()

    def result(self, timeout: float | None = None) -> ProbeReport | None:
        """The report once finished (waiting up to `timeout` seconds); None if not finished, failed or cancelled."""
        self._finished.wait(timeout)
        return self._report

    def cancel(self) -> None:
        """Stop the probe and kill its workers; result() then gives None."""
        self._cancel.set()
        self._thread.join(timeout=10)
        self._report = None


def start_probe(*, python: str | None = None, bench: bool = False, timeout: float = 120.0) -> ProbeHandle:
    """Start the probe in a background thread and return at once."""
    return ProbeHandle(python, bench, timeout)


def load_probe_json(path: Path) -> ProbeReport:
    """A report saved with `fwguide probe-gpu --json` (e.g. on the training server)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise FwguideError(f"{path}: cannot read it ({exc.strerror or exc})",
                           hint="save one with: fwguide probe-gpu --json > probe.json") from None
    import msgspec

    from fwguide.files import decode_text
    from fwguide.probe.model import SCHEMA_VERSION, ProbeReport
    from fwguide.safetext import clean

    hint = "save one with: fwguide probe-gpu --json > probe.json"
    try:
        raw = msgspec.json.decode(decode_text(data, str(path)))  # also with a byte order mark, as PowerShell writes
        version = raw.get("schema_version") if isinstance(raw, dict) else None
        if version != SCHEMA_VERSION and isinstance(version, int) and not isinstance(version, bool):
            raise FwguideError(f"{path}: a report of schema_version {version}; this fwguide reads {SCHEMA_VERSION}",
                               hint="probe again with this fwguide, or upgrade fwguide to read it")
        return msgspec.convert(clean(raw), ProbeReport, strict=True)  # its text is shown: no escape sequences
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError) as exc:
        reason = exc if not isinstance(exc, RecursionError) else "nested too deeply"
        raise FwguideError(f"{path}: not a saved `fwguide probe-gpu --json`: {reason}", hint=hint) from None
