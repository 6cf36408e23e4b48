"""What the API map's findings say about keeping or moving a project's code.

One walk of the project (fwguide.project.walk) leaves a `FileUse` per file: the frameworks it imports
and the API map entries it uses, with their lines. From those, `report` builds everything `fwguide
scan` prints, and `summarise` the short `legacy` summary `ask` carries in `project.legacy`.

The effort estimate counts; it does not guess hours. `stay` is what modernising in place takes: the
deprecated and removed APIs found, by effort class. `move` is what porting to the other framework
takes: every file that uses the framework, classed by the heaviest thing in it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import msgspec

from fwguide import frameworks
from fwguide.install.versions import version_tuple
from fwguide.project.models import ModelFile

if TYPE_CHECKING:
    from fwguide.rulebook.schema import ApiEntry

STATUSES = ("current", "deprecated", "removed")
EFFORTS = ("mechanical", "moderate", "rewrite")
ESTIMATE = ("An estimate in counts, not hours. stay: the deprecated and removed APIs the map knows, by what "
            "replacing them takes (each file counted once, under its heaviest class). move: every file that uses "
            "the framework: rewrite where it uses a rewrite-class API, mechanical where it reaches the framework "
            "only through Keras 3 (a backend switch) or configuration, moderate otherwise. Code that uses no API "
            "in the map counts only in move.")


class FileUse(msgspec.Struct, frozen=True, array_like=True):
    """One file of the walk: the frameworks its imports name ("keras" for Keras 3) and the map entries it uses."""

    path: str  # relative to the root, printable
    families: tuple[str, ...]
    apis: tuple[tuple[str, int], ...]  # (entry id, line)


class Finding(msgspec.Struct, frozen=True):
    file: str
    line: int
    api: str
    framework: str
    status: str
    since: str | None
    replacement: str
    effort: str
    source: str
    id: str
    last: str | None = None  # removed: the last version that has it
    package: str | None = None  # the distribution since/last belong to, when not the framework


class FrameworkUse(msgspec.Struct, frozen=True):
    files: int  # files that import the framework or use an API of it from the map
    findings: dict[str, int]  # status -> findings


class Ceiling(msgspec.Struct, frozen=True):
    framework: str
    version: str  # the newest release that still has every API below
    because: str
    package: str | None = None  # the version is this distribution's, not the framework's
    apis: list[str] = []  # entry ids
    files: int = 0


class EffortClass(msgspec.Struct, frozen=True):
    findings: int = 0
    files: int = 0


class StayEffort(msgspec.Struct, frozen=True):
    findings: int
    files: int
    mechanical: EffortClass
    moderate: EffortClass
    rewrite: EffortClass


class MoveEffort(msgspec.Struct, frozen=True):
    to: str
    files: int
    mechanical: EffortClass
    moderate: EffortClass
    rewrite: EffortClass


class Effort(msgspec.Struct, frozen=True):
    estimate: str
    stay: dict[str, StayEffort]
    move: dict[str, MoveEffort]


class ScanReport(msgspec.Struct, frozen=True):
    """Everything `fwguide scan` shows; its JSON is this, with schema_version first."""

    root: str
    complete: bool
    frameworks: dict[str, FrameworkUse]
    findings: list[Finding]
    ceilings: list[Ceiling]
    effort: Effort
    files_read: int = 0
    stopped: str | None = None
    models: list[ModelFile] = []  # trained-model files, found by name
    notes: list[str] = []


class LegacyFramework(msgspec.Struct, frozen=True):
    files: int  # files that use the framework
    removed_files: int  # files using an API its current releases no longer have
    rewrite_files: int  # files using a deprecated or removed API whose replacement means rewriting the code
    findings: dict[str, int]


class LegacyApi(msgspec.Struct, frozen=True):
    id: str
    api: str
    framework: str
    status: str
    effort: str
    since: str | None
    files: int
    findings: int
    last: str | None = None
    package: str | None = None


class Legacy(msgspec.Struct, frozen=True):
    """`project.legacy` in `ask --json`: the scan's findings in brief, for the recommendation to weigh."""

    frameworks: dict[str, LegacyFramework]
    apis: list[LegacyApi]  # deprecated and removed APIs found, the weightiest first
    ceilings: list[Ceiling]
    evidence: list[str]  # a few sentences, the weightiest first
    complete: bool  # the walk read every file it wanted


class _Tally:
    """The walk's records, each use resolved against the API map and each file against the frameworks."""

    def __init__(self, uses: Sequence[FileUse], entries: Mapping[str, ApiEntry], keras_family: str | None):
        self.entries = entries
        self.uses = [u for u in uses if u.families or u.apis]
        # The frameworks each file uses: its imports (Keras counted for its backend), then the APIs it uses.
        self.direct: dict[str, set[str]] = {}
        self.through: dict[str, set[str]] = {}  # reached only through Keras 3 or configuration
        for use in self.uses:
            own = {f for f in use.families if f != "keras"}
            via_keras = {keras_family} if "keras" in use.families and keras_family else set()
            from_map = {entries[e].framework for e, _ in use.apis if e in entries}
            self.direct[use.path] = own
            self.through[use.path] = (via_keras | from_map) - own

    def frameworks_of(self, use: FileUse) -> set[str]:
        return self.direct[use.path] | self.through[use.path]

    def found(self, use: FileUse, framework: str | None = None) -> list[tuple[ApiEntry, int]]:
        return [(self.entries[e], line) for e, line in use.apis
                if e in self.entries and (framework is None or self.entries[e].framework == framework)]

    def used(self) -> list[str]:
        """The frameworks any file uses, registered ones in registry order."""
        seen = {f for use in self.uses for f in self.frameworks_of(use)}
        return [f for f in frameworks.ids() if f in seen] + sorted(seen - set(frameworks.ids()))


def report(root: str, uses: Sequence[FileUse], entries: Mapping[str, ApiEntry], keras_family: str | None,
           files_read: int, stopped: str = "", models: Sequence[ModelFile] = (),
           notes: Sequence[str] = (), complete: bool | None = None) -> ScanReport:
    """The full report of `fwguide scan`; `complete` (default: not `stopped`) is False when anything went unread."""
    tally = _Tally(uses, entries, keras_family)
    findings = [Finding(file=use.path, line=line, api=entry.api, framework=entry.framework, status=entry.status,
                        since=entry.since, replacement=entry.replacement, effort=entry.effort, source=entry.source,
                        id=entry.id, last=entry.last, package=entry.package or None)
                for use in sorted(tally.uses, key=lambda u: u.path) for entry, line in tally.found(use)]
    return ScanReport(root=root, complete=not stopped if complete is None else complete,
                      frameworks=_framework_use(tally), findings=findings, ceilings=_ceilings(tally),
                      effort=_effort(tally), files_read=files_read,
                      stopped=stopped or None, models=list(models), notes=list(notes))


def summarise(uses: Sequence[FileUse], entries: Mapping[str, ApiEntry], keras_family: str | None,
              complete: bool) -> Legacy:
    """The `legacy` summary: per framework the files using it and those with removed or rewrite-class APIs."""
    tally = _Tally(uses, entries, keras_family)
    summary: dict[str, LegacyFramework] = {}
    for framework, use in _framework_use(tally).items():
        heavy = [(entry, u) for u in tally.uses for entry, _ in tally.found(u, framework) if entry.status != "current"]
        summary[framework] = LegacyFramework(
            files=use.files, removed_files=len({u.path for entry, u in heavy if entry.status == "removed"}),
            rewrite_files=len({u.path for entry, u in heavy if entry.effort == "rewrite"}), findings=use.findings)
    apis = _apis(tally)
    return Legacy(frameworks=summary, apis=apis, ceilings=_ceilings(tally), evidence=_evidence(apis),
                  complete=complete)


def _framework_use(tally: _Tally) -> dict[str, FrameworkUse]:
    out = {}
    for framework in tally.used():
        counts: Counter[str] = Counter(entry.status for use in tally.uses for entry, _ in tally.found(use, framework))
        files = sum(1 for use in tally.uses if framework in tally.frameworks_of(use))
        out[framework] = FrameworkUse(files=files, findings={status: counts[status] for status in STATUSES})
    return out


def _apis(tally: _Tally) -> list[LegacyApi]:
    """The deprecated and removed entries found: removed first, then rewrite-class, then the most files."""
    files: dict[str, set[str]] = {}
    uses: Counter[str] = Counter()
    for use in tally.uses:
        for entry, _ in tally.found(use):
            if entry.status != "current":
                files.setdefault(entry.id, set()).add(use.path)
                uses[entry.id] += 1
    found = [LegacyApi(id=e.id, api=e.api, framework=e.framework, status=e.status, effort=e.effort, since=e.since,
                       files=len(files[e.id]), findings=uses[e.id], last=e.last, package=e.package or None)
             for e in (tally.entries[i] for i in files)]
    return sorted(found, key=lambda a: (a.status != "removed", a.effort != "rewrite", -a.files, a.id))


def _product(entry: ApiEntry | LegacyApi) -> str:
    return entry.package or frameworks.title(entry.framework)


def _evidence(apis: Iterable[LegacyApi]) -> list[str]:
    """A sentence for each of the (at most three) weightiest APIs: removed ones and rewrite-class ones."""
    sentences = []
    for api in apis:
        if api.status != "removed" and api.effort != "rewrite":
            continue
        many = api.files != 1
        uses = f"{api.files} file{'s use' if many else ' uses'} {api.api}"
        product = _product(api)
        when = (f"removed in {product} {api.since}" if api.status == "removed" else
                f"deprecated since {product} {api.since}" if api.since else f"deprecated in {product}")
        they = "they need" if many else "it needs"
        consequence = (f"{they} rewriting either way" if api.effort == "rewrite" else
                       f"{'they hold' if many else 'it holds'} {product} at {api.last} until "
                       f"{'they change' if many else 'it changes'}")
        sentences.append(f"{uses}, {when}: {consequence}")
    return sentences[:3]


def _ceilings(tally: _Tally) -> list[Ceiling]:
    """The newest release each framework (or package) can have while removed APIs are still used."""
    groups: dict[tuple[str, str, str], dict[str, set[str]]] = {}  # (framework, package, last) -> entry id -> files
    for use in tally.uses:
        for entry, _ in tally.found(use):
            if entry.status == "removed" and entry.last:
                group = groups.setdefault((entry.framework, entry.package, entry.last), {})
                group.setdefault(entry.id, set()).add(use.path)
    order = {f: i for i, f in enumerate(frameworks.ids())}
    ceilings = []
    for (framework, package, last), found in sorted(groups.items(), key=lambda item: (
            order.get(item[0][0], len(order)), item[0][1], version_tuple(item[0][2]))):
        entries = [tally.entries[i] for i in sorted(found)]
        product = _product(entries[0])
        since = sorted({e.since for e in entries if e.since}, key=version_tuple)
        files = set().union(*found.values())
        because = (f"{', '.join(e.api for e in entries)}: removed in {product} {' / '.join(since)}, used in "
                   f"{len(files)} file{'s' if len(files) != 1 else ''}")
        ceilings.append(Ceiling(framework=framework, version=last, because=because, package=package or None,
                                apis=[e.id for e in entries], files=len(files)))
    return ceilings


def _heaviest(efforts: Iterable[str], floor: str = "mechanical") -> str:
    return max([floor, *efforts], key=EFFORTS.index)


def _effort(tally: _Tally) -> Effort:
    stay, move = {}, {}
    for framework in tally.used():
        classes: dict[str, Counter[str]] = {effort: Counter() for effort in EFFORTS}
        for use in tally.uses:
            found = [entry for entry, _ in tally.found(use, framework) if entry.status != "current"]
            if found:
                for entry in found:
                    classes[entry.effort]["findings"] += 1
                classes[_heaviest(e.effort for e in found)]["files"] += 1
        per_class = {effort: EffortClass(**counts) for effort, counts in classes.items()}
        stay[framework] = StayEffort(findings=sum(c.findings for c in per_class.values()),
                                     files=sum(c.files for c in per_class.values()), **per_class)
        other = next((f for f in frameworks.DECISION if f != framework), None)
        if framework in frameworks.DECISION and other is not None:
            move[framework] = _move(tally, framework, other)
    return Effort(estimate=ESTIMATE, stay=stay, move=move)


def _move(tally: _Tally, framework: str, other: str) -> MoveEffort:
    classes: dict[str, Counter[str]] = {effort: Counter() for effort in EFFORTS}
    for use in tally.uses:
        if framework not in tally.frameworks_of(use):
            continue
        found = tally.found(use, framework)
        floor = "moderate" if framework in tally.direct[use.path] else "mechanical"
        heaviest = _heaviest((entry.effort for entry, _ in found), floor)
        classes[heaviest]["files"] += 1
        classes[heaviest]["findings"] += len(found)
    per_class = {effort: EffortClass(**counts) for effort, counts in classes.items()}
    return MoveEffort(to=other, files=sum(c.files for c in per_class.values()), **per_class)


# A framework's code is legacy when at least this share of the files using it holds an API whose
# replacement means rewriting: keeping that code saves little, since it is rewritten either way.
LEGACY_SHARE = 0.5


def project_facts(legacy: Legacy | None) -> dict[str, str]:
    """The project facts a weight rule may name ("tensorflow-code-legacy"), each with its evidence in words."""
    found: dict[str, str] = {}
    if legacy is None:
        return found
    for framework, use in legacy.frameworks.items():
        if framework not in frameworks.DECISION or not use.files or use.rewrite_files < LEGACY_SHARE * use.files:
            continue
        sentence = next((s for s, api in zip(_evidence(legacy.apis), _weighty(legacy.apis), strict=True)
                         if api.framework == framework), "")
        share = (f"{use.rewrite_files} of {use.files} files using {frameworks.title(framework)} "
                 "need rewriting either way")
        found[f"{framework}-code-legacy"] = sentence or share
    return found


def _weighty(apis: Iterable[LegacyApi]) -> list[LegacyApi]:
    """The APIs `_evidence` speaks of, in its order."""
    return [api for api in apis if api.status == "removed" or api.effort == "rewrite"][:3]
