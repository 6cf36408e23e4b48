"""Merge `probe-gpu --json` reports from many machines: one row per host, and what needs attention.

Pure: takes decoded JSON documents (with the name of where each came from) and returns a
`Fleet`. Reports are read by key, leniently, so reports from older or newer fwguide versions
merge wherever the keys they carry allow; a document that is not a report at all is named
and skipped, never half-trusted.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import msgspec

from fwguide import frameworks as registry
from fwguide.probe.model import GPU_KINDS, Severity

STALE_AFTER = datetime.timedelta(days=1)  # older than the newest report by more than this


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


def _get(data: Any, *keys: str | int) -> Any:
    """A nested value, or None wherever a key is missing or a value has another shape."""
    for key in keys:
        if isinstance(key, int):
            data = data[key] if isinstance(data, list) and len(data) > key else None
        else:
            data = data.get(key) if isinstance(data, dict) else None
    return data


def _text(value: Any) -> str | None:
    return str(value) if isinstance(value, (str, int, float)) and value != "" else None


def host_report(doc: Any, source: str, fallback_host: str) -> HostReport:
    """One host's row from a decoded report; NotAReport when `doc` is not one."""
    if not isinstance(doc, dict) or not isinstance(doc.get("machine"), dict) or not isinstance(
            doc.get("environments"), list):
        raise NotAReport("not a `fwguide probe-gpu --json` report (no machine and environments)")
    machine = doc["machine"]
    nvidia = [g for g in _get(machine, "nvidia", "gpus") or [] if isinstance(g, dict) and g.get("visible", True)]
    gpus = [str(g.get("name", "NVIDIA GPU")) for g in nvidia]
    gpus += [str(name) for name in _get(machine, "amd", "gpus") or []]
    if _get(machine, "apple", "apple_silicon"):
        gpus.append(f"Apple {_get(machine, 'apple', 'chip') or 'GPU'}")
    host = _text(doc.get("host"))
    frameworks = {}
    for name in registry.ids():
        found = [f for env in doc["environments"] for f in _get(env, "frameworks") or []
                 if isinstance(f, dict) and f.get("framework") == name]
        if found:
            # An environment where the framework works tells more than one where it is missing.
            chosen = next((f for f in found if f.get("status") == "ok"), found[0])
            frameworks[name] = _framework(chosen, bool(gpus))
    return HostReport(
        host=host or fallback_host, source=source, host_from_source=host is None,
        probed_at=_text(doc.get("probed_at")) or _text(doc.get("created")) or "",
        fwguide_version=_text(doc.get("fwguide_version")) or "?",
        os=_text(machine.get("os_name")) or _text(machine.get("os")) or "?",
        gpus=gpus, driver=_text(_get(machine, "nvidia", "driver_version")),
        cuda_driver=_text(_get(machine, "nvidia", "cuda_driver_version")), frameworks=frameworks,
        diagnoses=[d for d in doc.get("diagnoses") or [] if isinstance(d, dict)],
    )


def _framework(data: dict[str, Any], host_has_gpu: bool) -> FrameworkOnHost:
    status = _text(data.get("status")) or "?"
    accelerators = [d for d in data.get("devices") or [] if isinstance(d, dict) and d.get("kind") in GPU_KINDS]
    return FrameworkOnHost(
        status=status, version=_text(data.get("version")), build=_text(_get(data, "build", "label")),
        cuda=_text(_get(data, "build", "cuda")), gpus=len(accelerators),
        uses_gpu=(bool(accelerators) if status == "ok" else False) if host_has_gpu else None,
    )


def natural_key(text: str) -> list[Any]:
    """node2 before node10."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def _when(stamp: str) -> datetime.datetime | None:
    try:
        moment = datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)


def _names(hosts: Iterable[HostReport]) -> list[str]:
    return sorted((h.host for h in hosts), key=natural_key)


def merge(reports: Sequence[HostReport], skipped: Sequence[tuple[str, str]] = ()) -> Fleet:
    """One row per host (the newest report where a host sent several), and the findings across them."""
    newest: dict[str, HostReport] = {}
    findings: list[Finding] = []
    for report in reports:
        kept = newest.get(report.host)
        if kept is None or (_when(report.probed_at) or _EPOCH) >= (_when(kept.probed_at) or _EPOCH):
            newest[report.host] = report
    for host in _names(newest.values()):
        count = sum(1 for r in reports if r.host == host)
        if count > 1:
            findings.append(Finding("duplicate-host", "info", [host],
                                    f"{host} sent {count} reports; the newest ({newest[host].source}) is shown"))
    hosts = sorted(newest.values(), key=lambda h: natural_key(h.host))
    findings += [Finding("unreadable-report", "problem", [], f"skipped {source}: {why}",
                         fix="collect that host's report again: fwguide probe-gpu --json --no-bench")
                 for source, why in skipped]
    findings += _unusable(hosts) + _drift(hosts) + _missing(hosts) + _stale(hosts)
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


def _unusable(hosts: list[HostReport]) -> list[Finding]:
    """Hosts with GPUs that a framework cannot use (or that cannot even load it), grouped by cause."""
    findings = []
    for name in registry.ids():
        title = registry.title(name)

        def cause(host: HostReport) -> tuple[str, str, str] | None:
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
            why = str(diagnosis.get("message") or (f"its probe ended with status {found.status}" if kind ==
                                                   "framework-broken" else "it sees none of the host's GPUs"))
            return kind, why, str(diagnosis.get("fix") or "")

        for (kind, why, fix), group in _grouped(hosts, cause).items():
            names = _names(group)
            what = "cannot use the GPUs" if kind == "gpu-unusable" else "does not work"
            findings.append(Finding(kind, "problem", names, f"{title} {what} on {_listed(names)}: {why}",
                                    fix=fix or f"run fwguide probe-gpu on {names[0]} to see why"))
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


def _stale(hosts: list[HostReport]) -> list[Finding]:
    moments = {h.host: _when(h.probed_at) for h in hosts}
    known = [m for m in moments.values() if m is not None]
    if not known:
        return []
    latest = max(known)
    findings = []
    ages = {h.host: latest - moment for h in hosts if (moment := moments[h.host]) is not None}
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
