"""A team overlay changes single fields; `rules validate` checks the merged rulebook and names each line."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from fwguide.rulebook import check, load
from tests.conftest import ROOT, run_cli

THREE_LINES = """\
categories:
  - id: coverage
    current: {winner: pytorch}
"""

# The answers contract (docs/design.md): ids, kinds and the choices every rulebook must keep.
DESIGN_CONTRACT = {
    "scale": ("one", {"learning", "research", "startup", "enterprise"}),
    "deploy": ("many", {"none", "python-server", "high-traffic-serving", "jvm-service", "cpp-runtime",
                        "mobile-android", "mobile-ios", "browser", "microcontroller", "edge-tpu", "edge-gpu",
                        "edge-cpu"}),
    "hardware": ("many", {"cpu", "nvidia-gpu", "multi-gpu", "amd-gpu", "apple-silicon", "tpu"}),
    "os": ("one", {"linux", "windows", "macos"}),
    "experience": ("one", {"none", "python-numpy", "pytorch", "tensorflow"}),
    "existing_code": ("one", {"none", "pytorch", "tensorflow", "both"}),
    "existing_model": ("one", {"none", "pytorch", "tensorflow", "onnx"}),
    "workload": ("one", {"train-own", "fine-tune", "inference-only"}),
    "model_family": ("one", {"llm-transformers", "vision", "audio-speech", "tabular", "recommender",
                             "reinforcement", "dynamic-structures", "other"}),
    "pipeline": ("yesno", set()),
    "custom_kernels": ("yesno", set()),
    "visualization": ("yesno", set()),
}


def _team(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "team.yaml"
    path.write_text(text)
    return path


def _validate_json(path: Path) -> tuple[int, dict]:
    proc = run_cli("rules", "validate", str(path), "--json")
    assert "Traceback" not in proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def test_three_line_overlay_changes_todays_winner_and_keeps_the_rest(tmp_path: Path) -> None:
    team = _team(tmp_path, THREE_LINES)
    proc = run_cli("rules", "validate", str(team))
    assert proc.returncode == 0 and "OK" in proc.stdout, proc.stderr
    built_in = run_cli("explain", "coverage", "--json")
    patched = run_cli("explain", "coverage", "--rules", str(team), "--json")
    assert built_in.returncode == 0 and patched.returncode == 0, patched.stderr
    before, after = json.loads(built_in.stdout), json.loads(patched.stdout)
    assert before["current"]["winner"] == "tie" and after["current"]["winner"] == "pytorch"
    assert after["seed"] == before["seed"] and after["seed"]["winner"] == "tensorflow"
    assert after["title"] == before["title"] == "Coverage"
    for key in ("summary", "evidence", "as_of"):
        assert after["current"][key] == before["current"][key], key
    assert after["snippets"] == before["snippets"] and after["aliases"] == before["aliases"]


def test_every_problem_of_an_item_is_reported_at_its_overlay_line(tmp_path: Path) -> None:
    team = _team(tmp_path, """\
categories:
  - id: coverage
    current:
      winner: pytorh
    scoring:
      wieght: 3
""")
    code, data = _validate_json(team)
    assert code == 2 and data["ok"] is False
    assert [(p["path"], p["line"], p["field"], p["expected"]) for p in data["problems"]] == [
        (str(team), 4, "current.winner", "got 'pytorh', expected one of: pytorch, tensorflow, tie"),
        (str(team), 6, "scoring.wieght", "unknown field (not part of the schema: a typo?)"),
    ]


def test_the_merged_rulebook_is_checked_and_each_problem_names_its_file_and_line(tmp_path: Path) -> None:
    team = _team(tmp_path, """\
categories:
  - id: coverage
    scoring:
      rules:
        - when: {scale: huge}
          weight: 1
          because: Our reason.
  - id: our-policy
    title: Our policy
    kind: new
    current: {winner: pytorch, as_of: 2026-11-01, evidence: []}
    scoring: {base: 1}
""")
    proc = run_cli("rules", "validate", str(team))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert f"{team}:5: scoring.rules[0].when: 'huge' is not a choice of scale" in lines, lines
    assert f"{team}:11: current: missing required field summary" in lines, lines
    assert len(lines) == 3 and lines[-1].startswith("2 problem(s)"), lines


def test_lists_of_items_with_ids_merge_by_id_and_other_lists_replace(tmp_path: Path) -> None:
    team = _team(tmp_path, """\
questions:
  - id: deploy
    choices:
      - {id: browser, label: In a web page}
      - {id: quantum, label: A quantum computer}
categories:
  - id: coverage
    aliases: [ops coverage]
    scoring: {base: 2.5}
""")
    rulebook, problems = check(team)
    assert problems == []
    built_in = load()
    old_choices = [c.id for c in built_in.question("deploy").choices]
    choices = rulebook.question("deploy").choices
    assert [c.id for c in choices] == [*old_choices, "quantum"]
    assert next(c.label for c in choices if c.id == "browser") == "In a web page"
    coverage = rulebook.category("coverage")
    assert coverage.aliases == ["ops coverage"]
    assert coverage.scoring.base == 2.5 and coverage.scoring.rules == built_in.category("coverage").scoring.rules


def test_replace_mode_still_replaces_everything(tmp_path: Path) -> None:
    team = _team(tmp_path, 'rulebook: {version: "t1", as_of: 2026-11-01, mode: replace}\n' + THREE_LINES)
    rulebook, problems = check(team)
    assert rulebook.meta.version == "t1" and rulebook.categories == [] and rulebook.questions == []
    shown = [str(p) for p in problems]  # nothing of the built-in coverage category is kept
    assert f"{team}:4: current: missing required field summary" in shown, shown
    assert f"{team}:3: missing required field title" in shown, shown


def test_the_answers_contract_is_the_built_in_questions_marked_contract() -> None:
    marked = {q.id: (q.kind, {c.id for c in q.choices}) for q in load().questions if q.contract}
    assert marked.keys() == DESIGN_CONTRACT.keys()
    for qid, (kind, choices) in DESIGN_CONTRACT.items():
        assert marked[qid][0] == kind and choices <= marked[qid][1], qid


def test_an_overlay_cannot_unmark_or_change_a_contract_question(tmp_path: Path) -> None:
    team = _team(tmp_path, "questions:\n  - id: os\n    contract: false\n    kind: many\n")
    code, data = _validate_json(team)
    assert code == 2
    assert [(p["line"], p["field"], p["expected"]) for p in data["problems"]] == [
        (4, "kind", "expected 'one' (the answers contract)")]


def test_a_built_in_problem_is_shown_relative_to_the_rulebook_root(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "fwguide", tmp_path / "fwguide", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "rules", tmp_path / "rules")
    coverage = tmp_path / "rules" / "categories" / "coverage.yaml"
    lines = coverage.read_text().splitlines()
    line = next(i for i, text in enumerate(lines, 1) if text.strip() == "winner: tie")
    lines[line - 1] = lines[line - 1].replace("tie", "draw")
    coverage.write_text("\n".join(lines) + "\n")
    proc = run_cli("rules", "validate", env={"PYTHONPATH": f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"})
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    expected = f"categories/coverage.yaml:{line}: current.winner: got 'draw', expected one of: pytorch, tensorflow, tie"
    assert proc.stderr.splitlines()[0] == expected, proc.stderr


def test_a_broken_team_item_is_one_problem_not_a_cascade(tmp_path: Path) -> None:
    team = _team(tmp_path, "questions:\n  - id: deploy\n    choices: 5\n")
    code, data = _validate_json(team)
    assert code == 2  # the rules that ask about deploy still see the built-in question
    assert [(p["line"], p["field"], p["expected"]) for p in data["problems"]] == [
        (3, "choices", "Expected array, got int")]
