"""The interactive questionnaire: one question at a time, arrow-key menus, progress, `?` for help, ← to go back.

Used only when stdin and stdout are both terminals and --no-input is not given (the
command checks its Terminal); menus off a terminal either fail or silently pick the
default, so every other case goes through answers files, --set and defaults instead.

The menus are questionary's, with one line of fwguide's own under the choices: the keys
that work, what an unknown key was, the question's help after `?`. Choices that must
stand alone ("Nowhere yet") untick themselves when another is ticked, and the other way round.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from fwguide.answers import Answers, default_for
from fwguide.engine import AnswerValue
from fwguide.factors import answer_words
from fwguide.rulebook.schema import Question, Rulebook

if TYPE_CHECKING:  # questionary is slow to import: only a terminal session loads it
    import questionary
    from prompt_toolkit.formatted_text import StyleAndTextTuples

    from fwguide.render.console import Terminal

_BACK = object()  # what a menu returns when the user goes back to the previous question
_KEYS = {
    "one": ("↑/↓ move", "Enter picks"),
    "many": ("↑/↓ move", "Space ticks", "Enter confirms"),
    "yesno": ("y / n", "or ↑/↓ and Enter"),
}


def ask(rulebook: Rulebook, given: Mapping[str, AnswerValue], machine: Callable[[], Mapping[str, AnswerValue]],
        terminal: Terminal) -> Answers:
    """Ask every question not already answered; Ctrl-C raises KeyboardInterrupt.

    `machine` is called each time a question that can be detected comes up, so a probe
    that finished in the meantime pre-fills it. Every answer shown here and confirmed is the
    person's answer, pre-selected or not: the same answers give the same result as --set.
    """
    for question in rulebook.questions:
        if question.id in given:
            line = f"{question.prompt} {answer_words(question, given[question.id], short=False)} (given)"
            print("\n".join(textwrap.wrap(line, max(terminal.width - 1, 20), initial_indent="  ",
                                           subsequent_indent="    ", break_on_hyphens=False)))
    if not terminal.menus:  # TERM=dumb: numbered questions read line by line, no cursor movement
        from fwguide.render import lineprompt

        return lineprompt.ask(rulebook, given, machine, terminal.width)
    asked = [q for q in rulebook.questions if q.id not in given]
    chosen: dict[str, AnswerValue] = {}
    prefilled: dict[str, tuple[AnswerValue, str]] = {}
    printed: list[int] = []  # how many lines each answered question left on the screen
    index = 0
    while index < len(asked):
        question = asked[index]
        if question.id not in prefilled:
            prefilled[question.id] = default_for(question, machine())
        shown, origin = (chosen[question.id], "asked") if question.id in chosen else prefilled[question.id]
        progress = f"{index + 1}/{len(asked)}"
        answer = _Menu(question, shown, origin, progress, index > 0, terminal.width, terminal.unicode).ask()
        if answer is _BACK:
            sys.stdout.write(f"\x1b[{printed.pop()}F\x1b[J")  # the previous answer is asked again in its place
            index -= 1
            continue
        chosen[question.id] = answer
        lines = answered_lines(question, answer, progress, terminal.width)
        sys.stdout.write("\n".join(lines) + "\n")
        sys.stdout.flush()
        printed.append(len(lines))
        index += 1
    print()
    return Answers(values={q.id: given[q.id] if q.id in given else chosen[q.id] for q in rulebook.questions})


def answered_lines(question: Question, answer: AnswerValue, progress: str, width: int) -> list[str]:
    """The question and its answer as they stay on the screen, wrapped between words."""
    shown = answer_words(question, answer, short=False)
    return textwrap.wrap(f"{progress} {question.prompt} {shown}", max(width - 1, 20),
                         subsequent_indent=" " * (len(progress) + 1), break_on_hyphens=False)


def hint_lines(items: list[str], width: int) -> list[str]:
    """Key hints joined with ' · ', broken only between items (never inside a word)."""
    lines: list[str] = []
    for item in items:
        if lines and len(lines[-1]) + 3 + len(item) <= width:
            lines[-1] += " · " + item
        else:
            lines.append(item)
    return lines


class _Menu:
    """One question as a questionary menu, with fwguide's hint line under the choices."""

    def __init__(self, question: Question, shown: AnswerValue, origin: str, progress: str,
                 can_go_back: bool, width: int, unicode: bool = True):
        self.question, self.shown, self.origin = question, shown, origin
        self.progress, self.can_go_back, self.width = progress, can_go_back, width
        self.encodable = (lambda text: text) if unicode else _encodable  # as the terminal's encoding can show it
        self.message = ""  # one line about the last key pressed, shown above the key hints
        self.help = False

    def ask(self) -> Any:
        return self._build().unsafe_ask()

    def _keys(self) -> list[str]:
        keys = list(_KEYS[self.question.kind])
        if self.can_go_back:
            keys.append("← back")
        return keys + ["? help"]

    def _hint(self) -> StyleAndTextTuples:
        from prompt_toolkit.application import get_app

        width = max(get_app().output.get_size().columns - 1, 20)
        lines: list[tuple[str, str]] = []
        if self.help:
            text = self.question.help or "No more to say about this question than the choices do."
            lines += [("class:help", line) for line in textwrap.wrap(" ".join(text.split()), width)]
        if self.message:
            lines += [("class:warning", line) for line in textwrap.wrap(self.message, width)]
        lines += [("class:instruction", line) for line in hint_lines(self._keys(), width)]
        tokens: StyleAndTextTuples = []
        for style, line in lines:
            tokens += [(style, self.encodable(line)), ("", "\n")]
        return tokens[:-1]

    def _title(self) -> tuple[str, str]:
        """The question wrapped to the width at word boundaries, and its (default: …) note."""
        word = {"detected": "detected here", "default": "default"}.get(self.origin, "your answer")
        note = f"({word}: {answer_words(self.question, self.shown)})"
        room = self.width - 1
        lines = textwrap.wrap(self.question.prompt, room, initial_indent=" " * (len(self.progress) + 1))
        lines[0] = lines[0].lstrip()
        if len(lines[-1]) + (len(self.progress) + 1 if len(lines) == 1 else 0) + 2 + len(note) > room:
            note = "\n" + note
        return "\n".join(lines), note

    def _fit(self, label: str) -> str:
        """A choice's label within the terminal (after the pointer and tick marks), cut between words with an
        ellipsis when it is too long: the menu itself would cut it mid-word without saying so."""
        room = self.width - 6
        if len(label) <= room:
            return label
        return textwrap.shorten(label, max(room, 10), placeholder="…", break_on_hyphens=False)

    def _build(self) -> questionary.Question:
        import questionary
        from prompt_toolkit.filters import IsDone, to_filter
        from prompt_toolkit.key_binding import KeyBindings, merge_key_bindings
        from prompt_toolkit.keys import Keys
        from prompt_toolkit.layout import ConditionalContainer, FormattedTextControl, Window
        from prompt_toolkit.styles import Style

        question, kind = self.question, self.question.kind
        message, note = map(self.encodable, self._title())
        style = Style([("qmark", "fg:ansicyan bold"), ("instruction", "fg:ansibrightblack"),
                       ("warning", "fg:ansiyellow"), ("help", "")])
        common: dict[str, Any] = {"qmark": self.progress, "instruction": note, "style": style, "use_jk_keys": False}
        if kind == "many":
            ticked = set(self.shown) if isinstance(self.shown, list) else {self.shown}
            choices = [questionary.Choice(self._fit(c.label), value=c.id, checked=c.id in ticked,
                                          description=c.help or None)
                       for c in question.choices]
            menu = questionary.checkbox(message, choices=choices, **common)
        else:
            if kind == "yesno":
                choices = [questionary.Choice("Yes", value=True), questionary.Choice("No", value=False)]
                default: Any = bool(self.shown)
            else:
                choices = [questionary.Choice(self._fit(c.label), value=c.id, description=c.help or None)
                           for c in question.choices]
                default = self.shown
            menu = questionary.select(message, choices=choices, default=default, **common)
        app = menu.application
        app.erase_when_done = True  # `ask` prints the answered question itself, wrapped between words
        listing = next(w for w in app.layout.find_all_windows() if type(w.content).__name__ == "InquirerControl")
        listing.dont_extend_height = to_filter(True)  # the hint line sits right under the choices
        control: Any = listing.content  # questionary's InquirerControl, whose `text` is a callable
        choice_tokens = control.text  # the choices with their pointer and tick marks (● ○ »), drawn on each key
        control.text = lambda: [(token[0], self.encodable(token[1]), *token[2:]) for token in choice_tokens()]
        rows: Any = app.layout.container  # questionary lays its prompt out as one HSplit of rows
        rows.children.insert(2, ConditionalContainer(
            Window(FormattedTextControl(self._hint), dont_extend_height=True), filter=~IsDone()))
        keys = KeyBindings()

        @keys.add("?", eager=True)
        def _toggle_help(event: Any) -> None:
            self.help, self.message = not self.help, ""

        @keys.add(Keys.Left, eager=True)
        def _back(event: Any) -> None:
            if self.can_go_back:
                event.app.exit(result=_BACK)
            else:
                self.message = "This is the first question: there is nothing to go back to."

        @keys.add(Keys.Any)
        def _unknown(event: Any) -> None:
            self.message = f"{_key_name(event)} does nothing here."

        if kind == "many":
            self._bind_ticks(keys, control)
        if kind == "yesno":
            for letter, value in (("y", True), ("n", False)):
                keys.add(letter, eager=True)(self._picker(control, value))
                keys.add(letter.upper(), eager=True)(self._picker(control, value))
        app.key_bindings = keys if app.key_bindings is None else merge_key_bindings([app.key_bindings, keys])
        return menu

    def _picker(self, control: Any, value: bool) -> Callable[[Any], None]:
        def pick(event: Any) -> None:
            control.pointed_at = next(i for i, c in enumerate(control.choices) if c.value is value)
            control.is_answered = True
            event.app.exit(result=value)

        return pick

    def _bind_ticks(self, keys: Any, control: Any) -> None:
        """Space ticks, keeping stand-alone choices alone; Enter needs one tick; no hidden tick-all keys."""
        from prompt_toolkit.keys import Keys

        exclusive = set(self.question.exclusive) | set(self.question.gives_way)  # "CPU only" unticks for a GPU
        labels = {c.id: c.label for c in self.question.choices}

        @keys.add(" ", eager=True)
        def _tick(event: Any) -> None:
            value = control.get_pointed_at().value
            ticked = control.selected_options
            self.message = ""
            if value in ticked:
                ticked.remove(value)
                return
            dropped = [v for v in ticked if v in exclusive or value in exclusive]
            control.selected_options = [v for v in ticked if v not in dropped] + [value]
            if dropped:
                names = ", ".join(f"'{labels.get(v, v)}'" for v in dropped)
                gave_way = all(v in self.question.gives_way for v in dropped) and value not in exclusive
                why = "it no longer applies" if gave_way else "it stands" if len(dropped) == 1 else "they stand"
                self.message = f"Unticked {names}: {why}{'' if gave_way else ' alone'}."

        @keys.add(Keys.ControlM, eager=True)
        def _confirm(event: Any) -> None:
            picked = [c.value for c in control.get_selected_values()]
            if not picked:
                self.message = "Tick at least one choice (Space ticks)."
                return
            control.is_answered = True
            event.app.exit(result=picked)

        @keys.add("a", eager=True)
        @keys.add("i", eager=True)
        def _not_bulk(event: Any) -> None:
            self.message = f"{_key_name(event)} does nothing here."


def _encodable(text: str) -> str:
    """`text` as the terminal's encoding can show it: a stand-in ([x], [ ], Up, ...) for each character it cannot."""
    from fwguide.lifecycle import ERRORS

    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        return text.encode(encoding, ERRORS).decode(encoding)
    except (LookupError, UnicodeError):
        return text


def _key_name(event: Any) -> str:
    key = str(event.key_sequence[0].key)
    names = {"right": "→", "escape": "Esc", "c-i": "Tab", "delete": "Delete", "c-h": "Backspace"}
    return f"'{key}'" if len(key) == 1 else names.get(key, key)
