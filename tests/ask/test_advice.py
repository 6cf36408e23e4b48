"""Advice a person can act on: both sides in plain words, a split where the answers pull both ways,
changes the person can make, fwguide's own checkout never read as a project, screens that fit."""

from __future__ import annotations

import json
import re

import pytest

from fwguide.cli import main
from tests.cli.test_screens import in_terminal
from tests.conftest import ROOT, run_cli

STARTUP = ("--set", "scale=startup", "--set", "deploy=python-server,mobile-android", "--set", "experience=tensorflow",
           "--set", "model_family=vision")
ENTERPRISE = ("--set", "scale=enterprise", "--set", "existing_code=tensorflow", "--set", "experience=tensorflow",
              "--set", "deploy=mobile-android,high-traffic-serving", "--set", "model_family=llm-transformers",
              "--set", "workload=fine-tune")
RESEARCHER = ("--set", "scale=research", "--set", "hardware=nvidia-gpu,multi-gpu", "--set", "custom_kernels=yes",
              "--set", "experience=pytorch", "--set", "model_family=llm-transformers")
NO_PROBE = ("ask", "--no-input", "--no-probe")


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    assert main([*NO_PROBE, "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_the_startup_sees_what_pulled_each_way_in_plain_words(capsys: pytest.CaptureFixture[str]) -> None:
    data = _json(capsys, *STARTUP)
    tensorflow = {(f["question"], f["answer"]): f for f in data["sides"]["tensorflow"]}
    pytorch = {(f["question"], f["answer"]): f for f in data["sides"]["pytorch"]}
    assert tensorflow[("deploy", "mobile-android")]["label"] == "Android app"
    assert tensorflow[("experience", "tensorflow")]["points"] > 0
    assert ("model_family", "vision") in pytorch
    for side in data["sides"].values():
        for factor in side:
            assert set(factor) >= {"question", "answer", "label", "category", "points"}
            assert factor["points"] == round(factor["points"], 1) and factor["origin"] != "default"
    # the reasons cover both sides, Android included
    assert any("Android app" in reason for reason in data["reasons"])
    assert any(reason.startswith("In favour of") for reason in data["reasons"])

    screen = in_terminal(*NO_PROBE, *STARTUP, columns=80)
    lines = screen.strip().splitlines()
    assert len(lines) <= 24 and max(map(len, lines)) <= 80, screen
    assert "Android app (+2.0)" in screen and "your team knows TensorFlow/Keras" in screen
    assert "vision models" in screen
    assert not re.search(r"\b[a-z_]+ = [a-z-]+", screen)  # no `model_family = vision`
    assert "mobile-android" not in screen and "python-server" not in screen


def test_the_enterprise_team_gets_a_split_route(capsys: pytest.CaptureFixture[str]) -> None:
    data = _json(capsys, *ENTERPRISE)
    split = data["split"]
    assert split is not None and set(split) >= {"summary", "pytorch_for", "tensorflow_for", "source"}
    assert split["source"].startswith("https://")
    assert data["sides"]["pytorch"] and data["sides"]["tensorflow"]
    screen = in_terminal(*NO_PROBE, *ENTERPRISE, columns=80)
    assert "Split route: " in screen and len(screen.strip().splitlines()) <= 24, screen
    assert main([*NO_PROBE, *STARTUP]) == 0  # answers that pull only one way hard: no split
    assert "Split route" not in capsys.readouterr().out


def test_a_new_tpu_project_sees_jax_named_on_the_screen(capsys: pytest.CaptureFixture[str]) -> None:
    data = _json(capsys, "--set", "hardware=tpu", "--set", "scale=research")
    assert not (data["recommendation"] == "tensorflow" and data["confidence"] == "strong")
    assert any(a.startswith("JAX") for a in data["alternatives"])
    assert main([*NO_PROBE, "--set", "hardware=tpu", "--set", "scale=research"]) == 0
    assert "Also consider JAX" in capsys.readouterr().out
    with_code = _json(capsys, "--set", "hardware=tpu", "--set", "existing_code=tensorflow")
    assert not any(a.startswith("JAX") for a in with_code["alternatives"])  # existing TPU code stays where it is


@pytest.mark.parametrize("answers", [STARTUP, ENTERPRISE, RESEARCHER], ids=["startup", "enterprise", "researcher"])
def test_the_first_change_is_one_the_person_can_make(capsys: pytest.CaptureFixture[str],
                                                      answers: tuple[str, ...]) -> None:
    data = _json(capsys, *answers)
    given = {arg.split("=")[0] for arg in answers[1::2]}
    fixed = {"scale", "os", "hardware", "experience", "existing_code"}
    changes = data["what_would_change"]
    assert all(c["question"] in given for c in changes)  # never a default nor a detected answer
    if changes:
        first = changes[0]
        assert first["question"] not in fixed, first
        assert first["tier"] == 1
    assert "If scale were" not in json.dumps(changes) and "os were" not in json.dumps(changes)


def test_nothing_asked_means_nothing_to_change(capsys: pytest.CaptureFixture[str]) -> None:
    data = _json(capsys)
    assert data["what_would_change"] == []
    assert set(data["origins"].values()) <= {"default", "detected"}


def test_fwguides_own_checkout_is_not_read_as_the_project() -> None:
    proc = run_cli(*NO_PROBE, "--json", cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["project"] is None and data["detected"].keys() <= {"hardware", "os"}
    assert data["answers"]["existing_code"] == "none"
    assert "fwguide's own source checkout" in proc.stderr and proc.stderr.count("own source checkout") == 1
    inside = run_cli(*NO_PROBE, "--json", "--project", str(ROOT / "fwguide"), cwd=ROOT)
    assert json.loads(inside.stdout)["project"] is None


def test_details_show_numbers_with_one_decimal_and_fold_the_general_verdicts() -> None:
    text = in_terminal(*NO_PROBE, "--details", *ENTERPRISE, columns=80)
    numbers = re.findall(r"(?:\+|points?,? |PyTorch |TensorFlow )(\d+\.\d+)", text)
    assert numbers and all(len(n.split(".")[1]) == 1 for n in numbers), numbers
    assert len(re.findall(r"Today's general verdicts: \+\d\.\d", text)) >= 1
    assert "0.08" not in text and "0.0833" not in text


def test_explain_list_and_help_fit_80_columns_whole() -> None:
    listing = in_terminal("explain", "--list", columns=80).strip().splitlines()
    assert 17 <= len(listing) <= 30 and max(map(len, listing)) <= 80
    helped = in_terminal("--help", columns=80).split("Commands:")[1]
    assert "..." not in helped and "…" not in helped  # every command's summary whole
    assert "Answer a few questions" in helped
