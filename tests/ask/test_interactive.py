"""The interactive questionnaire in a real pseudo-terminal, driven by keys."""

from __future__ import annotations

from pathlib import Path

import pexpect

from fwguide.answers import read_answers_file
from fwguide.rulebook import load
from tests.ask.terminal import DOWN, ENTER, SPACE, exit_status, spawn


def _keys(child: pexpect.spawn, *keys: str) -> None:
    for key in keys:
        child.send(key)


def test_every_question_answered_with_keys_help_defaults_and_multi_select(tmp_path: Path) -> None:
    saved, report = tmp_path / "answers.yaml", tmp_path / "decision.md"
    child = spawn("--no-probe", "--set", "visualization=yes", "--save", str(saved), "--report", str(report))
    child.expect(r"Do you need TensorBoard-style training dashboards\? yes \(given\)")

    child.expect(r"What kind of project is this\?.*default: research")
    child.send("?")  # help, then the same question again
    child.expect("Scale changes what matters")
    child.expect(r"What kind of project is this\?")
    _keys(child, DOWN, ENTER)  # research -> startup

    child.expect(r"Where will the trained model run\?.*default: none")
    _keys(child, *[DOWN] * 5, SPACE, ENTER)  # tick browser while "none" is still ticked
    child.expect("cannot be combined with other choices: pick again")
    child.expect(r"Where will the trained model run\?")  # asked again, the pointer back on "none"
    _keys(child, SPACE, *[DOWN] * 3, SPACE, ENTER)  # untick none, tick mobile-android too

    child.expect(r"What will you train on\?.*detected here: ")
    child.send(ENTER)
    child.expect(r"Which operating system will you develop on\?.*detected here: ")
    child.send(ENTER)
    child.expect(r"What does the team already know\?.*default: python-numpy")
    child.send(ENTER)
    child.expect(r"Is there existing model code to keep\?")
    _keys(child, DOWN, ENTER)  # none -> pytorch
    child.expect(r"What kind of models\?")
    child.send(ENTER)
    child.expect(r"Will you write custom operators or GPU kernels")
    child.send("y")

    child.expect("Recommendation")
    assert exit_status(child) == 0

    answers = read_answers_file(saved, load())
    assert answers["scale"] == "startup"
    assert answers["deploy"] == ["mobile-android", "browser"]
    assert answers["existing_code"] == "pytorch"
    assert answers["experience"] == "python-numpy" and answers["model_family"] == "other"
    assert answers["custom_kernels"] is True and answers["visualization"] is True
    assert answers["os"] in ("linux", "windows", "macos") and answers["hardware"]
    assert report.read_text().startswith("# Framework decision:")


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
