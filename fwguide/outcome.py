"""One `ask` run as data: the answers, the recommendation and what the machine and project showed.

The screen (fwguide.render.ask), the decision record (fwguide.render.report) and `ask --json`
all read an `AskOutcome`; this module also gives the JSON document and the per-category
summary the views share, so no view computes anything of its own.
"""

from __future__ import annotations

import datetime
from typing import Any, NamedTuple

import msgspec

from fwguide.answers import Answers
from fwguide.engine import Contribution, Recommendation
from fwguide.rulebook.schema import Alternative


class AskOutcome(msgspec.Struct, frozen=True):
    """Everything the views and the decision record show about one `ask` run."""

    answers: Answers
    result: Recommendation
    rulebook_version: str
    rulebook_as_of: datetime.date
    probe: dict[str, Any] | None  # the probe's summary, None without a probe
    machine: dict[str, Any]  # os / hardware as this machine shows them; filled only for the decision record
    facts: tuple[str, ...]
    recorded: datetime.date
    project: dict[str, Any] | None = None  # what the project scan read and found, None when it did not run
    notes: tuple[str, ...] = ()  # things the run noticed about its inputs, said once (e.g. fwguide's own checkout)


def alternative_text(alternative: Alternative) -> str:
    return f"{alternative.name}: {' '.join(alternative.summary.split())} ({alternative.source})"


def to_json_dict(outcome: AskOutcome) -> dict[str, Any]:
    """`ask --json`: the keys of the contract (docs/design.md), then a few more."""
    result = outcome.result
    step = msgspec.to_builtins(result.next_step) if result.next_step else None
    return {
        "recommendation": result.recommendation,
        "confidence": result.confidence,
        "scores": msgspec.to_builtins(result.scores),
        "contributions": msgspec.to_builtins(result.contributions),
        "reasons": list(result.reasons),
        "alternatives": [alternative_text(a) for a in result.alternatives],
        "answers": dict(outcome.answers.values),
        "hard_constraints": msgspec.to_builtins(result.hard_constraints),
        "what_would_change": msgspec.to_builtins(result.what_would_change),
        "sides": msgspec.to_builtins(result.sides),
        "split": msgspec.to_builtins(result.split) if result.split else None,
        "next_step": step,
        "probe": outcome.probe,
        "rulebook": {"version": outcome.rulebook_version, "as_of": outcome.rulebook_as_of.isoformat()},
        "margin": result.margin,
        "origins": {q: outcome.answers.origin(q) for q in outcome.answers.values},
        "defaulted": list(outcome.answers.defaulted),
        "detected": {q: outcome.answers.evidence.get(q) or ["detected on this machine"]
                     for q in outcome.answers.detected},
        "project": outcome.project,
        "facts": list(outcome.facts),
        "notes": list(outcome.notes),
    }


class CategoryShift(NamedTuple):
    """One category's net effect on the scores, and why."""

    title: str
    favours: str
    lead: float
    hard: bool
    because: str


def shifts(result: Recommendation) -> tuple[list[CategoryShift], list[CategoryShift]]:
    """The categories the answers moved, biggest first, and those only today's general verdicts moved."""
    grouped: dict[str, list[Contribution]] = {}
    for contribution in result.contributions:
        grouped.setdefault(contribution.category, []).append(contribution)
    moved: list[CategoryShift] = []
    prior: list[CategoryShift] = []
    for items in grouped.values():
        net = round(sum(c.points.pytorch - c.points.tensorflow for c in items), 4)
        if net == 0:
            continue
        favours = "pytorch" if net > 0 else "tensorflow"
        backing = [c for c in items if c.winner == favours]
        answered = [c.because for c in backing if c.causes]
        row = CategoryShift(items[0].title, favours, abs(net), any(c.hard for c in backing),
                            " ".join(answered or [c.because for c in backing]))
        (moved if any(c.causes for c in items) else prior).append(row)
    return sorted(moved, key=_biggest_first), sorted(prior, key=_biggest_first)


def _biggest_first(shift: CategoryShift) -> tuple[float, str]:
    return -shift.lead, shift.title
