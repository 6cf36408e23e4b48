"""`fwguide ask` reads the project folder: detected answers with their evidence, and the user's answers win."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from fwguide.rulebook import load
from tests.ask.terminal import ENTER, exit_status, spawn
from tests.conftest import run_cli
from tests.project.test_scan import make_tree

ASK = ("ask", "--no-input", "--no-probe")
TF_PROJECT = {"requirements.txt": "tensorflow==2.21\n", "train.py": "import tensorflow as tf\n",
              "data.py": "import tensorflow_datasets as tfds\n"}


def _ask_json(folder: Path, *args: str) -> dict:
    proc = run_cli(*ASK, "--json", *args, cwd=folder)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_tensorflow_code_and_requirements_are_detected_with_evidence(tmp_path: Path) -> None:
    data = _ask_json(make_tree(tmp_path, TF_PROJECT))
    assert data["answers"]["existing_code"] == "tensorflow" and data["answers"]["experience"] == "tensorflow"
    assert data["detected"]["existing_code"] == ["2 files import tensorflow or tensorflow_datasets",
                                                 "requirements.txt declares TensorFlow"]
    assert data["detected"]["hardware"] == ["detected on this machine"]
    assert "existing_code" not in data["defaulted"]
    assert data["project"]["path"] == str(tmp_path.resolve()) and data["project"]["complete"] is True


def test_both_frameworks_are_detected_as_both(tmp_path: Path) -> None:
    make_tree(tmp_path, {**TF_PROJECT, "torch_model.py": "import torch\n",
                         "torch_data.py": "from torch.utils import data\n"})
    data = _ask_json(tmp_path)
    assert data["answers"]["existing_code"] == "both"
    assert "2 files import torch" in data["detected"]["existing_code"]


def test_an_empty_folder_detects_nothing(tmp_path: Path) -> None:
    data = _ask_json(tmp_path)
    assert data["project"] is None
    assert "existing_code" in data["defaulted"] and "experience" in data["defaulted"]
    assert set(data["detected"]) == {"os", "hardware"}


def test_the_users_answer_wins_over_the_project(tmp_path: Path) -> None:
    make_tree(tmp_path, TF_PROJECT)
    data = _ask_json(tmp_path, "--set", "existing_code=pytorch")
    assert data["answers"]["existing_code"] == "pytorch" and "existing_code" not in data["detected"]
    assert data["answers"]["experience"] == "tensorflow"  # still detected: it was not answered

    answers = tmp_path / "team.yaml"
    answers.write_text("existing_code: none\nexperience: python-numpy\n")
    data = _ask_json(tmp_path, "--answers", str(answers))
    assert (data["answers"]["existing_code"], data["answers"]["experience"]) == ("none", "python-numpy")
    assert data["project"] is None  # nothing left to detect: the folder is not even read


def test_project_flag_reads_another_folder_and_rejects_a_missing_one(tmp_path: Path) -> None:
    project = make_tree(tmp_path / "repo", TF_PROJECT)
    data = _ask_json(tmp_path, "--project", str(project))
    assert data["answers"]["existing_code"] == "tensorflow"

    proc = run_cli(*ASK, "--project", str(tmp_path / "nope"))
    assert proc.returncode == 2
    assert "--project" in proc.stderr and "no such folder" in proc.stderr and "Traceback" not in proc.stderr
    (tmp_path / "notes.txt").write_text("not a project\n")
    proc = run_cli(*ASK, "--project", str(tmp_path / "notes.txt"))
    assert proc.returncode == 2 and "a file, not a folder" in proc.stderr


def test_screen_and_report_show_the_evidence(tmp_path: Path) -> None:
    make_tree(tmp_path, TF_PROJECT)
    report = tmp_path / "decision.md"
    proc = run_cli(*ASK, "--report", str(report), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "TensorFlow: existing TensorFlow code (detected, +" in proc.stdout
    record = report.read_text()
    assert ("| `existing_code` | tensorflow | existing TensorFlow code | detected in the project: 2 files import "
            "tensorflow or tensorflow\\_datasets; requirements.txt declares TensorFlow |") in record
    assert f"## Project\n\n- Scanned `{tmp_path.resolve()}`: 3 files read." in record


def test_a_big_tree_keeps_ask_quick_and_says_the_scan_stopped(tmp_path: Path) -> None:
    for package in range(50):
        make_tree(tmp_path / f"pkg{package}", {f"m{i}.py": "import torch\n" for i in range(100)})
    start = time.perf_counter()
    data = _ask_json(tmp_path, "--project", str(tmp_path))
    took = time.perf_counter() - start
    assert data["project"]["complete"] is False and "(the limit)" in data["project"]["stopped"]
    assert data["answers"]["existing_code"] == "pytorch"
    assert took < 20, took  # the scan adds its bound (0.3 s) to start-up, not a walk of the whole tree


def test_scanning_a_project_imports_no_framework(tmp_path: Path) -> None:
    make_tree(tmp_path, {"m.py": "import torch\nimport tensorflow\n", "requirements.txt": "torch\n"})
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "fwguide", *ASK, "--json"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL, env=os.environ)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout)["answers"]["existing_code"] == "both"
    modules = {line.split("|")[-1].strip().split(".")[0] for line in proc.stderr.splitlines()
               if line.startswith("import time:")}
    assert "fwguide" in modules and not modules & {"torch", "tensorflow", "keras", "jax"}


def test_the_questionnaire_prefills_detected_answers_and_shows_why(tmp_path: Path) -> None:
    make_tree(tmp_path, TF_PROJECT)
    child = spawn("--no-probe", "--project", str(tmp_path), "--save", str(tmp_path / "answers.yaml"))
    child.expect("Detected in the project: existing TensorFlow code \\(2 files import tensorflow")
    detected = {"existing_code": "existing TensorFlow code", "experience": "your team knows TensorFlow/Keras"}
    for question in load().questions:  # accept every pre-filled answer
        child.expect(re.escape(question.prompt))
        if question.id in detected:
            child.expect(re.escape(f"detected here: {detected[question.id]}"))
        child.send(ENTER)
    child.expect("Recommendation")
    assert exit_status(child) == 0
    saved = (tmp_path / "answers.yaml").read_text()
    assert "existing_code: tensorflow" in saved and "experience: tensorflow" in saved


def test_an_answers_file_speaks_for_its_project_unless_project_is_given(tmp_path: Path) -> None:
    make_tree(tmp_path, TF_PROJECT)
    answers = tmp_path / "other-project.yaml"
    answers.write_text("scale: startup\n")
    data = _ask_json(tmp_path, "--answers", str(answers))
    assert data["answers"]["existing_code"] == "none" and data["project"] is None
    data = _ask_json(tmp_path, "--answers", str(answers), "--project", str(tmp_path))
    assert data["answers"]["existing_code"] == "tensorflow"
