"""Merge `probe-gpu --json` reports from many machines: one row per host, and what needs attention.

Pure: takes decoded JSON documents (with the name of where each came from) and returns a
`Fleet`. Reports are read by key, leniently, so reports from older or newer fwguide versions
merge wherever the keys they carry allow; a document that is not a report at all, or whose
values have shapes no fwguide writes, is named and skipped, never half-trusted. Every text
taken from a report is made one safe line of bounded length here, before any view sees it.
Merging is linear in the number of reports (after sorting the host names).
"""

from __future__ import annotations

import datetime
import functools
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import msgspec

from fwguide import frameworks as registry
from fwguide.probe.model import GPU_KINDS, Severity
from fwguide.safetext import one_line

STALE_AFTER = datetime.timedelta(days=1)  # older than the newest report by more than this
CLOCK_SLACK = datetime.timedelta(hours=1)  # a report dated later than now by more than this has a wrong clock
MAX_TEXT = 200  # characters kept of a name a report gives (a host, a version, a GPU)
MAX_SENTENCE = 2000  # characters kept of a diagnosis' message or fix
MAX_ITEMS = 1000  # GPUs, environments, frameworks or diagnoses read from one report


class FrameworkOnHost(msgspec.Struct, frozen=True):
    status: str  # ok / missing / import-error / timeout / ..., as probe-gpu reports it
    version: str | None = None
    build: str | None = None  # e.g. "CUDA 12.4", "CPU"
    cuda: str | None = None  # the CUDA version the build targets
    gpus: int = 0  # accelerators this framework sees
    uses_gpu: bool | None = None  # None: the host has no GPU to use


class HostReport(msgspec.Struct, frozen=True):
    host: str
    source: str  # the file (and line) the report came from
    probed_at: str
    fwguide_version: str
    os: str
    gpus: list[str]
    driver: str | None
    cuda_driver: str | None  # the newest CUDA the driver supports
    frameworks: dict[str, FrameworkOnHost]
    host_from_source: bool = False  # the report named no host (an older fwguide): named after its file
    diagnoses: list[dict[str, Any]] = []  # kept for the fixes they carry; not part of the output


class Finding(msgspec.Struct, frozen=True):
    kind: str  # gpu-unusable, framework-broken, version-drift, framework-missing, stale-report, ...
    severity: Severity
    hosts: list[str]
    message: str
    fix: str = ""
    fix_from: str = ""  # the host whose own report suggested `fix` ("" when it is fwguide's advice)


class Fleet(msgspec.Struct, frozen=True):
    hosts: list[HostReport]
    findings: list[Finding]

    def to_json_dict(self) -> dict[str, Any]:
        hosts = [{k: v for k, v in msgspec.to_builtins(h).items() if k != "diagnoses"} for h in self.hosts]
        return {"hosts": hosts, "findings": msgspec.to_builtins(self.findings)}

    @property
    def has_problem(self) -> bool:
        return any(f.severity == "problem" for f in self.findings)


class NotAReport(ValueError):
    """A JSON document that is not a `probe-gpu --json` report."""


def _get(data: Any, *keys: str) -> Any:
    """A nested value, or None wherever a key is missing or a value has another shape."""
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _items(value: Any) -> list[Any]:
    """A list from a report, at most MAX_ITEMS long; anything that is not a list counts as empty."""
    return value[:MAX_ITEMS] if isinstance(value, list) else []


def _text(value: Any, limit: int = MAX_TEXT) -> str | None:
    """Text or a number from a report as one safe, bounded line; None for anything else (lists, mappings, true)."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)) or value == "":
        return None
    text = value if isinstance(value, str) else str(value)
    return one_line(text[:limit] + ("…" if len(text) > limit else ""))


def host_report(doc: Any, source: str, fallback_host: str) -> HostReport:
    """One host's row from a decoded report; NotAReport when `doc` is not one, or not one fwguide could have written."""
    if not isinstance(doc, dict) or not isinstance(doc.get("machine"), dict) or not isinstance(
            doc.get("environments"), list):
        raise NotAReport("not a `fwguide probe-gpu --json` report (no machine and environments)")
    for path in (("machine", "nvidia", "gpus"), ("machine", "amd", "gpus"), ("diagnoses",)):
        value = _get(doc, *path)
        if value is not None and not isinstance(value, list):
            raise NotAReport(f"not a `fwguide probe-gpu --json` report ({'.'.join(path)} is not a list)")
    machine = doc["machine"]
    nvidia = [g for g in _items(_get(machine, "nvidia", "gpus")) if isinstance(g, dict) and g.get("visible", True)]
    gpus = [_text(g.get("name")) or "NVIDIA GPU" for g in nvidia]
    gpus += [_text(name) or "AMD GPU" for name in _items(_get(machine, "amd", "gpus"))]
    if _get(machine, "apple", "apple_silicon") is True:
        gpus.append(f"Apple {_text(_get(machine, 'apple', 'chip')) or 'GPU'}")
    host = _text(doc.get("host"))
    found: dict[str, list[dict[str, Any]]] = {}
    for env in _items(doc["environments"]):
        listed = _get(env, "frameworks")
        if listed is not None and not isinstance(listed, list):
            raise NotAReport("not a `fwguide probe-gpu --json` report (an environment's frameworks is not a list)")
        for entry in _items(listed):
            name = entry.get("framework") if isinstance(entry, dict) else None
            if isinstance(name, str):
                found.setdefault(name, []).append(entry)
    frameworks = {}
    for name in registry.ids():
        if name in found:
            # An environment where the framework works tells more than one where it is missing.
            chosen = next((f for f in found[name] if f.get("status") == "ok"), found[name][0])
            frameworks[name] = _framework(chosen, bool(gpus))
    return HostReport(
        host=host or fallback_host, source=source, host_from_source=host is None,
        probed_at=_text(doc.get("probed_at")) or _text(doc.get("created")) or "",
        fwguide_version=_text(doc.get("fwguide_version")) or "?",
        os=_text(machine.get("os_name")) or _text(machine.get("os")) or "?",
        gpus=gpus, driver=_text(_get(machine, "nvidia", "driver_version")),
        cuda_driver=_text(_get(machine, "nvidia", "cuda_driver_version")), frameworks=frameworks,
        diagnoses=[_diagnosis(d) for d in _items(doc.get("diagnoses")) if isinstance(d, dict)],
    )


def _diagnosis(data: dict[str, Any]) -> dict[str, Any]:
    """The parts of a report's diagnosis the findings use, each a safe line (or None)."""
    return {key: _text(data.get(key), MAX_SENTENCE) for key in ("framework", "severity", "message", "fix")}


def _framework(data: dict[str, Any], host_has_gpu: bool) -> FrameworkOnHost:
    status = _text(data.get("status")) or "?"
    devices = data.get("devices") or []
    if not isinstance(devices, list) or not all(isinstance(d, dict) and isinstance(d.get("kind", ""), str)
                                                for d in devices):
        raise NotAReport("not a `fwguide probe-gpu --json` report (a framework's devices are not a list of devices "
                         "with a kind)")
    accelerators = [d for d in devices[:MAX_ITEMS] if d.get("kind") in GPU_KINDS]
    return FrameworkOnHost(
        status=status, version=_text(data.get("version")), build=_text(_get(data, "build", "label")),
        cuda=_text(_get(data, "build", "cuda")), gpus=len(accelerators),
        uses_gpu=(bool(accelerators) if status == "ok" else False) if host_has_gpu else None,
    )


def natural_key(text: str) -> list[Any]:
    """node2 before node10 (the digits between the words compare as numbers)."""
    parts: list[Any] = re.split(r"(\d+)", text)
    parts[1::2] = [int(digits) for digits in parts[1::2]]  # what \d matches, int() reads (not "²": it is no digit)
    return parts


def _when(stamp: str) -> datetime.datetime | None:
    """A report's date in UTC (a date without a zone is read as UTC); None when it is not one Python can hold."""
    try:
        moment = datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        return (moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)).astimezone(
            datetime.timezone.utc)
    except (ValueError, OverflowError):
        return None


def _names(hosts: Iterable[HostReport]) -> list[str]:
    return sorted((h.host for h in hosts), key=natural_key)


def merge(reports: Sequence[HostReport], skipped: Sequence[tuple[str, str]] = (),
          now: datetime.datetime | None = None) -> Fleet:
    """One row per host (the newest report where a host sent several), and the findings across them.

    `now` (default: the clock) tells a report from the future, whose date is not trusted.
    """
    newest: dict[str, HostReport] = {}
    counts: Counter[str] = Counter()
    findings: list[Finding] = []
    for report in reports:
        counts[report.host] += 1
        kept = newest.get(report.host)
        if kept is None or (_when(report.probed_at) or _EPOCH) >= (_when(kept.probed_at) or _EPOCH):
            newest[report.host] = report
    hosts = sorted(newest.values(), key=lambda h: natural_key(h.host))
    findings += [Finding("duplicate-host", "info", [h.host],
                         f"{h.host} sent {counts[h.host]} reports; the newest ({h.source}) is shown")
                 for h in hosts if counts[h.host] > 1]
    findings += [Finding("unreadable-report", "problem", [], f"skipped {source}: {why}",
                         fix="collect that host's report again: fwguide probe-gpu --json --no-bench")
                 for source, why in skipped]
    findings += _unusable(hosts) + _drift(hosts) + _missing(hosts) + _stale(
        hosts, now or datetime.datetime.now(datetime.timezone.utc))
    unnamed = [h for h in hosts if h.host_from_source]
    if unnamed:
        findings.append(Finding("no-host-name", "info", _names(unnamed),
                                "these reports name no host (made by an fwguide before 0.2): each is named after "
                                "its file"))
    return Fleet(hosts=hosts, findings=findings)


_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def _grouped(hosts: Iterable[HostReport], key: Callable[[HostReport], Any]) -> dict[Any, list[HostReport]]:
    groups: dict[Any, list[HostReport]] = {}
    for host in hosts:
        value = key(host)
        if value is not None:
            groups.setdefault(value, []).append(host)
    return groups


def _unusable_cause(name: str, host: HostReport) -> tuple[str, str, str] | None:
    """Why framework `name` is of no use on `host` (kind, why, fix), or None when it is fine or not installed."""
    found = host.frameworks.get(name)
    if found is None or found.status == "missing":
        return None
    if found.status != "ok":
        kind = "framework-broken"
    elif found.uses_gpu is False:
        kind = "gpu-unusable"
    else:
        return None
    diagnosis = next((d for d in host.diagnoses if d.get("framework") == name
                      and d.get("severity") == "problem"), {})
    why = diagnosis.get("message") or (f"its probe ended with status {found.status}" if kind ==
                                       "framework-broken" else "it sees none of the host's GPUs")
    return kind, why, diagnosis.get("fix") or ""


def _unusable(hosts: list[HostReport]) -> list[Finding]:
    """Hosts with GPUs that a framework cannot use (or that cannot even load it), grouped by cause."""
    findings = []
    for name in registry.ids():
        title = registry.title(name)
        for (kind, why, fix), group in _grouped(hosts, functools.partial(_unusable_cause, name)).items():
            names = _names(group)
            what = "cannot use the GPUs" if kind == "gpu-unusable" else "does not work"
            # A fix found in a report is that report's word, not fwguide's: the views say whose it is.
            findings.append(Finding(kind, "problem", names, f"{title} {what} on {_listed(names)}: {why}",
                                    fix=fix or f"run fwguide probe-gpu on {names[0]} to see why",
                                    fix_from=names[0] if fix else ""))
    return findings


def _listed(names: list[str], most: int = 4) -> str:
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def _drifting() -> list[tuple[str, Callable[[HostReport], str | None]]]:
    """What must match across hosts: the driver, then each framework's version, then its CUDA build."""
    known = registry.known()
    return [("NVIDIA driver", lambda h: h.driver),
            *((f.title, lambda h, name=f.id: _version(h, name)) for f in known),
            *((f"{f.title}'s CUDA build", lambda h, name=f.id: _cuda(h, name)) for f in known)]


def _version(host: HostReport, name: str) -> str | None:
    found = host.frameworks.get(name)
    return found.version if found is not None and found.status == "ok" else None


def _cuda(host: HostReport, name: str) -> str | None:
    found = host.frameworks.get(name)
    return found.cuda if found is not None and found.status == "ok" else None


def _drift(hosts: list[HostReport]) -> list[Finding]:
    findings = []
    for what, value in _drifting():
        groups = _grouped(hosts, value)
        if len(groups) < 2:
            continue
        # The most common version first: the odd ones out are what to look at.
        ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), natural_key(item[0])))
        parts = [f"{version} on {_listed(_names(group))}" for version, group in ordered]
        common = len(ordered[0][1]) > len(ordered[1][1])
        odd = [h for _, group in (ordered[1:] if common else ordered) for h in group]
        findings.append(Finding("version-drift", "warning", _names(odd),
                                f"{what} differs across hosts: {'; '.join(parts)}",
                                fix=f"align {what} on every host" + (f" ({ordered[0][0]} is the most common)"
                                                                     if common else "")))
    return findings


def _missing(hosts: list[HostReport]) -> list[Finding]:
    findings = []
    for name in registry.ids():
        title = registry.title(name)
        missing = [h for h in hosts if h.frameworks.get(name) is not None and h.frameworks[name].status == "missing"]
        if not missing:
            continue
        names = _names(missing)
        if len(missing) == len(hosts):
            findings.append(Finding("framework-missing", "info", names, f"{title} is installed on no host"))
        else:
            findings.append(Finding("framework-missing", "warning", names,
                                    f"{title} is missing on {_listed(names)} but installed on "
                                    f"{len(hosts) - len(missing)} other host(s)",
                                    fix=f"install it where it is missing, or check that those hosts are meant to "
                                        f"run without {title}"))
    return findings


def _stale(hosts: list[HostReport], now: datetime.datetime) -> list[Finding]:
    """Reports a day older than the newest, and reports dated in the future (whose clock is wrong)."""
    moments = {h.host: _when(h.probed_at) for h in hosts}
    future = sorted((host for host, moment in moments.items() if moment is not None and moment > now + CLOCK_SLACK),
                    key=natural_key)
    findings = []
    if future:
        findings.append(Finding("future-report", "warning", future,
                                "reports dated in the future (that host's clock is wrong): their age is unknown, "
                                "and they do not count when telling old reports from new",
                                fix="set those hosts' clocks (NTP), then probe them again"))
    known = [m for host, m in moments.items() if m is not None and host not in future]
    if not known:
        return findings
    latest = max(known)
    ages = {host: latest - moment for host, moment in moments.items() if moment is not None and host not in future}
    old = sorted((host for host, age in ages.items() if age > STALE_AFTER), key=natural_key)
    if old:
        listed = ", ".join(f"{host} ({ages[host].total_seconds() / 86400:.1f} days)" for host in old)
        findings.append(Finding("stale-report", "warning", old,
                                f"reports older than the newest ({latest:%Y-%m-%d %H:%M} UTC) by more than a day, "
                                f"which may no longer describe their hosts: {listed}",
                                fix="probe those hosts again: fwguide probe-gpu --json --no-bench"))
    undated = [h for h in hosts if moments[h.host] is None]
    if undated:
        findings.append(Finding("stale-report", "info", _names(undated), "these reports carry no readable probed_at"))
    return findings
