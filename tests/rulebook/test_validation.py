"""The rulebook schema rejects each kind of bad rulebook with its file and line."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from fwguide.errors import FwguideError
from fwguide.rulebook import check, load
from tests.conftest import run_cli

GOOD_CATEGORY = """\
categories:
  - id: team-policy
    title: Team policy
    kind: new
    aliases: [policy]
    current:
      winner: pytorch
      summary: Our platform team supports PyTorch only.
      as_of: 2026-11-01
      evidence:
        - claim: The platform team's decision record.
          source: https://example.com/decisions/42
    checks:
      - {framework: pytorch, check: has_attr, target: torch.compile}
    scoring:
      base: 1.0
      rules:
        - when: {scale: enterprise}
          weight: 2
          because: You are an enterprise team, and the platform team supports PyTorch only.
"""


def _write(tmp_path: Path, text: str, name: str = "team.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def _problems(path: Path) -> list[str]:
    _, problems = check(path)
    return [str(p) for p in problems]


def test_builtin_rulebook_is_valid() -> None:
    rulebook, problems = check()
    assert problems == []
    assert rulebook.meta.version and rulebook.meta.as_of


def test_builtin_rulebook_holds_every_category_of_the_article() -> None:
    ids = {c.id for c in load().categories}
    article = {"ramp-up-time", "graph-debugging", "coverage", "serialization", "deployment", "documentation",
               "data-loading", "device-management", "custom-extensions"}
    notes = {"visualization", "high-level-api", "dynamic-batching"}
    new = {"ecosystem", "hardware-platforms", "distributed-training", "compilation"}
    assert article | notes | new <= ids


def test_every_current_verdict_names_a_source() -> None:
    for category in load().categories:
        assert category.current.evidence, category.id
        assert all(e.source.startswith("https://") for e in category.current.evidence), category.id


def test_a_good_team_overlay_adds_its_category(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD_CATEGORY)
    assert _problems(path) == []
    assert load(path).category("team-policy") is not None


@pytest.mark.parametrize(("case", "text", "line", "fragment"), [
    ("unknown key", GOOD_CATEGORY.replace("    kind: new\n", "    kind: new\n    colour: blue\n"), 5,
     ": colour: unknown field"),
    ("wrong type", GOOD_CATEGORY.replace("base: 1.0", "base: lots"), 16, "Expected float"),
    ("missing field", GOOD_CATEGORY.replace("      summary: Our platform team supports PyTorch only.\n", ""), 6,
     "missing required field summary"),
    ("bad winner",
     GOOD_CATEGORY.replace("winner: pytorch", "winner: jax"), 7, "expected one of: pytorch, tensorflow, tie"),
    ("unknown check", GOOD_CATEGORY.replace("check: has_attr", "check: runs_fast"), 14, "unknown check 'runs_fast'"),
    ("unknown question", GOOD_CATEGORY.replace("when: {scale: enterprise}", "when: {budget: big}"), 18,
     "unknown question id 'budget'"),
    ("unknown choice", GOOD_CATEGORY.replace("when: {scale: enterprise}", "when: {scale: huge}"), 18,
     "'huge' is not a choice of scale"),
    ("broken alias", GOOD_CATEGORY.replace("aliases: [policy]", "aliases: [coverage]"), 5,
     "'coverage' already names category 'coverage'"),
    ("target outside the framework", GOOD_CATEGORY.replace("target: torch.compile", "target: os.system"), 14,
     "expected a dotted name starting with torch"),
    ("duplicate key", GOOD_CATEGORY.replace("    kind: new\n", "    kind: new\n    kind: article\n"), 5,
     "duplicate key 'kind'"),
    ("syntax error", GOOD_CATEGORY.replace("aliases: [policy]", "aliases: [policy"), 6, ""),
    ("evidence without a URL", GOOD_CATEGORY.replace("https://example.com/decisions/42", "our wiki"), 12,
     "expected a URL"),
], ids=lambda v: v if isinstance(v, str) and len(v) < 40 else "")
def test_bad_rulebook_is_reported_with_file_and_line(tmp_path: Path, case: str, text: str, line: int,
                                                     fragment: str) -> None:
    path = _write(tmp_path, text)
    try:
        problems = _problems(path)
    except FwguideError as exc:  # a file that is not YAML at all stops before the schema
        problems = [exc.message]
    assert problems, case
    assert any(p.startswith(f"{path}:{line}:") and fragment in p for p in problems), problems


def test_duplicate_category_ids_are_reported(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    _write(folder, GOOD_CATEGORY, "a.yaml")
    _write(folder, GOOD_CATEGORY, "b.yaml")
    problems = _problems(folder)
    assert any(f"{folder / 'b.yaml'}:2:" in p and "duplicate id" in p for p in problems), problems


def test_python_tags_are_refused_and_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    path = _write(tmp_path, f"categories: !!python/object/apply:os.system ['touch {marker}']\n")
    with pytest.raises(FwguideError) as raised:
        check(path)
    assert f"{path}:1:" in raised.value.message and "no Python or custom tags" in raised.value.message
    assert not marker.exists()


def test_replace_mode_needs_the_answers_contract(tmp_path: Path) -> None:
    text = 'rulebook: {version: "t1", as_of: 2026-11-01, mode: replace}\n' + GOOD_CATEGORY
    problems = _problems(_write(tmp_path, text))
    assert any(": questions: 'scale' is required by the answers contract" in p for p in problems), problems


def test_rules_validate_cli_lists_problems_and_exits_2(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD_CATEGORY.replace("winner: pytorch", "winner: 7"))
    proc = run_cli("rules", "validate", str(path))
    assert proc.returncode == 2
    assert f"{path}:7: current.winner: got 7, expected one of: pytorch, tensorflow, tie" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_rules_validate_cli_json(tmp_path: Path) -> None:
    proc = run_cli("rules", "validate", "--json")
    data = json.loads(proc.stdout)
    assert proc.returncode == 0 and data["ok"] is True and data["problems"] == []


def test_rules_validate_missing_path_is_bad_input(tmp_path: Path) -> None:
    proc = run_cli("rules", "validate", str(tmp_path / "nope"))
    assert proc.returncode == 2 and "no such file or folder" in proc.stderr and "Traceback" not in proc.stderr


def test_overlay_replaces_a_builtin_category_in_explain(tmp_path: Path) -> None:
    text = GOOD_CATEGORY.replace("id: team-policy", "id: coverage").replace("title: Team policy", "title: Coverage")
    text = text.replace("kind: new", "kind: new").replace("aliases: [policy]", "aliases: [our coverage]")
    path = _write(tmp_path, text)
    proc = run_cli("explain", "coverage", "--json", "--rules", str(path))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["current"]["summary"] == "Our platform team supports PyTorch only."
