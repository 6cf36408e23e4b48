"""The interactive questionnaire in a real pseudo-terminal, driven by keys."""

from __future__ import annotations

import re
from pathlib import Path

from fwguide.answers import read_answers_file
from fwguide.rulebook import load
from fwguide.rulebook.schema import Question
from tests.ask.terminal import DOWN, ENTER, SPACE, Screen, exit_status, spawn

LEFT = "\x1b[D"
RULEBOOK = load()


def _question(qid: str) -> Question:
    question = RULEBOOK.question(qid)
    assert question is not None
    return question


def _to(qid: str, choice: str) -> str:
    """The ↓ presses that move a menu's pointer from the question's default to `choice`."""
    question = _question(qid)
    ids = [c.id for c in question.choices]
    start = question.default[0] if isinstance(question.default, list) else question.default
    return DOWN * ((ids.index(choice) - ids.index(start)) % len(ids))


def test_every_question_shows_its_progress_and_the_result_fits_one_screen(tmp_path: Path) -> None:
    saved, report = tmp_path / "answers.yaml", tmp_path / "decision.md"
    term = Screen("--no-probe", "--set", "visualization=yes", "--save", str(saved), "--report", str(report),
                  rows=24, columns=80)
    term.expect(r"Do you need TensorBoard-style training dashboards\? yes \(given\)")
    asked = [q for q in RULEBOOK.questions if q.id != "visualization"]
    for number, question in enumerate(asked, start=1):
        term.expect(rf"(?m)^{number}/{len(asked)} {re.escape(question.prompt.split()[0])}")
        term.send(ENTER)
    assert term.exit_status() == 0
    final = term.text  # the last 24 lines, as the person sees them
    assert re.search(r"Recommendation: (PyTorch|TensorFlow), (strong|moderate|slight) confidence", final)
    assert "Next step" in final and "pip install" in final
    assert f"{len(asked)}/{len(asked)} " in final

    answers = read_answers_file(saved, RULEBOOK)
    for question in asked:
        if not question.detect:
            assert answers[question.id] == question.default
    assert answers["visualization"] is True
    assert report.read_text().startswith("# Framework decision:")


def test_left_arrow_goes_back_to_the_previous_question_with_its_answer(tmp_path: Path) -> None:
    saved = tmp_path / "answers.yaml"
    term = Screen("--no-probe", "--save", str(saved), *_sets_except("scale", "deploy"))
    term.expect(r"What kind of project is this\?")
    assert "← back" not in term.text  # nothing before the first question
    term.send(LEFT)
    term.expect("This is the first question: there is nothing to go back to.")
    term.send(_to("scale", "enterprise") + ENTER)
    term.expect(r"(?m)^1/2 What kind of project is this\? Enterprise")
    term.expect(r"2/2 Where will the trained model run\?")
    term.expect("← back")
    term.send(LEFT)  # back to the first question, which shows what was picked, in place of its answered line
    term.expect(r"1/2 What kind of project is this\? \(your answer: an enterprise\)")
    assert "Where will the trained model run" not in term.text
    term.send(DOWN + ENTER)  # enterprise -> learning: the menu wraps round
    term.expect(r"(?m)^1/2 What kind of project is this\? Learning")
    term.expect(r"2/2 Where will the trained model run\?")
    term.send(ENTER)
    assert term.exit_status() == 0
    assert read_answers_file(saved, RULEBOOK)["scale"] == "learning"
    assert term.text.count("What kind of project is this?") == 1


def test_stand_alone_choice_and_targets_untick_each_other_without_an_error(tmp_path: Path) -> None:
    saved = tmp_path / "answers.yaml"
    term = Screen("--no-probe", "--save", str(saved), *_sets_except("deploy"))
    term.expect(r"Where will the trained model run\?")
    term.send(_to("deploy", "mobile-ios") + SPACE)
    term.expect("Unticked 'Nowhere yet[^']*': it stands alone.")
    term.send(DOWN + SPACE)  # iOS and browser ticked
    term.send(DOWN * (len(_question("deploy").choices) - 7) + SPACE)  # from browser, wrapping round to "none"
    term.expect("Unticked 'An iOS app, on the device', 'A web browser[^']*': they stand alone.")
    term.send(_to("deploy", "mobile-ios") + SPACE)  # and a target again
    term.expect("Unticked 'Nowhere yet[^']*': it stands alone.")
    term.send(ENTER)  # accepted at once: no "cannot be combined", no second round
    assert term.exit_status() == 0
    assert "cannot be combined" not in term.text
    assert read_answers_file(saved, RULEBOOK)["deploy"] == ["mobile-ios"]


def test_unknown_keys_get_a_hint_and_tick_all_keys_do_nothing(tmp_path: Path) -> None:
    saved = tmp_path / "answers.yaml"
    term = Screen("--no-probe", "--save", str(saved), *_sets_except("deploy", "custom_kernels"))
    term.expect(r"Where will the trained model run\?")
    term.send("x")
    term.expect("'x' does nothing here.")
    term.expect("Space ticks")
    term.send("a")  # questionary's hidden "tick everything"
    term.expect("'a' does nothing here.")
    term.send("i")  # and its "invert"
    term.expect("'i' does nothing here.")
    term.send(SPACE)  # unticks "none": nothing is ticked now
    term.send(ENTER)
    term.expect(r"Tick at least one choice \(Space ticks\)")
    term.send(SPACE + ENTER)
    term.expect(r"Will you write custom operators")
    term.send("y")  # y answers a yes/no question at once
    assert term.exit_status() == 0
    answers = read_answers_file(saved, RULEBOOK)
    assert answers["deploy"] == ["none"] and answers["custom_kernels"] is True


def test_help_shows_the_question_help_once_without_repeating_labels() -> None:
    term = Screen("--no-probe", *_sets_except("scale"))
    term.expect(r"What kind of project is this\?")
    term.expect(r"\? help")
    term.send("?")
    help_start = " ".join(_question("scale").help.split())[:40]
    term.expect(re.escape(help_start))
    assert term.text.count(help_start) == 1
    assert "learning: Learning" not in term.text
    assert term.text.count("What kind of project is this?") == 1
    term.send("?")  # hides it again
    term.settle()
    assert help_start not in term.text
    term.send(ENTER)
    assert term.exit_status() == 0
    assert term.text.count("What kind of project is this?") == 1  # the answered line only: never asked twice


def test_hints_break_between_words_on_a_narrow_terminal() -> None:
    term = Screen("--no-probe", *_sets_except("deploy"), columns=40)
    term.expect(r"Where will the trained model")
    term.expect("help")
    hint = [line for line in term.text.splitlines() if "move" in line or "ticks" in line or "help" in line]
    items = ["↑/↓ move", "Space ticks", "Enter confirms", "? help"]
    assert all(any(item in line for line in hint) for item in items), term.text
    term.child.sendcontrol("c")
    assert term.exit_status() == 130


def test_ctrl_c_exits_130_and_writes_nothing(tmp_path: Path) -> None:
    saved, report = tmp_path / "answers.yaml", tmp_path / "decision.md"
    child = spawn("--no-probe", "--save", str(saved), "--report", str(report))
    child.expect(r"What kind of project is this\?")
    child.send(ENTER)
    child.expect(r"Where will the trained model run\?")
    child.sendcontrol("c")
    assert exit_status(child) == 130
    assert "Traceback" not in (child.before or "")
    assert list(tmp_path.iterdir()) == []


def test_answers_from_stdin_refuse_a_terminal_instead_of_waiting() -> None:
    child = spawn("--no-probe", "--answers", "-", "--no-input")
    child.expect("--answers - reads the answers from stdin, but stdin is a terminal")
    assert exit_status(child) == 2


def _sets_except(*asked: str) -> list[str]:
    """--set flags answering every question but `asked` with its default."""
    flags = []
    for question in RULEBOOK.questions:
        if question.id in asked:
            continue
        value = question.default
        text = ("yes" if value else "no") if isinstance(value, bool) else (
            ",".join(value) if isinstance(value, list) else value)
        flags += ["--set", f"{question.id}={text}"]
    return flags
