"""The questionnaire one line at a time, for a terminal that cannot draw menus (TERM=dumb: an Emacs shell, some CI).

Each question is printed with its numbered choices and read back with input(): numbers or
choice ids (comma-separated where several may be picked), Enter for the pre-filled answer,
`?` for the question's help. Nothing but plain lines is written: no cursor movement, no colour.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping

from fwguide.answers import Answers, Where, answer_text, check_answer, default_for
from fwguide.engine import AnswerValue
from fwguide.errors import FwguideError
from fwguide.rulebook.schema import Question, Rulebook


def ask(rulebook: Rulebook, given: Mapping[str, AnswerValue], machine: Callable[[], Mapping[str, AnswerValue]],
        width: int) -> Answers:
    """Ask every question not in `given`, one line each; the answers as the menu questionnaire gives them."""
    asked = [q for q in rulebook.questions if q.id not in given]
    chosen: dict[str, AnswerValue] = {}
    for number, question in enumerate(asked, 1):
        default, _ = default_for(question, machine())
        chosen[question.id] = _ask_one(question, default, f"{number}/{len(asked)}", width)
    print()
    return Answers(values={q.id: given[q.id] if q.id in given else chosen[q.id] for q in rulebook.questions})


def _ask_one(question: Question, default: AnswerValue, progress: str, width: int) -> AnswerValue:
    print()
    print(textwrap.fill(f"{progress} {question.prompt}", width - 1, subsequent_indent="  "))
    if question.kind == "yesno":
        how = "y or n"
    else:
        for index, choice in enumerate(question.choices, 1):
            print(textwrap.fill(f"{index}) {choice.label}", width - 1, initial_indent="  ", subsequent_indent="     "))
        how = "numbers, comma-separated" if question.kind == "many" else "a number"
    while True:
        try:
            typed = input(f"Answer ({how}; Enter keeps {answer_text(default)}; ? for help): ").strip()
        except EOFError:
            raise FwguideError("stdin ended before every question was answered",
                               hint="answer the rest with --set ID=VALUE, or pass --no-input to take the defaults"
                               ) from None
        if typed == "?":
            print(textwrap.fill(question.help or "No more to say about this question than its choices do.", width - 1))
            continue
        if not typed:
            return default
        try:
            return check_answer(question, _ids(question, typed), Where("your answer"), from_text=True)
        except FwguideError as exc:
            print(exc.message + (f" ({exc.hint})" if exc.hint else ""))


def _ids(question: Question, typed: str) -> str:
    """What was typed, with choice numbers read as the choices' ids."""
    if question.kind == "yesno":
        return typed
    ids = [c.id for c in question.choices]
    parts = [part.strip() for part in typed.split(",")]
    return ",".join(ids[int(p) - 1] if p.isdecimal() and len(p) < 4 and 0 < int(p) <= len(ids) else p for p in parts)
