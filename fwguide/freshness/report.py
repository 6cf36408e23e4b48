"""`rules freshness`: each package the rulebook was checked against beside its newest release on the index,
and the verdicts older than STALE_MONTHS months."""

from __future__ import annotations

import datetime
import re
from collections import Counter
from collections.abc import Callable, Iterable

import msgspec

from fwguide.errors import ExitCode, FwguideError
from fwguide.freshness import age_text, is_old
from fwguide.freshness.index import Answer, ask_index
from fwguide.rulebook.schema import Rulebook

PARALLEL = 6  # queries at once: each is a Python process of its own


class OldVerdict(msgspec.Struct, frozen=True):
    category: str
    title: str
    as_of: datetime.date
    age_days: int
    age: str  # in words: "14 months ago"


def old_verdicts(rulebook: Rulebook, today: datetime.date | None = None) -> list[OldVerdict]:
    """Every category whose verdict is more than STALE_MONTHS months old."""
    today = today or datetime.date.today()
    return [OldVerdict(c.id, c.title, c.current.as_of, (today - c.current.as_of).days, age_text(c.current.as_of, today))
            for c in rulebook.categories if is_old(c.current.as_of, today)]


class Baseline(msgspec.Struct, frozen=True):
    """A package, the release the rulebook was checked against, when, and where that is recorded."""

    package: str
    version: str
    date: datetime.date
    where: str  # "install table (PyTorch)", "rulebook header"


def checked_packages(rulebook: Rulebook) -> list[Baseline]:
    """The install table's newest checked release per framework, then the header's cited packages.

    A framework's package is the one most of its entries install (torch, tensorflow, jax); the
    header's entry for a package wins over the table's.
    """
    from fwguide import frameworks
    from fwguide.install.versions import version_tuple

    found: dict[str, Baseline] = {}
    for framework in dict.fromkeys(o.framework for o in rulebook.install if o.checked is not None):
        entries = [o for o in rulebook.install if o.framework == framework and o.checked is not None]
        package = Counter(o.package for o in entries if o.package).most_common(1)
        newest = max((o.checked for o in entries if o.checked), key=lambda c: version_tuple(c.version))
        name = package[0][0] if package else framework
        found[name] = Baseline(name, newest.version, newest.date, f"install table ({frameworks.title(framework)})")
    for name, checked in rulebook.meta.checked.items():
        found[name] = Baseline(name, checked.version, checked.date, "rulebook header")
    return list(found.values())


def release(text: str) -> tuple[int, ...]:
    """The release numbers of a version: '2.13.0+cpu' -> (2, 13, 0); '1!2.0.post1' -> (2, 0); '' -> ()."""
    # ASCII digit runs of a sane length: the index's answer is outside text (int() of 5,000 digits raises)
    match = re.match(r"\s*v?(?:[0-9]{1,9}!)?([0-9]{1,9}(?:\.[0-9]{1,9})*)", text)
    return tuple(int(n) for n in match.group(1).split(".")) if match else ()


def newer(latest: str, checked: str) -> bool:
    """Whether `latest` is a newer release than `checked`, at the precision `checked` is written in."""
    want = release(checked)
    have = release(latest)[:len(want)] if want else release(latest)
    return have + (0,) * (len(want) - len(have)) > want


class Entry(msgspec.Struct, frozen=True):
    package: str
    checked: str
    checked_on: datetime.date
    where: str
    latest: str | None
    stale: bool | None  # None: not known (the index has no release of it for any platform asked)
    note: str = ""


class Freshness(msgspec.Struct, frozen=True):
    rulebook: str  # its version
    as_of: datetime.date
    python: str
    chosen_by: str
    index: tuple[str, ...]  # where the interpreter's pip looked
    entries: list[Entry]
    old_verdicts: list[OldVerdict]
    today: datetime.date

    @property
    def stale(self) -> bool:
        return any(e.stale for e in self.entries) or bool(self.old_verdicts)

    @property
    def exit_code(self) -> int:
        return int(ExitCode.PROBLEM if self.stale else ExitCode.OK)


def _entry(checked: Baseline, answer: Answer) -> Entry:
    if answer.status != "found" or answer.latest is None:
        return Entry(checked.package, checked.version, checked.date, checked.where, None, None,
                     "no release on the index for any platform asked")
    note = "only wheels for other platforms than this interpreter's" if answer.other_platform else ""
    return Entry(checked.package, checked.version, checked.date, checked.where, answer.latest,
                 newer(answer.latest, checked.version), note)


def _unreachable(python: str, answers: Iterable[Answer]) -> FwguideError | None:
    """The one error to show when the index could not be asked, or None."""
    answers = list(answers)
    for status, message, hint in (
        ("no-pip", f"{python} has no pip: `{python} -m pip` fails", "install pip there (python -m ensurepip), or "
                                                                  "pass --python with an interpreter that has it"),
        ("old-pip", f"{python}'s pip is too old for `pip index versions` (it needs pip 21.2 or newer)",
         f"{python} -m pip install --upgrade pip"),
        ("unreachable", f"cannot reach the package index from {python}'s pip (offline?)",
         "check the network, or the index your pip configuration names (pip config list)"),
    ):
        failed = next((a for a in answers if a.status == status), None)
        if failed is not None:
            reason = f": {failed.reason}" if failed.reason and status == "unreachable" else ""
            return FwguideError(message + reason, hint=hint, exit_code=ExitCode.USAGE)
    if answers and all(a.status == "missing" for a in answers):
        return FwguideError(f"the package index that {python}'s pip uses lists none of the {len(answers)} packages "
                            "the rulebook was checked against (offline, or another index?)",
                            hint="check the index your pip configuration names (pip config list)",
                            exit_code=ExitCode.USAGE)
    return None


def check(rulebook: Rulebook, python: str, chosen_by: str, progress: Callable[[int, int], None] = lambda d, t: None,
          today: datetime.date | None = None) -> Freshness:
    """Ask the index about every package the rulebook was checked against, PARALLEL at a time.

    FwguideError (exit 2) when the index cannot be asked: unreachable, no pip, a pip without `index`.
    """
    import threading

    from fwguide.probe.children import kill_all, run_in_threads

    wanted = checked_packages(rulebook)
    answers: dict[str, Answer] = {}
    pending = list(reversed(wanted))
    lock, give_up = threading.Lock(), threading.Event()

    def work() -> None:
        while not give_up.is_set():
            with lock:
                if not pending:
                    return
                item = pending.pop()
            answer = ask_index(python, item.package)
            with lock:
                answers[item.package] = answer
                progress(len(answers), len(wanted))
            if answer.status not in ("found", "missing"):
                give_up.set()  # the same index and pip answer every query: the rest would fail alike

    run_in_threads([work] * min(PARALLEL, len(wanted)), "fwguide-freshness", kill_all)
    error = _unreachable(python, answers.values())
    if error is not None:
        raise error
    index = tuple(dict.fromkeys(where for c in wanted for where in answers[c.package].locations))
    return Freshness(rulebook.meta.version, rulebook.meta.as_of, python, chosen_by, index,
                     [_entry(c, answers[c.package]) for c in wanted], old_verdicts(rulebook, today),
                     today or datetime.date.today())
