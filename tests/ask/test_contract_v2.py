"""The answers contract v2: new ids, old ids that still load, `ask --list`, and the v2 JSON keys."""

from __future__ import annotations

import json
from pathlib import Path

from fwguide.rulebook import load
from tests.conftest import run_cli

V2 = {
    "deploy": {"jvm-service", "cpp-runtime", "edge-tpu", "edge-gpu", "edge-cpu"},
    "existing_code": {"both"},
    "workload": {"train-own", "fine-tune", "inference-only"},
}


def test_list_prints_every_question_with_kind_choices_and_default() -> None:
    proc = run_cli("ask", "--list")
    assert proc.returncode == 0, proc.stderr
    for question in load().questions:
        assert f"{question.id} (" in proc.stdout
        for choice in question.choices:
            assert f"  - {choice.id}: " in proc.stdout
    assert "pipeline (yes or no; default: no)" in proc.stdout
    assert "old id edge-device is read as edge-cpu" in proc.stdout


def test_list_json_carries_the_v2_contract() -> None:
    proc = run_cli("ask", "--list", "--json")
    assert proc.returncode == 0, proc.stderr
    questions = {q["id"]: q for q in json.loads(proc.stdout)["questions"]}
    for qid, choices in V2.items():
        assert choices <= {c["id"] for c in questions[qid]["choices"]}
    assert questions["pipeline"]["kind"] == "yesno" and questions["pipeline"]["default"] is False
    assert questions["deploy"]["renamed"] == {"edge-device": "edge-cpu", "cpp-or-java-runtime": "cpp-runtime"}


def test_answers_saved_with_old_ids_load_with_a_one_line_note(tmp_path: Path) -> None:
    old = tmp_path / "old.yaml"
    old.write_text("scale: enterprise\ndeploy: [edge-device, cpp-or-java-runtime, python-server]\n")
    proc = run_cli("ask", "--no-probe", "--no-input", "--json", "--answers", str(old))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["answers"]["deploy"] == ["edge-cpu", "cpp-runtime", "python-server"]
    notes = [line for line in proc.stderr.splitlines() if line.startswith("note:")]
    assert notes == [
        "note: deploy 'edge-device' is read as 'edge-cpu'; the new choices are edge-tpu, edge-gpu, edge-cpu "
        "(see `fwguide ask --list`)",
        "note: deploy 'cpp-or-java-runtime' is read as 'cpp-runtime'; the new choices are jvm-service, "
        "cpp-runtime (see `fwguide ask --list`)",
    ]
    saved = tmp_path / "saved.yaml"
    assert run_cli("ask", "--no-probe", "--no-input", "--answers", str(old), "--save", str(saved)).returncode == 0
    assert "edge-device" not in saved.read_text() and "edge-cpu" in saved.read_text()


def test_json_reports_hard_constraints_and_what_would_change() -> None:
    proc = run_cli("ask", "--no-probe", "--no-input", "--json", "--set", "deploy=edge-tpu", "--set", "scale=startup")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["recommendation"] == "tensorflow"
    assert data["hard_constraints"] == [{
        "category": "deployment", "framework": "tensorflow",
        "because": "Only TensorFlow Lite (LiteRT) models compiled by the Edge TPU Compiler run on a Coral Edge TPU.",
        "cause": "you answered deploy = edge-tpu",
        "causes": [{"question": "deploy", "answer": ["edge-tpu"], "origin": "answered"}]}]
    first = data["what_would_change"][0]
    assert set(first) >= {"question", "answer", "recommendation", "confidence", "summary"}
    assert (first["question"], first["answer"], first["recommendation"]) == ("deploy", ["none"], "pytorch")
    # points stay points: no bonus in the hundreds for a constraint
    assert max(data["scores"].values()) < 20


def test_a_blank_questionnaire_is_not_strong() -> None:
    proc = run_cli("ask", "--no-probe", "--no-input", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["confidence"] != "strong"


def test_new_questions_answer_through_set() -> None:
    proc = run_cli("ask", "--no-probe", "--no-input", "--json", "--set", "workload=fine-tune", "--set", "pipeline=yes",
                   "--set", "existing_code=both")
    assert proc.returncode == 0, proc.stderr
    answers = json.loads(proc.stdout)["answers"]
    assert (answers["workload"], answers["pipeline"], answers["existing_code"]) == ("fine-tune", True, "both")


def test_the_first_change_drops_one_target_rather_than_all_of_them() -> None:
    proc = run_cli("ask", "--no-probe", "--no-input", "--json", "--set", "deploy=edge-tpu,python-server",
                   "--set", "hardware=nvidia-gpu")
    first = json.loads(proc.stdout)["what_would_change"][0]
    assert (first["question"], first["answer"]) == ("deploy", ["python-server"])
    assert first["summary"].startswith("Without Coral Edge TPU: PyTorch would be recommended")
