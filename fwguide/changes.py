"""What would change the recommendation: single-answer changes, re-scored, the ones a person can make first.

Pure. Only answers the person gave are changed (never a question left at its default nor one
detected from the project or this machine). Changes come in three tiers:

1. choices the person makes: another workload or model family, dropping a target they named,
   another yes/no;
2. adding a choice to a many-choice answer (a target they did not name);
3. facts about the team or project (`fixed` questions: scale, skills, existing code, OS,
   hardware), which are listed for scripts but are not advice.

Within a tier, flips come first, then the change that moves the scores least (the answer the
decision is most sensitive to).
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from fwguide.factors import label
from fwguide.rulebook.schema import Confidence, Framework, Question, Rulebook
from fwguide.scoring import AnswerValue, Tally, display_name, match_rules, tally_matched

ACTIONABLE = 1  # the tier of changes a person can make; the screen shows only these


class Change(msgspec.Struct, frozen=True):
    """One answer changed, and what the recommendation would then be."""

    question: str
    answer: AnswerValue
    recommendation: Framework
    confidence: Confidence
    summary: str
    flips: bool  # the recommendation itself changes, not only its confidence
    tier: int = ACTIONABLE  # 1 a choice the person makes, 2 an added choice, 3 a fact about the team or project

    @property
    def actionable(self) -> bool:
        return self.tier == ACTIONABLE


def what_would_change(answers: Mapping[str, AnswerValue], rulebook: Rulebook, facts: frozenset[str],
                      current: Tally | None = None, limit: int = 8,
                      origins: Mapping[str, str] | None = None) -> tuple[Change, ...]:
    """The single-answer changes to given answers that flip the recommendation or change its confidence.

    Tier by tier: a later tier is re-scored only while the list has room, so the changes a person can
    make cost what they always did and the facts about the team are scored only when they are needed.
    """
    origins = origins or {}
    matched = match_rules(answers, rulebook, facts, origins=origins)
    current = current or tally_matched(rulebook, matched)
    steps = [(order, question, answer, 3 if question.fixed else 2 if added else ACTIONABLE)
             for order, question in enumerate(rulebook.questions)
             if question.id in answers and origins.get(question.id, "answered") == "answered"
             for answer, added in _one_step(question, answers[question.id])]
    found: list[Change] = []
    for tier in (ACTIONABLE, 2, 3):
        if len(found) >= limit:
            break
        ranked: list[tuple[bool, float, int, int, Change]] = []
        for order, question, answer, step_tier in steps:
            if step_tier != tier:
                continue
            # Only the rules that read this answer can change: the others keep their outcome.
            changed = tally_matched(rulebook, match_rules({**answers, question.id: answer}, rulebook, facts,
                                                          matched, question.id, origins))
            if changed.winner == current.winner and changed.confidence == current.confidence:
                continue
            flips = changed.winner != current.winner
            moved = abs(changed.scores.lead(current.winner) - current.scores.lead(current.winner))
            if {h.framework for h in changed.hard} != {h.framework for h in current.hard}:
                moved += 1000.0  # a constraint added or lifted is never a small change
            summary = f"{_phrase(rulebook, question, answers[question.id], answer)}: {_outcome(current, changed)}."
            ranked.append((not flips, round(moved, 2), _edits(answers[question.id], answer), order, Change(
                question=question.id, answer=answer, recommendation=changed.winner, confidence=changed.confidence,
                summary=summary[:1].upper() + summary[1:], flips=flips, tier=tier)))
        ranked.sort(key=lambda item: item[:4])
        found += [item[4] for item in ranked]
    return tuple(found[:limit])


def _outcome(current: Tally, changed: Tally) -> str:
    name = display_name(changed.winner)
    if changed.winner != current.winner:
        return f"{name} would be recommended ({changed.confidence} confidence)"
    return f"still {name}, with {changed.confidence} confidence instead of {current.confidence}"


def _phrase(rulebook: Rulebook, question: Question, before: AnswerValue, after: AnswerValue) -> str:
    """The change in plain words: "without Android app", "with fine-tuning checkpoints instead of ..."."""
    if isinstance(before, list) and isinstance(after, list):
        dropped, added = [c for c in before if c not in after], [c for c in after if c not in before]
        if added and not [c for c in after if c in before]:
            return f"with {label(rulebook, question.id, added)} instead"
        if dropped:
            return f"without {label(rulebook, question.id, dropped)}"
        return f"with {label(rulebook, question.id, added)} too"
    return f"with {label(rulebook, question.id, after)} instead of {label(rulebook, question.id, before)}"


def _edits(before: AnswerValue, after: AnswerValue) -> int:
    """How many choices a change adds or drops: removing one target is smaller than replacing them all."""
    if isinstance(before, list) and isinstance(after, list):
        return len(set(before) ^ set(after))
    return 1


def _one_step(question: Question, value: AnswerValue) -> list[tuple[AnswerValue, bool]]:
    """Every answer one step from `value`, each with whether it adds a choice the person did not pick."""
    if question.kind == "yesno":
        return [(not bool(value), False)]
    choices = [c.id for c in question.choices]
    if question.kind == "one":
        return [(choice, False) for choice in choices if choice != value]
    picked = list(value) if isinstance(value, list) else [str(value)]
    steps: list[tuple[AnswerValue, bool]] = []
    for choice in choices:
        if choice in picked:
            rest = [p for p in picked if p != choice]
            if rest and choice not in question.exclusive:
                steps.append((rest, False))
        elif choice in question.exclusive:
            steps.append(([choice], False))  # e.g. no deployment target at all: dropping every target named
        else:
            kept = [p for p in picked if p not in question.exclusive]
            steps.append((kept + [choice], True))
    return steps
