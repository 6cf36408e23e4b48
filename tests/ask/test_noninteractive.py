"""`fwguide ask` without a terminal: answers files, --set, --no-input, piped stdin, bad input, writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fwguide.rulebook import load
from tests.conftest import run_cli

ASK = ("ask", "--no-probe")


def _json(*args: str, input: str | None = None) -> dict:
    proc = run_cli(*ASK, "--json", *args, input=input)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_answers_file_is_read_and_set_wins_over_it(tmp_path: Path) -> None:
    answers = tmp_path / "team.yaml"
    answers.write_text("scale: enterprise\ndeploy: [python-server]\nexperience: tensorflow\n")
    data = _json("--answers", str(answers), "--set", "scale=research", "--set", "deploy=mobile-ios,browser",
                 "--no-input")
    assert data["answers"]["scale"] == "research"
    assert data["answers"]["deploy"] == ["mobile-ios", "browser"]
    assert data["answers"]["experience"] == "tensorflow"
    assert "scale" not in data["defaulted"] and "experience" not in data["defaulted"]


def test_no_input_takes_defaults_and_the_output_says_which(tmp_path: Path) -> None:
    proc = run_cli(*ASK, "--no-input", "--set", "scale=learning", "--set", "os=windows", "--details")
    assert proc.returncode == 0, proc.stderr
    defaulted = " ".join(proc.stdout.split("\nNever asked, so the default:")[1].split("\n\n")[0].split())
    assert "no deployment target yet (deploy)" in defaulted and "no dashboards (visualization)" in defaulted
    assert "(scale)" not in defaulted and "(os)" not in defaulted
    data = _json("--no-input", "--set", "scale=learning", "--set", "os=windows")
    questions = [q.id for q in load().questions]
    assert set(data["defaulted"]) | set(data["detected"]) == set(questions) - {"scale", "os"}
    assert "hardware" in data["detected"]


def test_answers_can_be_piped_in_with_answers_dash() -> None:
    data = _json("--answers", "-", "--no-input", input='{"scale": "startup", "deploy": ["browser"]}')
    assert (data["answers"]["scale"], data["answers"]["deploy"]) == ("startup", ["browser"])


def test_piped_stdin_without_answers_is_refused_with_a_way_forward() -> None:
    proc = run_cli(*ASK, input="scale: research\n", timeout=30)
    assert proc.returncode == 2
    assert "stdin is not a terminal, so fwguide will not prompt" in proc.stderr
    assert "--answers -" in proc.stderr and "--no-input" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_no_terminal_and_no_answers_never_hangs() -> None:
    proc = run_cli(*ASK, timeout=30)  # stdin is /dev/null
    assert proc.returncode == 2
    assert "question(s) unanswered" in proc.stderr


BAD_INPUT = {
    "unknown id": (["--answers", "{file}"], "sclae: research\n", ":1: sclae: unknown question id",
                   "did you mean 'scale'?"),
    "unknown choice": (["--set", "model_family=visoin"], None,
                       "--set model_family=visoin: model_family: unknown choice 'visoin'", "did you mean 'vision'?"),
    "list to single choice": (["--answers", "{file}"], "os: linux\nscale: [research, startup]\n",
                              ":2: scale: expected one choice, got a list", None),
    "wrong type": (["--answers", "{file}"], "custom_kernels: 7\n", ":1: custom_kernels: expected yes or no", None),
    "none with a target": (["--set", "deploy=none,browser"], None, "deploy: 'none' cannot be combined", "drop 'none'"),
    "malformed yaml": (["--answers", "{file}"], "scale: research\ndeploy: [browser\n", "team.yaml:", None),
    "missing file": (["--answers", "{missing}"], None, "nope.yaml: no such file", None),
}


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_exits_2_with_one_located_message_and_writes_nothing(tmp_path: Path, case: str) -> None:
    args, content, message, hint = BAD_INPUT[case]
    answers = tmp_path / "team.yaml"
    if content is not None:
        answers.write_text(content)
    args = [a.format(file=answers, missing=tmp_path / "nope.yaml") for a in args]
    report, saved = tmp_path / "decision.md", tmp_path / "saved.yaml"
    proc = run_cli(*ASK, *args, "--no-input", "--report", str(report), "--save", str(saved))
    assert proc.returncode == 2
    assert message in proc.stderr
    if hint:
        assert f"hint: {hint}" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert proc.stderr.count("error:") == 1
    assert not report.exists() and not saved.exists()


def test_save_writes_answers_that_read_back_to_the_same_result(tmp_path: Path) -> None:
    saved = tmp_path / "answers.yaml"
    first = _json("--no-input", "--set", "deploy=mobile-android", "--set", "custom_kernels=yes", "--save", str(saved))
    assert saved.read_text().startswith("# fwguide answers")
    again = _json("--answers", str(saved))  # complete answers: no --no-input needed
    assert again["answers"] == first["answers"]
    assert again["defaulted"] == [] and again["detected"] == {}
    assert (again["recommendation"], again["scores"]) == (first["recommendation"], first["scores"])


def test_existing_files_are_kept_unless_force_is_given(tmp_path: Path) -> None:
    report = tmp_path / "decision.md"
    report.write_text("keep me")
    proc = run_cli(*ASK, "--no-input", "--report", str(report))
    assert proc.returncode == 2
    assert "already exists" in proc.stderr and "--force" in proc.stderr
    assert report.read_text() == "keep me"
    proc = run_cli(*ASK, "--no-input", "--report", str(report), "--force")
    assert proc.returncode == 0, proc.stderr
    assert report.read_text().startswith("# Framework decision:")
    assert [p.name for p in tmp_path.iterdir()] == ["decision.md"]  # no temporary file left behind


def test_plain_output_when_piped_has_no_colour_or_boxes() -> None:
    proc = run_cli(*ASK, "--no-input", "--set", "deploy=browser")
    assert proc.returncode == 0, proc.stderr
    assert "\x1b[" not in proc.stdout and "─" not in proc.stdout
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("Recommendation: ")
    assert "Next step" in lines and any(line.startswith("  pip install") for line in lines)
    assert lines[-1].startswith("More: fwguide explain ")
