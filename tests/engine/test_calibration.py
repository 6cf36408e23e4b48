"""The case library of documented decisions, replayed through `fwguide rules calibrate` and `ask`.

cases/decisions.yaml holds publicly documented framework decisions, each with its source,
the answers its team would have given, and why the call was right then and whether it still
is. The built-in rulebook must agree with the firm cases that still hold today (>= 90%) and
never miss at strong confidence.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

CASES = ROOT / "cases" / "decisions.yaml"
LIBRARY = yaml.safe_load(CASES.read_text())["cases"]


def _fwguide(*args: str, cwd: Path = ROOT, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "fwguide", *args], capture_output=True, text=True, cwd=cwd,
                          input=stdin, timeout=120)


def test_the_library_is_large_sourced_and_has_hard_cases() -> None:
    assert len(LIBRARY) >= 40
    assert sum(c["expected"] == "tensorflow" for c in LIBRARY) >= 15
    assert sum(c["expected"] == "pytorch" for c in LIBRARY) >= 15
    assert sum(bool(c.get("close")) for c in LIBRARY) >= 8
    assert all(c["source"].startswith("https://") and len(c["why"].split()) >= 20 for c in LIBRARY)
    # teams that left TensorFlow code behind, and PyTorch teams that shipped on TensorFlow's runtimes
    assert any(c["answers"].get("existing_code") == "tensorflow" and c["expected"] == "pytorch" for c in LIBRARY)
    assert any(c["answers"].get("existing_code") == "pytorch" and c["expected"] == "tensorflow" for c in LIBRARY)


def test_built_in_rulebook_agrees_with_the_library_and_is_never_confidently_wrong() -> None:
    proc = _fwguide("rules", "calibrate", str(CASES), "--json")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    report = json.loads(proc.stdout)
    assert report["agreement"] >= 0.9 and report["strong_misses"] == 0
    counts = report["confidence_counts"]
    assert sum(counts.values()) == len(LIBRARY) and counts["strong"] < len(LIBRARY) / 2


def test_calibrate_scores_each_case_as_ask_does(tmp_path: Path) -> None:
    report = {c["id"]: c for c in json.loads(_fwguide("rules", "calibrate", str(CASES), "--json").stdout)["cases"]}
    for case in LIBRARY[::6]:
        answers = tmp_path / f"{case['id']}.yaml"
        answers.write_text(yaml.safe_dump(case["answers"]))
        proc = _fwguide("ask", "--answers", str(answers), "--no-input", "--no-probe", "--json", cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        asked = json.loads(proc.stdout)
        row = report[case["id"]]
        assert (asked["recommendation"], asked["confidence"], asked["scores"]) == (
            row["recommendation"], row["confidence"], row["scores"]), case["id"]


def test_calibrate_fails_below_min_and_lists_every_miss(tmp_path: Path) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text(yaml.safe_dump({"cases": [
        {"id": "coral", "source": "https://coral.ai/docs/edgetpu/models-intro/", "expected": "tensorflow",
         "answers": {"deploy": ["edge-tpu"], "scale": "startup"}},
        {"id": "wrong-on-purpose", "source": "https://example.org/a", "expected": "tensorflow",
         "answers": {"scale": "research", "model_family": "llm-transformers", "workload": "fine-tune",
                     "hardware": ["multi-gpu"], "experience": "pytorch", "existing_code": "pytorch"}},
    ]}))
    proc = _fwguide("rules", "calibrate", str(cases))
    assert proc.returncode == 1
    assert "Agreement on firm cases: 1/2 (50%)" in proc.stdout
    assert "wrong-on-purpose: expected TensorFlow, got PyTorch (strong" in proc.stdout
    assert "Misses at strong confidence: 1" in proc.stdout
    data = json.loads(_fwguide("rules", "calibrate", str(cases), "--json", "--min", "0.5").stdout)
    assert (data["agreement"], data["strong_misses"], data["ok"]) == (0.5, 1, False)
    assert [c["hit"] for c in data["cases"]] == [True, False]


@pytest.mark.parametrize(("content", "message"), [
    ("cases: nope\n", "cases.yaml:1: cases: expected a list of cases"),
    ("cases:\n  - id: a\n    source: https://x.org\n    answers: {}\n    expected: jax\n",
     "cases.yaml:5: cases[0].expected: expected pytorch or tensorflow, got 'jax'"),
    ("cases:\n  - id: a\n    source: https://x.org\n    answers:\n      deploy: [browsr]\n    expected: pytorch\n",
     "cases.yaml:5: deploy: unknown choice 'browsr'"),
    ("cases:\n  - id: a\n    source: https://x.org\n    answers: {}\n    expectd: pytorch\n",
     "cases[0].expected: missing (is 'expectd' a misspelling of it?)"),
    ("cases:\n  - id: a\n    source: not-a-url\n    answers: {}\n    expected: pytorch\n",
     "cases.yaml:3: cases[0].source: expected the URL"),
])
def test_bad_case_files_get_located_errors_and_exit_2(tmp_path: Path, content: str, message: str) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text(content)
    proc = _fwguide("rules", "calibrate", str(cases))
    assert proc.returncode == 2
    assert message in proc.stderr and "Traceback" not in proc.stderr


def test_old_answer_ids_in_a_case_still_load_with_a_note(tmp_path: Path) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text("cases:\n  - id: a\n    source: https://x.org\n    answers: {deploy: [edge-device]}\n"
                     "    expected: tensorflow\n")
    proc = _fwguide("rules", "calibrate", str(cases), "--json")
    assert proc.returncode in (0, 1)
    assert "'edge-device' is read as 'edge-cpu'" in proc.stderr and "edge-tpu, edge-gpu, edge-cpu" in proc.stderr


@pytest.mark.parametrize("library", ["fresh_a.yaml", "fresh_b.yaml"])
def test_libraries_sourced_apart_from_the_weights_see_no_strong_miss(library: str) -> None:
    cases = yaml.safe_load((ROOT / "cases" / library).read_text())["cases"]
    assert len(cases) >= 15 and all(c["source"].startswith("https://") for c in cases)
    proc = _fwguide("rules", "calibrate", str(ROOT / "cases" / library), "--json", "--min", "0.7")
    report = json.loads(proc.stdout)
    assert report["strong_misses"] == 0 and report["agreement"] >= 0.7, proc.stdout[-2000:]
    assert proc.returncode == 0
