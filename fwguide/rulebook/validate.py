"""Checks a typed schema cannot express: references, uniqueness, the answer-id contract."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from fwguide.rulebook.parse import Origin, Problem
from fwguide.rulebook.lookup import normalize_name
from fwguide.rulebook.names import CHECKS, FACTS_KEY, PROBE_FACTS, TARGET_ROOTS
from fwguide.rulebook.schema import Alternative, Category, Question, Rulebook

# The answer ids and choices DESIGN.md promises; a rulebook may add more, never fewer.
REQUIRED_QUESTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "scale": ("one", ("learning", "research", "startup", "enterprise")),
    "deploy": ("many", ("none", "python-server", "high-traffic-serving", "jvm-service", "cpp-runtime",
                        "mobile-android", "mobile-ios", "browser", "microcontroller", "edge-tpu", "edge-gpu",
                        "edge-cpu")),
    "hardware": ("many", ("cpu", "nvidia-gpu", "multi-gpu", "amd-gpu", "apple-silicon", "tpu")),
    "os": ("one", ("linux", "windows", "macos")),
    "experience": ("one", ("none", "python-numpy", "pytorch", "tensorflow")),
    "existing_code": ("one", ("none", "pytorch", "tensorflow", "both")),
    "workload": ("one", ("train-own", "fine-tune", "inference-only")),
    "model_family": ("one", ("llm-transformers", "vision", "audio-speech", "tabular", "recommender",
                             "reinforcement", "dynamic-structures", "other")),
    "pipeline": ("yesno", ()),
    "custom_kernels": ("yesno", ()),
    "visualization": ("yesno", ()),
}
_ID = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
_PEAK_KEYS = {"fp32", "tf32", "bf16", "fp16"}


class _Reporter:
    def __init__(self, origins: dict[int, Origin]):
        self.origins = origins
        self.problems: list[Problem] = []

    def whole(self, rulebook: Rulebook, field: str, expected: str) -> None:
        """A problem of the rulebook as a whole, shown against the file that holds its questions."""
        holder = next((self.origins[id(q)].path for q in rulebook.questions if id(q) in self.origins), None)
        self.problems.append(Problem(holder or Path(rulebook.sources[0] if rulebook.sources else "<rulebook>"), None, field, expected))

    def add(self, item: object, field: str, expected: str, sub_path: str = "") -> None:
        from fwguide.rulebook.yamlsource import line_of

        origin = self.origins.get(id(item))
        if origin is None:
            self.problems.append(Problem(Path("<rulebook>"), None, field, expected))
            return
        line, _ = line_of(origin.raw, "$" + sub_path) if sub_path else (origin.raw.line, "")
        self.problems.append(Problem(origin.path, line, field, expected))


def semantic_problems(rulebook: Rulebook, origins: dict[int, Origin]) -> list[Problem]:
    report = _Reporter(origins)
    questions = {q.id: q for q in rulebook.questions}
    for question in rulebook.questions:
        _check_question(question, report)
    for qid, (kind, choices) in REQUIRED_QUESTIONS.items():
        question = questions.get(qid)
        if question is None:
            report.whole(rulebook, f"questions: {qid}", "required by the answers contract but missing")
            continue
        missing = set(choices) - {c.id for c in question.choices}
        if question.kind != kind:
            report.add(question, f"questions: {qid}.kind", f"expected {kind!r} (the answers contract)", ".kind")
        if missing:
            report.add(question, f"questions: {qid}.choices", f"missing contract choices: {', '.join(sorted(missing))}", ".choices")
    names: dict[str, str] = {}
    for category in rulebook.categories:
        _check_category(category, questions, names, report)
    _check_install(rulebook, report)
    for alternative in rulebook.alternatives:
        _check_alternative(alternative, questions, report)
    for device in rulebook.devices:
        bad = set(device.peaks) - _PEAK_KEYS
        if bad:
            report.add(device, f"devices: {device.name}.peaks", f"unknown precision {', '.join(sorted(bad))} (expected fp32, tf32, bf16, fp16)", ".peaks")
    return report.problems


def _check_question(question: Question, report: _Reporter) -> None:
    where = f"questions: {question.id}"
    if not _ID.match(question.id):
        report.add(question, f"{where}.id", "expected lower-case letters, digits, '-' or '_'", ".id")
    choice_ids = [c.id for c in question.choices]
    if len(set(choice_ids)) != len(choice_ids):
        report.add(question, f"{where}.choices", "duplicate choice id", ".choices")
    if question.kind == "yesno":
        if question.choices:
            report.add(question, f"{where}.choices", "a yes/no question has no choices", ".choices")
        if not isinstance(question.default, bool):
            report.add(question, f"{where}.default", "expected true or false", ".default")
        return
    if not question.choices:
        report.add(question, f"{where}.choices", "expected at least one choice", ".choices")
    defaults = question.default if isinstance(question.default, list) else [question.default]
    if question.kind == "one" and isinstance(question.default, list):
        report.add(question, f"{where}.default", "expected one choice, not a list", ".default")
    for value in defaults:
        if value not in choice_ids:
            report.add(question, f"{where}.default", f"{value!r} is not one of its choices", ".default")
    for value in question.exclusive:
        if value not in choice_ids:
            report.add(question, f"{where}.exclusive", f"{value!r} is not one of its choices", ".exclusive")
    for old, renamed in question.renamed.items():
        for value in (renamed.to, *renamed.split_into):
            if value not in choice_ids:
                report.add(question, f"{where}.renamed.{old}", f"{value!r} is not one of its choices", ".renamed")


def _check_category(category: Category, questions: dict[str, Question], names: dict[str, str], report: _Reporter) -> None:
    where = f"categories: {category.id}"
    if not _ID.match(category.id):
        report.add(category, f"{where}.id", "expected lower-case letters, digits and '-'", ".id")
    if category.kind != "new" and category.seed is None:
        report.add(category, f"{where}.seed", "an article category needs the article's verdict (seed)", "")
    for index, name in enumerate([category.id, category.title, *category.aliases]):
        key = normalize_name(name)
        sub = ".aliases" if index > 1 else ""
        if not key:
            report.add(category, f"{where}.aliases", "an alias cannot be empty", sub)
        elif names.get(key, category.id) != category.id:
            report.add(category, f"{where}.aliases", f"{name!r} already names category {names[key]!r}", sub)
        names.setdefault(key, category.id)
    for index, evidence in enumerate(category.current.evidence):
        if not evidence.source.startswith(("https://", "http://")):
            report.add(category, f"{where}.current.evidence[{index}].source", "expected a URL", f".current.evidence[{index}].source")
    if not category.current.evidence:
        report.add(category, f"{where}.current.evidence", "today's verdict needs at least one evidence item with a source", ".current")
    for index in range(len(category.checks)):
        _check_check(category, index, report)
    for index, snippet in enumerate(category.snippets):
        if not snippet.pytorch.strip() or not snippet.tensorflow.strip():
            report.add(category, f"{where}.snippets[{index}]", "expected code for both frameworks", f".snippets[{index}]")
    for index, rule in enumerate(category.scoring.rules):
        sub = f".scoring.rules[{index}]"
        for problem in _when_problems(rule.when, questions):
            report.add(category, f"{where}.scoring.rules[{index}].when", problem, sub + ".when")
        for problem in _when_problems(rule.unless, questions) if rule.unless else ():
            report.add(category, f"{where}.scoring.rules[{index}].unless", problem, sub + ".unless")
        if rule.hard and not rule.constraint.strip():
            report.add(category, f"{where}.scoring.rules[{index}].constraint",
                       "a hard rule needs its constraint in one sentence", sub)
        winner = rule.winner or category.current.winner
        if rule.hard and winner == "tie":
            report.add(category, f"{where}.scoring.rules[{index}].winner", "a hard constraint must name pytorch or tensorflow", sub)
        if rule.weight < 0:
            report.add(category, f"{where}.scoring.rules[{index}].weight", "expected a weight >= 0", sub + ".weight")


def _check_check(category: Category, index: int, report: _Reporter) -> None:
    check = category.checks[index]
    field, sub = f"categories: {category.id}.checks[{index}]", f".checks[{index}]"
    spec = CHECKS.get(check.check)
    if spec is None:
        report.add(category, f"{field}.check", f"unknown check {check.check!r} (known: {', '.join(sorted(CHECKS))})", sub + ".check")
        return
    if check.framework not in spec.frameworks:
        report.add(category, f"{field}.framework", f"{check.check} is not available for {check.framework}", sub + ".framework")
    if spec.needs_target and not check.target:
        report.add(category, f"{field}.target", f"{check.check} needs a target", sub)
    elif not spec.needs_target and check.target:
        report.add(category, f"{field}.target", f"{check.check} takes no target", sub + ".target")
    elif check.check in {"has_attr", "module_importable"} and check.target:
        roots = TARGET_ROOTS[check.framework]
        if check.target.split(".")[0] not in roots or not re.fullmatch(r"[A-Za-z_][\w.]*", check.target):
            report.add(category, f"{field}.target", f"expected a dotted name starting with {' or '.join(roots)}", sub + ".target")


def _when_problems(when: dict, questions: dict[str, Question]) -> Iterator[str]:
    if not when:
        yield "expected at least one condition"
    for key, value in when.items():
        if key == FACTS_KEY:
            for fact in value if isinstance(value, list) else [value]:
                if fact not in PROBE_FACTS:
                    yield f"unknown probe fact {fact!r} (known: {', '.join(PROBE_FACTS)})"
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


def _check_alternative(alternative: Alternative, questions: dict[str, Question], report: _Reporter) -> None:
    where = f"alternatives: {alternative.id}"
    if not _ID.match(alternative.id):
        report.add(alternative, f"{where}.id", "expected lower-case letters, digits, '-' or '_'", ".id")
    if not alternative.source.startswith(("https://", "http://")):
        report.add(alternative, f"{where}.source", "expected a URL", ".source")
    for problem in _when_problems(alternative.when, questions) if alternative.when else ():
        report.add(alternative, f"{where}.when", problem, ".when")


def _check_install(rulebook: Rulebook, report: _Reporter) -> None:
    for framework in ("pytorch", "tensorflow"):
        for os_name in ("linux", "windows", "macos"):
            if not any(o.framework == framework and os_name in o.os and o.compute == "cpu" for o in rulebook.install):
                report.whole(rulebook, "install", f"no CPU install command for {framework} on {os_name} (the fallback)")
