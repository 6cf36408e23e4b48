"""What `ask` shows and records: the --json contract of docs/design.md and the Markdown decision record."""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path

from fwguide.rulebook import load
from tests.conftest import DATA, run_cli

DESIGN_KEYS = {"recommendation", "confidence", "scores", "contributions", "reasons", "alternatives", "answers",
               "probe", "rulebook"}
CONTRIBUTION_KEYS = {"category", "weight", "winner", "points", "because"}


def _ask_json(*args: str) -> dict:
    proc = run_cli("ask", "--no-probe", "--no-input", "--json", *args)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def test_json_has_every_design_key_with_its_type() -> None:
    data = _ask_json("--set", "hardware=tpu", "--set", "scale=research")
    assert set(data) >= DESIGN_KEYS
    assert data["recommendation"] in ("pytorch", "tensorflow")
    assert data["confidence"] in ("strong", "moderate", "slight")
    assert set(data["scores"]) == {"pytorch", "tensorflow"} and all(_is_number(v) for v in data["scores"].values())
    assert data["contributions"]
    categories = {c.id for c in load().categories}
    for item in data["contributions"]:
        assert set(item) >= CONTRIBUTION_KEYS
        assert item["category"] in categories
        assert _is_number(item["weight"]) and item["winner"] in ("pytorch", "tensorflow", "tie")
        assert set(item["points"]) == {"pytorch", "tensorflow"} and all(_is_number(v) for v in item["points"].values())
        assert isinstance(item["because"], str) and item["because"]
    assert data["reasons"] and all(isinstance(r, str) and r for r in data["reasons"])
    assert all(isinstance(a, str) for a in data["alternatives"])
    assert any(a.startswith("JAX:") for a in data["alternatives"])
    assert set(data["answers"]) == {q.id for q in load().questions}
    assert data["probe"] is None
    assert set(data["rulebook"]) == {"version", "as_of"}
    assert data["rulebook"]["version"] == load().meta.version
    datetime.date.fromisoformat(data["rulebook"]["as_of"])
    assert data["next_step"]["command"].startswith("pip install")


def test_json_scores_add_up_and_name_the_winner() -> None:
    data = _ask_json("--set", "deploy=microcontroller")
    for framework in ("pytorch", "tensorflow"):
        total = sum(c["points"][framework] for c in data["contributions"])
        assert abs(total - data["scores"][framework]) < 1e-6
    assert data["recommendation"] == max(data["scores"], key=data["scores"].get)


def test_report_is_a_markdown_decision_record(tmp_path: Path) -> None:
    report = tmp_path / "decision.md"
    proc = run_cli("ask", "--no-probe", "--no-input", "--set", "deploy=browser", "--set", "custom_kernels=yes",
                   "--report", str(report))
    assert proc.returncode == 0, proc.stderr
    assert f"Wrote {report}" in proc.stdout
    text = report.read_text()
    rulebook = load()
    assert re.match(r"# Framework decision: (PyTorch|TensorFlow)\n", text)
    for heading in ("## Why", "## Answers", "## Per category", "## Alternatives", "## Next step", "## Machine"):
        assert f"\n{heading}\n" in text
    assert f"rulebook {rulebook.meta.version} (facts as of {rulebook.meta.as_of.isoformat()})" in text
    scale = load().question("scale")
    assert f"| {scale.prompt} | `scale` | {scale.default} | a startup | default (not asked) |" in text
    assert "| `custom_kernels` | yes | custom kernels | answered |" in text
    assert "| `deploy` | browser | web browser | answered |" in text
    table = text.split("## Per category")[1].split("## Alternatives")[0]
    rows = [line for line in table.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert rows and all(line.count(" | ") == 5 for line in rows)  # six cells: no stray pipes
    assert re.search(r"\[1\]\(https://[^)]+\)", table)
    assert "ONNX Runtime Web" in text
    assert "```bash\npip install" in text
    why = text.split("## Why")[1].split("## Answers")[0]
    assert "In favour of" in why or "none of the answers" in why  # both sides, not only the winner's


def test_report_says_where_each_answer_came_from_in_plain_words(tmp_path: Path) -> None:
    report = tmp_path / "decision.md"
    proc = run_cli("ask", "--no-input", "--probe-json", str(DATA / "probe_h100_constructed.json"),
                   "--set", "scale=research", "--report", str(report))
    assert proc.returncode == 0, proc.stderr
    text = report.read_text()
    rows = {line.split(" | ")[1]: line.split(" | ")[-1].rstrip(" |") for line in text.splitlines()
            if line.startswith("| ") and "`" in line}
    assert rows["`scale`"] == "answered"
    assert rows["`hardware`"] == "detected" and rows["`os`"] == "detected"
    assert rows["`deploy`"] == "default (not asked)"
    machine = text.split("## Machine")[1]
    assert "The probe found that" not in text and "found that no GPU was found" not in text
    assert "- The NVIDIA driver reports at least one GPU.\n" in machine
