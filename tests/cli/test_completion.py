"""Shell completion through the shell's own protocol: category names, --set ids and choices, framework names."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fwguide import frameworks
from fwguide.rulebook import load
from tests.conftest import NEUTRAL_CWD

FWGUIDE = str(Path(sys.executable).with_name("fwguide"))


def _complete(line: str, *, importtime: bool = False) -> subprocess.CompletedProcess[str]:
    """What bash's completion gets for `line` (the word being completed is the last one)."""
    words = line.split(" ")
    env = {**os.environ, "_FWGUIDE_COMPLETE": "complete_bash", "COMP_WORDS": line, "COMP_CWORD": str(len(words) - 1)}
    command = [sys.executable, "-X", "importtime", FWGUIDE] if importtime else [FWGUIDE]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, cwd=NEUTRAL_CWD,
                          stdin=subprocess.DEVNULL)


def _offered(line: str) -> list[str]:
    proc = _complete(line)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.split()


def test_explain_completes_category_names() -> None:
    assert _offered("fwguide explain dev") == ["device-management"]
    assert set(_offered("fwguide explain ")) == {c.id for c in load().categories}


def test_set_completes_question_ids_then_choices() -> None:
    assert _offered("fwguide ask --set dep") == ["deploy="]
    assert set(_offered("fwguide ask --set ")) == {f"{q.id}=" for q in load().questions}
    scale = load().question("scale")
    assert set(_offered("fwguide ask --set scale=")) == {f"scale={c.id}" for c in scale.choices}
    assert _offered("fwguide ask --set pipeline=") == ["pipeline=yes", "pipeline=no"]


def test_set_completes_the_next_choice_of_a_list_without_repeating_one() -> None:
    offered = _offered("fwguide ask --set deploy=browser,mo")
    assert offered == ["deploy=browser,mobile-android", "deploy=browser,mobile-ios"]
    assert "deploy=browser,browser" not in _offered("fwguide ask --set deploy=browser,")


def test_framework_flag_completes_framework_names() -> None:
    assert set(_offered("fwguide probe-gpu --framework ")) == {f.cli_name for f in frameworks.known()}


@pytest.mark.parametrize("line", ["fwguide explain dev", "fwguide ask --set deploy="])
def test_completion_imports_no_framework(line: str) -> None:
    proc = _complete(line, importtime=True)
    modules = {row.split("|")[-1].strip().split(".")[0] for row in proc.stderr.splitlines()
               if row.startswith("import time:")}
    assert "fwguide" in modules and proc.stdout.strip()
    assert not modules & {"torch", "tensorflow", "keras", "jax", "questionary", "prompt_toolkit"}
