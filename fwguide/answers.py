"""Answers: read them from --answers files and --set flags, check them against the questions, save them.

An answers file is a mapping of question id to answer, in YAML or JSON (`-` reads it from
stdin). A single-choice question takes one choice id, a multiple-choice question a list
(or one choice, or a comma-separated string), a yes/no question true or false. An empty
value (`scale:` with nothing after it) leaves the question unanswered. `--save` writes the
same format back: JSON for a .json file name, YAML otherwise.
"""

import io
import stat
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

import msgspec

from fwguide.cache import KeyedCache
from fwguide.engine import AnswerValue
from fwguide.errors import FwguideError, located
from fwguide.files import decode_text
from fwguide.rulebook.schema import Question, Rulebook
from fwguide.safetext import shown

_YES = {"yes", "y", "true", "1", "on"}
_NO = {"no", "n", "false", "0", "off"}
STDIN = Path("-")
# Where an answer came from: given (--set, an answers file, or confirmed in the questionnaire, pre-selected
# or not), detected (project folder, this machine) with nobody asked, or the default of a question never shown.
Origin = Literal["answered", "detected", "default"]


class Answers(msgspec.Struct, frozen=True):
    """A complete set of answers, in questionnaire order, and where the ones nobody gave came from."""

    values: dict[str, AnswerValue]
    defaulted: tuple[str, ...] = ()  # never shown to anyone: the rulebook's documented default
    detected: tuple[str, ...] = ()  # never shown: what this machine or the project folder shows
    evidence: dict[str, list[str]] = {}  # why, for answers detected in the project folder ("38 files import torch")

    def origin(self, qid: str) -> Origin:
        return "default" if qid in self.defaulted else "detected" if qid in self.detected else "answered"

    @property
    def origins(self) -> dict[str, str]:
        """Every answer's origin, for the engine (which counts answered and detected ones in the confidence)."""
        return {qid: self.origin(qid) for qid in self.values}


class Where:
    """Names the place an answer came from in error messages: a file and line, or a --set flag."""

    def __init__(self, label: str, lines: Mapping[Any, int] | None = None, line: int | None = None):
        self.label, self.lines, self.line = label, lines or {}, line

    def error(self, field: str, expected: str, hint: str | None = None) -> FwguideError:
        return FwguideError(located(self.label, self.lines.get(field, self.line), field, expected), hint=hint)


def _did_you_mean(value: str, options: list[str]) -> str | None:
    from fwguide.fuzzy import closest

    match = closest(value, options)
    return f"did you mean {match!r}?" if match else None


def check_answer(question: Question, raw: Any, where: Where, *, from_text: bool = False) -> AnswerValue:
    """The answer to `question` as the engine wants it; a located FwguideError when it is not valid."""
    qid, choices = question.id, [c.id for c in question.choices]
    if question.kind == "yesno":
        if isinstance(raw, bool):
            return raw
        if from_text and isinstance(raw, str) and raw.strip().lower() in _YES | _NO:
            return raw.strip().lower() in _YES
        raise where.error(qid, f"expected yes or no (true/false), got {_shown(raw)}")
    if question.kind == "one":
        if isinstance(raw, list) or (from_text and isinstance(raw, str) and "," in raw):
            raise where.error(qid, "expected one choice, got a list "
                                   f"(this question takes one of: {', '.join(choices)})")
        if not isinstance(raw, str):
            raise where.error(qid, f"expected one of: {', '.join(choices)}; got {_shown(raw)}")
        return _choice(question, raw.strip(), choices, where)
    items = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise where.error(qid, f"expected a list of choices from: {', '.join(choices)}; got {_shown(raw)}")
    picked = list(dict.fromkeys(_choice(question, i.strip(), choices, where) for i in items if i.strip()))
    if not picked:
        raise where.error(qid, f"expected at least one of: {', '.join(choices)}")
    exclusive = exclusive_conflict(question, picked)
    if exclusive is not None:
        others = ", ".join(p for p in picked if p != exclusive)
        raise where.error(qid, f"{exclusive!r} cannot be combined with other choices (got also: {others})",
                          hint=f"drop {exclusive!r}, or answer only {exclusive!r}")
    return picked


_noted: set[tuple[str, str]] = set()


def _note_renamed(qid: str, value: str, new: str, split_into: list[str]) -> None:
    """One line on stderr, once per old id, so a saved answers file keeps working and its owner learns the new ids."""
    if (qid, value) in _noted:
        return
    _noted.add((qid, value))
    finer = f"; the new choices are {', '.join(split_into)}" if split_into else ""
    sys.stderr.write(f"note: {qid} {value!r} is read as {new!r}{finer} (see `fwguide ask --list`)\n")


def exclusive_conflict(question: Question, picked: list[str]) -> str | None:
    """The choice in `picked` that may only stand alone but does not, if any."""
    return next((e for e in question.exclusive if e in picked and len(picked) > 1), None)


def _choice(question: Question, value: str, choices: list[str], where: Where) -> str:
    if value in choices:
        return value
    old = question.renamed.get(value)
    if old is not None and old.to in choices:
        _note_renamed(question.id, value, old.to, old.split_into)
        return old.to
    raise where.error(question.id, f"unknown choice {shown(value)!r} (expected one of: {', '.join(choices)})",
                      hint=_did_you_mean(value, choices))


def _shown(raw: Any) -> str:
    kind = {bool: "true/false", int: "a number", float: "a number", dict: "a mapping", list: "a list"}
    return kind.get(type(raw), shown(repr(raw))) if not isinstance(raw, str) else repr(shown(raw))


def _unknown_id(qid: Any, rulebook: Rulebook, where: Where) -> FwguideError:
    ids = [q.id for q in rulebook.questions]
    return where.error(shown(str(qid)), f"unknown question id (expected one of: {', '.join(ids)})",
                       hint=_did_you_mean(str(qid), ids))


def parse_mapping(data: Any, rulebook: Rulebook, where: Where) -> dict[str, AnswerValue]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise where.error("", "expected a mapping of question id to answer, e.g. `scale: research`")
    result: dict[str, AnswerValue] = {}
    for key, raw in data.items():
        question = rulebook.question(key) if isinstance(key, str) else None
        if question is None:
            raise _unknown_id(key, rulebook, where)
        if raw is not None:
            result[question.id] = check_answer(question, raw, where)
    return result


def read_answers_file(path: Path, rulebook: Rulebook) -> dict[str, AnswerValue]:
    """Answers from a YAML or JSON file (or stdin for `-`), checked against the rulebook's questions.

    A file that checked out before and has not changed since is read from the cache,
    without parsing YAML; any problem is reported from a fresh parse, with its line.
    """
    if path == STDIN:
        if sys.stdin.isatty():
            raise FwguideError("--answers - reads the answers from stdin, but stdin is a terminal",
                               hint="pipe them in, e.g. fwguide ask --answers - < answers.yaml")
        stdin = getattr(sys.stdin, "buffer", None)
        text = decode_text(stdin.read(), "<stdin>") if stdin is not None else sys.stdin.read()
        return _parse_located(text, "<stdin>", rulebook)[1]
    if path.is_dir() or not path.exists():
        raise FwguideError(f"{path}: no such file", hint="--answers takes a YAML or JSON file, or - for stdin")
    key = _cache_key(path)  # None for a pipe, e.g. --answers <(...): read it, never cache it
    if key is not None:
        cached = _CACHE.load(key)
        if cached is not None:
            try:
                return parse_mapping(cached, rulebook, Where(str(path)))
            except FwguideError:
                pass  # checked against another rulebook: read the file again for a located error
    try:
        text = decode_text(path.read_bytes(), str(path))  # UTF-8, or with a byte order mark (PowerShell's UTF-16)
    except OSError as exc:
        raise FwguideError(f"{path}: cannot read: {exc.strerror or exc}") from None
    data, answers = _parse_located(text, str(path), rulebook)
    if key is not None and isinstance(data, dict):
        _CACHE.store(key, data)
    return answers


def _parse_located(text: str, name: str, rulebook: Rulebook) -> tuple[Any, dict[str, AnswerValue]]:
    from fwguide.rulebook.yamlsource import LineDict, read_yaml_text

    if name.endswith(".json"):
        plain = _check_json(text, name)
        try:
            data = read_yaml_text(text, name)
        except FwguideError:  # JSON that YAML cannot take (a key over 1,024 characters): read without its lines
            data = plain
    else:
        data = read_yaml_text(text, name)
    lines = data.key_lines if isinstance(data, LineDict) else None
    return data, parse_mapping(data, rulebook, Where(name, lines, getattr(data, "line", 1)))


def _cache_key(path: Path) -> str | None:
    """Which version of a regular file this is (its place, size and mtime); None for anything else."""
    try:
        resolved, info = path.resolve(), path.stat()
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    return f"{resolved}\0{info.st_size}\0{info.st_mtime_ns}"


# The raw mapping of an answers file that checked out: only what check_answer accepts can be in it.
_CACHE: KeyedCache[dict[str, bool | str | list[str] | None]] = KeyedCache(
    "answers", dict[str, bool | str | list[str] | None], max_bytes=1 << 20)


def _check_json(text: str, name: str) -> Any:
    # YAML reads almost all JSON, but JSON's own parser gives the JSON-specific error and line.
    import json  # only for a .json answers file not yet in the cache

    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise FwguideError(located(name, exc.lineno, "", f"invalid JSON: {exc.msg}")) from None
    except ValueError as exc:  # a number of more digits than Python converts
        raise FwguideError(f"{name}: invalid JSON: {str(exc).split(';')[0]}") from None
    except RecursionError:
        raise FwguideError(f"{name}: invalid JSON: nested too deeply") from None


def parse_sets(sets: list[str], rulebook: Rulebook) -> dict[str, AnswerValue]:
    """Answers from repeated `--set ID=VALUE` flags (lists comma-separated); a later flag wins."""
    result: dict[str, AnswerValue] = {}
    for item in sets:
        qid, sep, value = item.partition("=")
        where = Where(f"--set {shown(item)}")
        if not sep or not qid.strip():
            raise FwguideError(f"--set {shown(item)}: expected ID=VALUE, e.g. --set scale=research")
        question = rulebook.question(qid.strip())
        if question is None:
            raise _unknown_id(qid.strip(), rulebook, where)
        result[question.id] = check_answer(question, value, where, from_text=True)
    return result


def missing(rulebook: Rulebook, given: Mapping[str, AnswerValue]) -> list[str]:
    return [q.id for q in rulebook.questions if q.id not in given]


def default_for(question: Question, machine: Mapping[str, AnswerValue]) -> tuple[AnswerValue, Origin]:
    """A question's pre-filled answer: what this machine shows when it can tell, else the documented default.

    `machine` is keyed by the question's `detect` name, or by its id for answers found in the project folder.
    """
    key = question.detect or question.id
    if key in machine:
        detected = machine[key]
        choices = {c.id for c in question.choices}
        usable = [v for v in detected if v in choices] if isinstance(detected, list) else detected
        if usable and (isinstance(usable, list) or usable in choices):
            return usable, "detected"
    default = question.default
    return (list(default) if isinstance(default, list) else default), "default"


def complete(rulebook: Rulebook, given: Mapping[str, AnswerValue],
             fill: Callable[[Question], tuple[AnswerValue, Origin]]) -> Answers:
    """Every question's answer, in questionnaire order: the given ones, and `fill`'s for the rest."""
    values: dict[str, AnswerValue] = {}
    origins: dict[str, Origin] = {}
    for question in rulebook.questions:
        if question.id in given:
            values[question.id] = given[question.id]
        else:
            values[question.id], origins[question.id] = fill(question)
    return Answers(values=values, defaulted=tuple(q for q, o in origins.items() if o == "default"),
                   detected=tuple(q for q, o in origins.items() if o == "detected"))


def with_defaults(rulebook: Rulebook, given: Mapping[str, AnswerValue], machine: Mapping[str, AnswerValue]) -> Answers:
    """Every unanswered question filled with what this machine shows or the documented default."""
    return complete(rulebook, given, lambda question: default_for(question, machine))


def answer_text(value: object) -> str:
    """An answer as people write it: yes/no, or choices separated by commas."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return ", ".join(value) if isinstance(value, list) else str(value)


def dump_answers(answers: Mapping[str, AnswerValue], rulebook: Rulebook, path: Path) -> bytes:
    """The answers in the format --answers reads: JSON for a .json name, commented YAML otherwise."""
    if path.suffix.lower() == ".json":
        import json

        return (json.dumps(dict(answers), indent=2) + "\n").encode()
    import yaml

    out = io.StringIO()
    out.write(f"# fwguide answers (rulebook {rulebook.meta.version}). "
              f"Use again with: fwguide ask --answers {path.name}\n")
    for qid, value in answers.items():
        question = rulebook.question(qid)
        if question is not None:
            out.write(f"\n# {question.prompt}\n")
        out.write(yaml.safe_dump({qid: value}, default_flow_style=False, sort_keys=False, allow_unicode=True))
    return out.getvalue().encode()
