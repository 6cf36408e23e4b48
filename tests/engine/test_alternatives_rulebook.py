"""The `alternatives` section of a rulebook: merged like other sections, checked with file and line."""

from __future__ import annotations

from pathlib import Path

from fwguide.rulebook import check, load


def test_built_in_alternatives_load_with_sources() -> None:
    alternatives = load().alternatives
    assert {"jax-on-tpu", "keras-3-open-backend", "onnx-runtime", "executorch", "litert-from-pytorch"} <= {
        a.id for a in alternatives}
    assert all(a.source.startswith("https://") and a.summary for a in alternatives)


def test_team_overlay_replaces_an_alternative_by_id(tmp_path: Path) -> None:
    team = tmp_path / "team.yaml"
    team.write_text("alternatives:\n  - id: jax-on-tpu\n    name: Our TPU guide\n    summary: Ask the platform team.\n"
                    "    source: https://example.org/tpu\n    when: {hardware: tpu}\n")
    rulebook, problems = check(team)
    assert problems == []
    assert [a.name for a in rulebook.alternatives if a.id == "jax-on-tpu"] == ["Our TPU guide"]


def test_bad_alternatives_are_reported_with_file_and_line(tmp_path: Path) -> None:
    team = tmp_path / "team.yaml"
    team.write_text("alternatives:\n  - id: Bad Id\n    name: X\n    summary: s\n    source: nope\n"
                    "    when: {hardwar: tpu}\n    confidence: [certain]\n")
    _, problems = check(team)
    assert [(p.line, p.field) for p in problems] == [(7, "confidence[0]")]
    team.write_text("alternatives:\n  - id: Bad Id\n    name: X\n    summary: s\n    source: nope\n"
                    "    when: {hardwar: tpu}\n")
    _, problems = check(team)
    assert [(p.line, p.expected) for p in problems] == [
        (2, "expected lower-case letters, digits, '-' or '_'"),
        (5, "expected a URL"),
        (6, "unknown question id 'hardwar'"),
    ]
