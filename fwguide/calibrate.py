"""Run a library of documented decisions through the engine and measure how often it agrees.

A cases file holds `cases:`, a list of `{id, source, answers, expected, close, why}`.
Each case is scored as `ask --answers … --no-input --no-probe` would score it: the
answers it gives, the rulebook's documented default for the rest, no probe facts.
Keys a case file may carry for its readers (year, title, notes, …) are ignored.

Agreement is measured on the firm cases: a close call (`close: true`) is one where either
framework was defensible, so it is shown but does not count, and neither does a case
marked `holds_today: false` (a call its source says would not be made the same way
today; the rulebook judges by today's facts). Misses at strong confidence count on every case
that still holds today, close calls included.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec

from fwguide import fuzzy
from fwguide.answers import Where, parse_mapping, with_defaults
from fwguide.engine import FRAMEWORKS, Points, recommend
from fwguide.errors import FwguideError, located
from fwguide.rulebook.schema import Confidence, Framework, Rulebook

_REQUIRED = ("id", "source", "answers", "expected")


class Case(msgspec.Struct, frozen=True):
    id: str
    source: str
    answers: dict[str, Any]
    expected: Framework
    close: bool = False
    why: str = ""
    holds_today: bool = True


class CaseResult(msgspec.Struct, frozen=True):
    id: str
    expected: Framework
    recommendation: Framework
    confidence: Confidence
    scores: Points
    hit: bool
    close: bool
    holds_today: bool = True

    @property
    def counted(self) -> bool:
        """Whether the case counts towards agreement: a firm call that still holds today."""
        return not self.close and self.holds_today


class Calibration(msgspec.Struct, frozen=True):
    agreement: float  # share of the counted (firm, still valid) cases where the engine agrees
    cases: tuple[CaseResult, ...]
    strong_misses: int  # over every case that still holds today, close calls included
    confidence_counts: dict[str, int]

    @property
    def misses(self) -> tuple[CaseResult, ...]:
        return tuple(c for c in self.cases if not c.hit)


def read_cases(path: Path, rulebook: Rulebook) -> list[Case]:
    """The cases of a YAML or JSON file, each checked; problems are located FILE:LINE: field: expected."""
    from fwguide.rulebook.yamlsource import LineDict, read_yaml

    if path.is_dir() or not path.exists():
        raise FwguideError(f"{path}: no such file", hint="rules calibrate takes a YAML or JSON file of cases")
    data = read_yaml(path)
    name = str(path)
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        line = data.key_lines.get("cases") if isinstance(data, LineDict) else 1
        raise FwguideError(located(name, line, "cases", "expected a list of cases under the top-level key `cases`"))
    items: list[Any] = data["cases"]
    lines: list[int] = getattr(items, "item_lines", [])
    cases: list[Case] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        line = lines[index] if index < len(lines) else None
        cases.append(_read_case(item, f"cases[{index}]", name, line, rulebook))
        if cases[-1].id in seen:
            raise FwguideError(located(name, line, f"cases[{index}].id",
                                       f"duplicate case id {cases[-1].id!r} (first at case {seen[cases[-1].id]})"))
        seen[cases[-1].id] = index
    if not cases:
        raise FwguideError(located(name, data.key_lines.get("cases") if isinstance(data, LineDict) else None,
                                   "cases", "expected at least one case"))
    return cases


def _read_case(item: Any, field: str, name: str, line: int | None, rulebook: Rulebook) -> Case:
    if not isinstance(item, dict):
        raise FwguideError(located(name, line, field, "expected a mapping with id, source, answers and expected"))
    key_lines: Mapping[Any, int] = getattr(item, "key_lines", {})

    def fail(key: str, expected: str) -> FwguideError:
        return FwguideError(located(name, key_lines.get(key, line), f"{field}.{key}", expected))

    for key in _REQUIRED:
        if key not in item:
            typo = fuzzy.closest(key, [str(k) for k in item if k not in _REQUIRED])
            raise fail(key, "missing" + (f" (is {typo!r} a misspelling of it?)" if typo else ""))
    case_id, source, expected = item["id"], item["source"], item["expected"]
    if not isinstance(case_id, (str, int)) or isinstance(case_id, bool) or not str(case_id).strip():
        raise fail("id", "expected a short text id")
    if not isinstance(source, str) or not source.startswith(("https://", "http://")):
        raise fail("source", "expected the URL of the page that documents the decision")
    if expected not in FRAMEWORKS:
        raise fail("expected", f"expected pytorch or tensorflow, got {expected!r}")
    close, holds_today = item.get("close", False), item.get("holds_today", True)
    for key, value in (("close", close), ("holds_today", holds_today)):
        if not isinstance(value, bool):
            raise fail(key, "expected true or false")
    why = item.get("why", "")
    if not isinstance(why, str):
        raise fail("why", "expected text")
    answers = item["answers"]
    if answers is not None and not isinstance(answers, dict):
        raise fail("answers", "expected a mapping of question id to answer")
    where = Where(name, getattr(answers, "key_lines", {}), key_lines.get("answers", line))
    parsed = parse_mapping(answers, rulebook, where)
    return Case(id=str(case_id), source=source, answers=parsed, expected=expected, close=close, why=why,
                holds_today=holds_today)


def calibrate(cases: list[Case], rulebook: Rulebook) -> Calibration:
    """Score every case; unanswered questions take the rulebook's documented defaults."""
    results = []
    for case in cases:
        answers = with_defaults(rulebook, case.answers, {})
        result = recommend(answers.values, rulebook, origins=answers.origins)
        results.append(CaseResult(id=case.id, expected=case.expected, recommendation=result.recommendation,
                                  confidence=result.confidence, scores=result.scores,
                                  hit=result.recommendation == case.expected, close=case.close,
                                  holds_today=case.holds_today))
    counted = [r for r in results if r.counted] or results
    counts = Counter(r.confidence for r in results)
    return Calibration(
        agreement=round(sum(r.hit for r in counted) / len(counted), 4) if counted else 0.0,
        cases=tuple(results),
        strong_misses=sum(1 for r in results if not r.hit and r.confidence == "strong" and r.holds_today),
        confidence_counts={level: counts.get(level, 0) for level in ("strong", "moderate", "slight")},
    )
