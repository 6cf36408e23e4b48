"""Checks a typed schema cannot express: references, uniqueness, the answers contract.

The contract is data: the built-in questions marked `contract: true` (the answer ids of docs/design.md);
a rulebook may add questions and choices, never drop or change those.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fwguide import frameworks
from fwguide.frameworks import DECISION
from fwguide.install.versions import version_tuple
from fwguide.rulebook.lookup import normalize_name
from fwguide.rulebook.names import CHECKS, FACTS, FACTS_KEY, TARGET_ROOTS
from fwguide.rulebook.parse import Problem, dotted, locate, parse_path
from fwguide.rulebook.schema import Alternative, ApiEntry, Category, InstallOption, Question, Rulebook, Split
from fwguide.rulebook.yamlsource import LineDict
from fwguide.safetext import one_line

_ID = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
_PEAK_KEYS = {"fp32", "tf32", "bf16", "fp16"}


class _Reporter:
    def __init__(self, origins: dict[int, LineDict], sources: list[str]):
        self.origins = origins
        self.last_file = Path(sources[-1] if sources else "<rulebook>")  # a team's own file when it has one
        # A team's files are shown as given, which is how sources list them; built-in ones are shown relative.
        self.rank = {one_line(source): index for index, source in enumerate(sources)}
        self.problems: list[Problem] = []

    def whole(self, section: list[Any], field: str, expected: str) -> None:
        """A problem of a whole section, shown against the file of its first item."""
        holder = next((self.origins[id(item)].file for item in section if id(item) in self.origins), self.last_file)
        self.problems.append(Problem(holder, None, field, expected))

    def add(self, item: object, field: str, expected: str) -> None:
        """A problem at `field` of an item (`scoring.rules[2].when`), at the line of its deepest existing part."""
        path = parse_path(field)
        origin = self.origins.get(id(item))
        where, line = locate(origin, path) if origin is not None else (Path("<rulebook>"), None)
        problem = Problem(where, line, dotted(path), expected)
        if problem not in self.problems:
            self.problems.append(problem)

    def layer(self, item: object, field: str) -> int:
        """How late the file that set `field` of `item` comes: -1 for the built-in rulebook, else a team file's
        place."""
        origin = self.origins.get(id(item))
        return self.rank.get(str(locate(origin, parse_path(field))[0]), -1) if origin is not None else -1


def semantic_problems(rulebook: Rulebook, origins: dict[int, LineDict], contract: list[Question]) -> list[Problem]:
    """Every problem beyond the types; `contract`: the questions (and their choices) a rulebook must keep."""
    report = _Reporter(origins, rulebook.sources)
    questions = {q.id: q for q in rulebook.questions}
    for question in rulebook.questions:
        _check_question(question, report)
    for promised in contract:
        kept = questions.get(promised.id)
        if kept is None:
            report.whole(rulebook.questions, "questions",
                         f"{promised.id!r} is required by the answers contract but missing")
            continue
        missing = {c.id for c in promised.choices} - {c.id for c in kept.choices}
        if kept.kind != promised.kind:
            report.add(kept, "kind", f"expected {promised.kind!r} (the answers contract)")
        if missing:
            report.add(kept, "choices", f"missing contract choices: {', '.join(sorted(missing))}")
    names: dict[str, tuple[Category, str, str]] = {}  # each name's first holder, with the field and name as written
    for category in rulebook.categories:
        _check_category(category, questions, names, report)
    _check_install(rulebook, report)
    routes: list[Alternative | Split] = [*rulebook.alternatives, *rulebook.splits]
    for alternative in routes:
        _check_alternative(alternative, questions, report)
    _check_apis(rulebook, report)
    for device in rulebook.devices:
        bad = set(device.peaks) - _PEAK_KEYS
        if bad:
            report.add(device, "peaks", f"unknown precision {', '.join(sorted(bad))} (expected fp32, tf32, bf16, fp16)")
    return report.problems


def _check_question(question: Question, report: _Reporter) -> None:
    if not _ID.match(question.id):
        report.add(question, "id", "expected lower-case letters, digits, '-' or '_'")
    choice_ids = [c.id for c in question.choices]
    if len(set(choice_ids)) != len(choice_ids):
        report.add(question, "choices", "duplicate choice id")
    if question.kind == "yesno":
        if question.choices:
            report.add(question, "choices", "a yes/no question has no choices")
        if not isinstance(question.default, bool):
            report.add(question, "default", "expected true or false")
        return
    if not question.choices:
        report.add(question, "choices", "expected at least one choice")
    defaults = question.default if isinstance(question.default, list) else [question.default]
    if question.kind == "one" and isinstance(question.default, list):
        report.add(question, "default", "expected one choice, not a list")
    for value in defaults:
        if value not in choice_ids:
            report.add(question, "default", f"{value!r} is not one of its choices")
    for value in question.exclusive:
        if value not in choice_ids:
            report.add(question, "exclusive", f"{value!r} is not one of its choices")
    for old, renamed in question.renamed.items():
        for value in (renamed.to, *renamed.split_into):
            if value not in choice_ids:
                report.add(question, f"renamed.{old}", f"{value!r} is not one of its choices")


def _check_category(category: Category, questions: dict[str, Question], names: dict[str, tuple[Category, str, str]],
                    report: _Reporter) -> None:
    if not _ID.match(category.id):
        report.add(category, "id", "expected lower-case letters, digits and '-'")
    if category.kind != "new" and category.seed is None:
        report.add(category, "seed", "an article category needs the article's verdict (seed)")
    for index, name in enumerate([category.id, category.title, *category.aliases]):
        key = normalize_name(name)
        field = ("id", "title")[index] if index < 2 else f"aliases[{index - 2}]"
        first = names.setdefault(key, (category, field, name))
        if not key:
            report.add(category, field, "an alias cannot be empty")
        elif first[0].id != category.id:
            # Blame the name a later file brought (a team's over the built-in rulebook): that is the one to change.
            if report.layer(first[0], first[1]) > report.layer(category, field):
                report.add(first[0], first[1], f"{first[2]!r} already names category {category.id!r}")
            else:
                report.add(category, field, f"{name!r} already names category {first[0].id!r}")
    for index, evidence in enumerate(category.current.evidence):
        if not evidence.source.startswith(("https://", "http://")):
            report.add(category, f"current.evidence[{index}].source", "expected a URL")
    if not category.current.evidence:
        report.add(category, "current.evidence", "today's verdict needs at least one evidence item with a source")
    for index in range(len(category.checks)):
        _check_check(category, index, report)
    for index, snippet in enumerate(category.snippets):
        if not snippet.pytorch.strip() or not snippet.tensorflow.strip():
            report.add(category, f"snippets[{index}]", "expected code for both frameworks")
    for index, rule in enumerate(category.scoring.rules):
        for problem in _when_problems(rule.when, questions):
            report.add(category, f"scoring.rules[{index}].when", problem)
        for problem in _when_problems(rule.unless, questions) if rule.unless else ():
            report.add(category, f"scoring.rules[{index}].unless", problem)
        if rule.hard and not rule.constraint.strip():
            report.add(category, f"scoring.rules[{index}].constraint",
                       "a hard rule needs its constraint in one sentence")
        winner = rule.winner or category.current.winner
        if rule.hard and winner == "tie":
            report.add(category, f"scoring.rules[{index}].winner", "a hard constraint must name pytorch or tensorflow")
        if rule.weight < 0:
            report.add(category, f"scoring.rules[{index}].weight", "expected a weight >= 0")


def _check_check(category: Category, index: int, report: _Reporter) -> None:
    check = category.checks[index]
    at = f"checks[{index}]"
    spec = CHECKS.get(check.check)
    if spec is None:
        report.add(category, f"{at}.check", f"unknown check {check.check!r} (known: {', '.join(sorted(CHECKS))})")
        return
    if check.framework not in spec.frameworks:
        report.add(category, f"{at}.framework", f"{check.check} is not available for {check.framework}")
    if spec.needs_target and not check.target:
        report.add(category, f"{at}.target", f"{check.check} needs a target")
    elif not spec.needs_target and check.target:
        report.add(category, f"{at}.target", f"{check.check} takes no target")
    elif check.check in {"has_attr", "module_importable"} and check.target:
        roots = TARGET_ROOTS[check.framework]
        if check.target.split(".")[0] not in roots or not re.fullmatch(r"[A-Za-z_][\w.]*", check.target):
            report.add(category, f"{at}.target", f"expected a dotted name starting with {' or '.join(roots)}")


def _when_problems(when: dict, questions: dict[str, Question]) -> Iterator[str]:
    if not when:
        yield "expected at least one condition"
    for key, value in when.items():
        if key == FACTS_KEY:
            for fact in value if isinstance(value, list) else [value]:
                if fact not in FACTS:
                    yield f"unknown fact {fact!r} (known: {', '.join(FACTS)})"
            continue
        question = questions.get(key)
        if question is None:
            yield f"unknown question id {key!r}"
        elif question.kind == "yesno":
            if not isinstance(value, bool):
                yield f"{key} is a yes/no question: expected true or false"
        else:
            choice_ids = {c.id for c in question.choices}
            for choice in value if isinstance(value, list) else [value]:
                if choice not in choice_ids:
                    yield f"{choice!r} is not a choice of {key}"


def _check_alternative(alternative: Alternative | Split, questions: dict[str, Question], report: _Reporter) -> None:
    """An alternative or a split route: an id, a source URL, and conditions that name real questions and choices."""
    if not _ID.match(alternative.id):
        report.add(alternative, "id", "expected lower-case letters, digits, '-' or '_'")
    if not alternative.source.startswith(("https://", "http://")):
        report.add(alternative, "source", "expected a URL")
    for field, conditions in (("when", alternative.when), ("unless", getattr(alternative, "unless", {}))):
        for problem in _when_problems(conditions, questions) if conditions else ():
            report.add(alternative, field, problem)


_RELEASE = re.compile(r"^\d+(\.\d+){0,2}$")


def _check_install(rulebook: Rulebook, report: _Reporter) -> None:
    for framework in DECISION:
        for os_name in ("linux", "windows", "macos"):
            if not any(o.framework == framework and os_name in o.os and o.compute == "cpu" for o in rulebook.install):
                report.whole(rulebook.install, "install",
                             f"no CPU install command for {framework} on {os_name} (the fallback)")
    keys = {f.install_id for f in frameworks.known()}
    for option in rulebook.install:
        if option.framework not in keys:
            report.add(option, "framework",
                       f"unknown framework {option.framework!r} (known: {', '.join(sorted(keys))})")
        for field in ("cuda", "min_driver_cuda", "min_driver", "min_compute_capability", "max_compute_capability",
                      "last_release", "min_macos", "max_rocm"):
            value = getattr(option, field)
            if value is not None and not _RELEASE.match(value):
                report.add(option, field, f"expected a release number such as 12.6, not {value!r}")
        for field in ("source", "known_issue", "index_url"):
            if getattr(option, field) and not getattr(option, field).startswith(("https://", "http://")):
                report.add(option, field, "expected a URL")
        _check_install_entry(option, report)


def _check_install_entry(option: InstallOption, report: _Reporter) -> None:
    """A CUDA entry's compatibility fields agree with each other and with its command."""
    low, high = option.min_compute_capability, option.max_compute_capability
    if low and high and _RELEASE.match(low) and _RELEASE.match(high) and version_tuple(low) > version_tuple(high):
        report.add(option, "max_compute_capability", f"expected {low} (min_compute_capability) or newer")
    if option.compute != "cuda":
        for field in ("cuda", "min_driver_cuda", "min_driver", "min_compute_capability", "max_compute_capability"):
            if getattr(option, field) is not None:
                report.add(option, field, f"only a CUDA entry has {field} (this one is {option.compute})")
    elif option.min_driver and not option.min_driver_cuda:
        report.add(option, "min_driver_cuda", "expected the CUDA version min_driver stands for")
    if option.index_url and f"--index-url {option.index_url}" not in option.command:
        report.add(option, "command", f"expected --index-url {option.index_url} (its index_url)")
    if option.last_release:
        pin = f"{option.package or '?'}=={option.last_release}"
        if not option.package:
            report.add(option, "package", "a last_release needs the package the command pins")
        elif pin not in option.command:
            report.add(option, "command", f'expected it to pin {pin} (its last_release), e.g. "{pin}.*"')


_DOTTED = re.compile(r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*$")
_WORD = re.compile(r"^[A-Za-z_]\w{3,}$")
_ARGUMENT = re.compile(r"^[A-Za-z_]\w*=[\w.-]+$")
_API_VERSION = re.compile(r"^\d+(?:\.\d+){0,2}$")  # since / last: 2.16, 0.10


def _check_apis(rulebook: Rulebook, report: _Reporter) -> None:
    """The API map: known frameworks, sources, a ceiling for what was removed, names `scan` can look for."""
    claimed: dict[str, str] = {}  # a module or attribute path -> the entry that matches it
    for entry in rulebook.apis:
        if not _ID.match(entry.id):
            report.add(entry, "id", "expected lower-case letters, digits, '-' or '_'")
        if entry.framework not in frameworks.ids():
            report.add(entry, "framework",
                       f"unknown framework {entry.framework!r} (known: {', '.join(frameworks.ids())})")
        if not entry.source.startswith(("https://", "http://")):
            report.add(entry, "source", "expected a URL")
        if entry.status != "current" and not entry.replacement.strip():
            report.add(entry, "replacement", f"a {entry.status} API needs its replacement")
        if entry.status == "removed" and not (entry.since and entry.last):
            field = "last" if entry.since else "since"
            report.add(entry, field, "a removed API needs the version it was removed in (since) and the last "
                                     "version that has it (last), the ceiling")
        elif entry.status != "removed" and entry.last:
            report.add(entry, "last", "only a removed API has a last version")
        for field in ("since", "last"):
            version = getattr(entry, field)
            if version and not _API_VERSION.match(version):
                report.add(entry, field, f"expected a version such as 2.16, got {version!r}")
        _check_api_match(entry, claimed, report)


def _check_api_match(entry: ApiEntry, claimed: dict[str, str], report: _Reporter) -> None:
    match = entry.match
    if not (match.module or match.attribute or match.literal):
        report.add(entry, "match", "expected at least one of module, attribute or literal")
    for kind, names in (("module", match.module), ("attribute", match.attribute), ("literal", match.literal)):
        for index, name in enumerate(names):
            if not (_WORD if kind == "literal" else _DOTTED).match(name):
                report.add(entry, f"match.{kind}[{index}]", "expected a word of at least 4 letters, digits or _"
                           if kind == "literal" else "expected a dotted Python name (tensorflow.compat.v1)")
            elif kind != "literal" and claimed.setdefault(name, entry.id) != entry.id:
                report.add(entry, f"match.{kind}[{index}]", f"{name!r} is already matched by {claimed[name]!r}")
    if match.argument and not (_ARGUMENT.match(match.argument) and match.attribute):
        report.add(entry, "match.argument", "expected name=value (dynamo=False), with the attribute it is passed to")
