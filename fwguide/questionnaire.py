"""The interactive questionnaire: one question at a time, arrow-key menus, `?` for help.

Used only when stdin and stdout are both terminals and --no-input is not given
(`can_prompt`); menus off a terminal either fail or silently pick the default, so
every other case goes through answers files, --set and defaults instead.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from fwguide.answers import Answers, Origin, answer_text, complete, default_for, exclusive_conflict
from fwguide.engine import AnswerValue
from fwguide.rulebook.schema import Question, Rulebook

if TYPE_CHECKING:  # questionary is slow to import: only a terminal session loads it
    import questionary

_HELP = object()  # what a menu returns when the user presses `?`
_KEYS = {
    "one": "↑/↓ to move, Enter to pick, ? for help",
    "many": "↑/↓ to move, Space to tick, Enter to confirm, ? for help",
    "yesno": "y/n, Enter for the default, ? for help",
}


def can_prompt(no_input: bool) -> bool:
    """Whether to ask interactively: both ends are terminals and the user did not opt out."""
    return not no_input and sys.stdin.isatty() and sys.stdout.isatty()


def ask(rulebook: Rulebook, given: Mapping[str, AnswerValue],
        machine: Callable[[], Mapping[str, AnswerValue]]) -> Answers:
    """Ask every question not already answered; Ctrl-C raises KeyboardInterrupt.

    `machine` is called each time a question that can be detected comes up, so a probe
    that finished in the meantime pre-fills it.
    """
    for question in rulebook.questions:
        if question.id in given:
            print(f"  {question.prompt} {answer_text(given[question.id])} (given)")

    def ask_one(question: Question) -> tuple[AnswerValue, Origin]:
        default, origin = default_for(question, machine() if question.detect else {})
        return _ask_one(question, default, origin == "detected"), "asked"

    return complete(rulebook, given, ask_one)


def _ask_one(question: Question, default: AnswerValue, detected: bool) -> AnswerValue:
    while True:
        answer = _prompt(question, default, detected).unsafe_ask()
        if answer is _HELP:
            print(_help_text(question))
            continue
        problem = _many_problem(question, answer) if question.kind == "many" else None
        if problem is None:
            return answer
        # Checked here rather than by the menu's validator, whose message does not show in every terminal.
        print(f"  {problem}: pick again.")
        default = answer or default


def _prompt(question: Question, default: AnswerValue, detected: bool) -> questionary.Question:
    import questionary
    from prompt_toolkit.key_binding import KeyBindings, merge_key_bindings

    origin = "detected here" if detected else "default"
    instruction = f"({origin}: {answer_text(default)}; {_KEYS[question.kind]})"
    if question.kind == "yesno":
        prompt = questionary.confirm(question.prompt, default=bool(default), instruction=instruction + " ")
    elif question.kind == "one":
        choices = [questionary.Choice(c.label, value=c.id, description=c.help or None) for c in question.choices]
        prompt = questionary.select(question.prompt, choices=choices, default=default, instruction=instruction)
    else:
        ticked = set(default) if isinstance(default, list) else {default}
        choices = [questionary.Choice(c.label, value=c.id, checked=c.id in ticked, description=c.help or None)
                   for c in question.choices]
        prompt = questionary.checkbox(question.prompt, choices=choices, instruction=instruction)
    keys = KeyBindings()

    @keys.add("?", eager=True)
    def _show_help(event: Any) -> None:
        event.app.exit(result=_HELP)

    prompt.application.key_bindings = merge_key_bindings([prompt.application.key_bindings, keys])
    return prompt


def _many_problem(question: Question, picked: list[str]) -> str | None:
    if not picked:
        return "tick at least one choice (Space ticks)"
    exclusive = exclusive_conflict(question, picked)
    if exclusive is None:
        return None
    label = next((c.label for c in question.choices if c.id == exclusive), exclusive)
    return f"'{label}' cannot be combined with other choices"


def _help_text(question: Question) -> str:
    lines = [f"  {question.help}"]
    lines += [f"    {c.id}: {c.label}" + (f" ({c.help})" if c.help else "") for c in question.choices]
    return "\n".join(lines)
