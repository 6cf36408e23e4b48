"""main(argv) in one process: re-entrant, and what it shows comes from records, never from parsing English."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fwguide.cli import main

TEAM_SIZE = """\
questions:
  - id: team-size
    kind: one
    prompt: How many people will work on the models?
    help: A larger team gains more from a framework its new hires already know.
    default: small
    choices:
      - {id: small, label: "One to three people", short: a small team}
      - {id: large, label: "Ten or more people", short: a large team}
categories:
  - id: ramp-up-time
    scoring:
      rules:
        - when: {team-size: large}
          weight: 2
          winner: pytorch
          because: A large team hires people who mostly learned PyTorch.
"""


def test_main_runs_several_commands_in_one_process(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "--list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["categories"] and listed["schema_version"] == 1
    assert main(["ask", "--list"]) == 0
    assert "existing_model" in capsys.readouterr().out
    assert main(["explain", "coverage", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["id"] == "coverage"
    assert main(["explain", "no-such-category"]) == 2
    assert "unknown category" in capsys.readouterr().err
    assert main(["ask", "--list"]) == 0  # the app still knows every command after a run of another
    assert "scale" in capsys.readouterr().out


def test_a_team_question_with_a_hyphen_reads_right_on_screen_and_in_causes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    team = tmp_path / "team.yaml"
    team.write_text(TEAM_SIZE)
    args = ["ask", "--no-input", "--no-probe", "--rules", str(team), "--set", "team-size=large"]
    assert main([*args, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    causes = [cause for c in data["contributions"] for cause in c["causes"]]
    assert {"question": "team-size", "answer": "large", "origin": "answered"} in causes
    assert any(f["question"] == "team-size" and f["label"] == "a large team" for f in data["sides"]["pytorch"])
    assert main(args) == 0
    screen = capsys.readouterr().out
    assert "a large team (+2.0)" in screen
    assert "size:" not in screen and "this machine:" not in screen
