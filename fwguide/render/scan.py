"""The view of `fwguide scan`: frameworks used, version ceilings, the APIs found and where, the effort estimate.

Laid out as blocks (fwguide.render.layout), so the same view is drawn plain, rich or as Markdown for a
pull request; tables that would not fit the width are stacked, never cut. Every file name and path
comes from the project and is made printable by the layout and escaped by the Markdown backend.
"""

from __future__ import annotations

from collections import Counter

from fwguide import frameworks
from fwguide.project.legacy import EFFORTS, STATUSES, EffortClass, Finding, ScanReport
from fwguide.render.layout import BLANK, Block, Heading, Table, text

SCREEN_ROWS = 100  # findings listed on a screen; --json has them all
MARKDOWN_ROWS = 300  # and in a pull request comment, which has a size limit
_STATUS_STYLE = {"removed": "bold red", "deprecated": "yellow", "current": "green"}


def scan_blocks(report: ScanReport, unicode: bool = True, markdown: bool = False) -> list[Block]:
    at_most = "≤" if unicode or markdown else "<="
    blocks: list[Block] = [Heading("Framework APIs in this project", level=2), text(("folder: ", "bold"), report.root),
                           _summary(report), BLANK]
    if report.frameworks:
        blocks += [_frameworks(report), BLANK]
    if report.ceilings:
        rows = [(f"{_product(c.framework, c.package)} {at_most} {c.version}", c.because) for c in report.ceilings]
        blocks += [Table("Version ceilings", ("ceiling", "because"), rows), BLANK]
    if report.findings:
        blocks += [_apis(report), BLANK, _where(report.findings, MARKDOWN_ROWS if markdown else SCREEN_ROWS), BLANK]
    if report.frameworks:
        blocks += [_effort(report, "→" if unicode or markdown else "->"), BLANK]
    if report.models:
        blocks += [Table("Trained models (by file name)", ("file", "what"), [(m.path, m.what) for m in report.models]),
                   BLANK]
    blocks += [text((note, "dim"), lead="- ") for note in report.notes]
    return blocks


def _summary(report: ScanReport) -> Block:
    apis = len({f.id for f in report.findings})
    found = (f"{_count(len(report.findings), 'use')} of {_count(apis, 'API')} in the rulebook's API map"
             if report.findings else "no use of an API in the rulebook's API map")
    said = f"{_count(report.files_read, 'file')} read; {found}"
    return text(said + ("; incomplete: the notes at the end say what was not read" if not report.complete else ""))


def _product(framework: str, package: str | None = None) -> str:
    return package or frameworks.title(framework)


def _frameworks(report: ScanReport) -> Table:
    rows = [(frameworks.title(name), str(use.files), *(str(use.findings.get(s, 0)) for s in STATUSES))
            for name, use in report.frameworks.items()]
    return Table("Frameworks", ("framework", "files", *STATUSES), rows)


def _status(finding: Finding) -> str:
    product = _product(finding.framework, finding.package)
    if finding.status == "removed":
        return f"removed in {product} {finding.since}"
    if finding.status == "deprecated":
        return f"deprecated since {product} {finding.since}" if finding.since else "deprecated"
    return "current"


def _apis(report: ScanReport) -> Table:
    """One row per API found: what became of it, how often it is used, and what replaces it."""
    first: dict[str, Finding] = {}
    uses: Counter[str] = Counter()
    files: dict[str, set[str]] = {}
    for finding in report.findings:
        first.setdefault(finding.id, finding)
        uses[finding.id] += 1
        files.setdefault(finding.id, set()).add(finding.file)
    order = sorted(first.values(), key=lambda f: (-STATUSES.index(f.status), -uses[f.id], f.api))
    rows = [(f.api, _status(f), f"{_count(uses[f.id], 'use')} in {_count(len(files[f.id]), 'file')}", f.effort,
             f.replacement or "-", f.source) for f in order]
    return Table("APIs found", ("API", "status", "found", "effort", "replacement", "source"), rows,
                 marks={word: style for word, style in _STATUS_STYLE.items()})


def _where(findings: list[Finding], limit: int) -> Table:
    rows = [(f"{f.file}:{f.line}", f.api, f.status) for f in findings[:limit]]
    notes = ([f"{len(findings) - limit} more not listed here: fwguide scan --json lists every one"]
             if len(findings) > limit else [])
    return Table("Where", ("file:line", "API", "status"), rows, notes=notes, marks=dict(_STATUS_STYLE))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"


def _cell(effort: EffortClass, findings: bool = True) -> str:
    """"3 uses in 2 files"; a class whose files all count under a heavier one shows its uses alone."""
    if not findings or not effort.findings:
        return _count(effort.files, "file") if effort.files else "-"
    return _count(effort.findings, "use") + (f" in {_count(effort.files, 'file')}" if effort.files else "")


def _effort(report: ScanReport, arrow: str) -> Table:
    """Stay (modernise in place) and move (port) per framework, in uses and files per effort class."""
    rows = []
    for name, stay in report.effort.stay.items():
        classes = [_cell(getattr(stay, effort)) for effort in EFFORTS]
        total = _cell(EffortClass(stay.findings, stay.files)) if stay.files else "nothing to change"
        rows.append((f"stay on {frameworks.title(name)}", *classes, total))
        move = report.effort.move.get(name)
        if move is not None:
            classes = [_cell(getattr(move, effort), findings=False) for effort in EFFORTS]
            rows.append((f"move {frameworks.title(name)} {arrow} {frameworks.title(move.to)}", *classes,
                         _count(move.files, "file")))
    return Table("Effort estimate (counts, not hours)", ("", *EFFORTS, "total"), rows,
                 notes=[report.effort.estimate])
