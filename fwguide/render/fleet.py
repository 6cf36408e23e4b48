"""Show a merged fleet: a table with one row per host, then the findings; or the same as Markdown."""

from __future__ import annotations

from collections import Counter

from fwguide import frameworks
from fwguide.fleet import Finding, Fleet, FrameworkOnHost, HostReport
from fwguide.render.layout import BLANK, Block, Heading, Table, text


def _all_clear(fleet: Fleet) -> str:
    """What no finding means, true to the hosts: a fleet without GPUs has none to use."""
    with_gpus = sum(1 for h in fleet.hosts if h.gpus)
    if not with_gpus:
        return "versions match across hosts; no host has a GPU, so each framework runs on the CPU"
    gpus = "every host uses its GPUs" if with_gpus == len(fleet.hosts) else "every host with a GPU uses it"
    return f"{gpus} with each installed framework, and versions match"


_SEVERITY = {"problem": ("problem: ", "bold red"), "warning": ("warning: ", "yellow"), "info": ("note: ", "dim")}


def shown(fleet: Fleet) -> list[str]:
    """The framework columns: the two of the decision always, any other one some host's report probed."""
    probed = {name for host in fleet.hosts for name in host.frameworks}
    return [f for f in frameworks.ids() if f in frameworks.DECISION or f in probed]


def header(fleet: Fleet) -> tuple[str, ...]:
    return ("Host", "GPUs", "Driver", *(frameworks.title(f) for f in shown(fleet)), "Probed")


def gpus_cell(host: HostReport) -> str:
    if not host.gpus:
        return "none"
    names = Counter(name.removeprefix("NVIDIA ") for name in host.gpus)
    return "\n".join(f"{count}x {name}" if count > 1 else name for name, count in names.items())


def driver_cell(host: HostReport) -> str:
    if host.driver is None:
        return "none"
    return host.driver + (f"\nCUDA {host.cuda_driver}" if host.cuda_driver else "")


def framework_cell(found: FrameworkOnHost | None) -> str:
    if found is None:
        return "not probed"
    if found.status == "missing":
        return "missing"
    if found.status != "ok":
        return f"fails ({found.status})"
    lines = [found.version or "?", *([found.build] if found.build else [])]
    if found.uses_gpu is not None:
        lines.append(f"uses {found.gpus} GPU{'s' if found.gpus != 1 else ''}" if found.uses_gpu else "no GPU use")
    return "\n".join(lines)


def probed_cell(host: HostReport) -> str:
    return host.probed_at[:10] or "unknown"  # the day: the findings name reports a day older than the rest


def rows(fleet: Fleet) -> list[tuple[str, ...]]:
    return [(h.host, gpus_cell(h), driver_cell(h), *(framework_cell(h.frameworks.get(f)) for f in shown(fleet)),
             probed_cell(h)) for h in fleet.hosts]


def summary(fleet: Fleet) -> str:
    problems = sum(1 for f in fleet.findings if f.severity == "problem")
    warnings = sum(1 for f in fleet.findings if f.severity == "warning")
    count = len(fleet.hosts)
    return (f"{count} host{'s' if count != 1 else ''}: {problems} problem{'s' if problems != 1 else ''}, "
            f"{warnings} warning{'s' if warnings != 1 else ''}")


def blocks(fleet: Fleet) -> list[Block]:
    out: list[Block] = [Table(f"Fleet: {summary(fleet)}", header(fleet), rows(fleet)), BLANK, Heading("Findings")]
    if not fleet.findings:
        out.append(text(f"none: {_all_clear(fleet)}", indent=2))
    for finding in fleet.findings:
        out.append(text(finding.message, indent=2, lead=_SEVERITY[finding.severity]))
        if finding.fix:
            lead = f"fix ({_from(finding)}): " if finding.fix_from else "fix: "
            out.append(text(finding.fix, indent=2 + len(_SEVERITY[finding.severity][0]), lead=(lead, "dim")))
    return out


def _from(finding: Finding) -> str:
    """Whose word a fix is when it came from a report rather than from fwguide."""
    return f"as {finding.fix_from}'s own report suggests"


def markdown_blocks(fleet: Fleet) -> list[Block]:
    """The table and findings for a wiki page or a pull request (fwguide.render.markdown escapes every cell)."""
    out: list[Block] = [Heading(f"Fleet: {summary(fleet)}", level=1), Table(header=header(fleet), rows=rows(fleet)),
                        Heading("Findings")]
    if not fleet.findings:
        out.append(text(f"None: {_all_clear(fleet)}.", lead="- "))
    for finding in fleet.findings:
        fix = ""
        if finding.fix:
            fix = f" Fix, {_from(finding)} (not checked by fwguide): " if finding.fix_from else " Fix: "
            fix += finding.fix
        out.append(text((finding.severity, "bold"), f" ({finding.kind}): {finding.message}.{fix}", lead="- "))
    return out
