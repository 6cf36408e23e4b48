"""The same answers give the same result however they are entered: an answers file, --set flags, or the
questionnaire in a real terminal (Enter on pre-selected choices counts as answering)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from fwguide.answers import answer_text
from fwguide.cli import main
from fwguide.rulebook import load
from fwguide.rulebook.schema import Question
from fwguide.scoring import AnswerValue
from tests.ask.terminal import DOWN, ENTER, SPACE, Screen
from tests.helpers.answers import answer_sets

RULEBOOK = load()
QUESTIONS = RULEBOOK.questions
# What --no-probe pre-selects on this machine (no GPU, Linux).
MACHINE: dict[str, AnswerValue] = {"hardware": ["cpu"], "os": "linux"}


# Answers a person can tick, at most three a question: each is typed into a real terminal.
ANSWER_SETS = answer_sets(QUESTIONS, most=3, typed=True)


def _prefilled(question: Question) -> AnswerValue:
    value = MACHINE.get(question.detect or "", question.default)
    return list(value) if isinstance(value, list) else value


def _keys(question: Question, wanted: AnswerValue) -> str:
    """The keys that turn the pre-selected answer into `wanted`, ticking as the questionnaire does."""
    ids = [c.id for c in question.choices]
    if question.kind == "yesno":
        return "y" if wanted else "n"
    if question.kind == "one":
        return DOWN * ((ids.index(str(wanted)) - ids.index(str(_prefilled(question)))) % len(ids)) + ENTER
    alone = set(question.exclusive) | set(question.gives_way)
    prefilled = _prefilled(question)
    assert isinstance(prefilled, list) and isinstance(wanted, list), question.id  # a many-choice answer is a list
    ticked, pointer, keys = list(prefilled), 0, ""

    def toggle(choice: str) -> None:
        nonlocal ticked, pointer, keys
        keys += DOWN * ((ids.index(choice) - pointer) % len(ids)) + SPACE
        pointer = ids.index(choice)
        if choice in ticked:
            ticked.remove(choice)
        else:
            ticked = [t for t in ticked if t not in alone and choice not in alone] + [choice]

    for choice in [c for c in ids if c in wanted and c not in ticked]:
        toggle(choice)
    for choice in [c for c in ids if c in ticked and c not in wanted]:
        toggle(choice)
    assert sorted(ticked) == sorted(wanted), (question.id, ticked, wanted)
    return keys + ENTER


def _result(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[str, str]:
    assert main(["ask", "--no-input", "--no-probe", "--json", *args]) == 0
    data = json.loads(capsys.readouterr().out)
    return data["recommendation"], data["confidence"]


def _questionnaire(answers: dict[str, AnswerValue], report: Path) -> tuple[str, str]:
    term = Screen("--no-probe", "--report", str(report), rows=40, columns=100)
    for number, question in enumerate(QUESTIONS, start=1):
        term.expect(rf"(?m)^{number}/{len(QUESTIONS)} ")
        term.send(_keys(question, answers[question.id]))
    assert term.exit_status() == 0, term.text
    headline = re.search(r"Recommendation: (PyTorch|TensorFlow), (strong|moderate|slight) confidence",
                         report.read_text())
    assert headline, report.read_text()
    return headline.group(1).lower(), headline.group(2)


@settings(max_examples=5, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(answers=ANSWER_SETS)
def test_file_set_and_questionnaire_agree(answers: dict[str, AnswerValue], tmp_path_factory: pytest.TempPathFactory,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path_factory.mktemp("same")
    answers_file = folder / "answers.yaml"
    answers_file.write_text(yaml.safe_dump(answers))
    from_file = _result(capsys, "--answers", str(answers_file))
    sets = [arg for qid, value in answers.items() for arg in ("--set", f"{qid}={answer_text(value).replace(' ', '')}")]
    assert _result(capsys, *sets) == from_file
    assert _questionnaire(answers, folder / "decision.md") == from_file


def test_enter_on_every_pre_selected_choice_counts_as_answering(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    defaults = {q.id: _prefilled(q) for q in QUESTIONS}
    sets = [arg for qid, value in defaults.items() for arg in ("--set", f"{qid}={answer_text(value).replace(' ', '')}")]
    assert _questionnaire(defaults, tmp_path / "decision.md") == _result(capsys, *sets)
    record = (tmp_path / "decision.md").read_text()
    assert "default (not asked)" not in record  # every question was shown, so every answer is the person's
