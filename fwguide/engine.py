"""The recommendation engine: answers + rulebook + probe facts -> Recommendation.

Pure and deterministic: no I/O, no printing. fwguide.scoring counts the points and
sets the confidence; this module explains the result: reasons, the alternatives worth
naming, the next step, and `what_would_change` (every single-answer change re-scored,
keeping those that flip the recommendation or change its confidence).
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from fwguide.install import InstallChoice, choose_install
from fwguide.rulebook.schema import Alternative, Compute, Confidence, Framework, Question, Rulebook
from fwguide.scoring import (  # re-exported: the engine's public vocabulary
    FRAMEWORKS, AnswerValue, Contribution, HardConstraint, Points, Tally, display_name, match_rules, match_when, other,
    tally, tally_matched,
)

__all__ = [
    "FRAMEWORKS", "AnswerValue", "Change", "Contribution", "HardConstraint", "InstallStep", "Points", "Recommendation",
    "display_name", "install_step", "match_when", "other", "recommend", "what_would_change",
]


class Change(msgspec.Struct, frozen=True):
    """One answer changed, and what the recommendation would then be."""

    question: str
    answer: AnswerValue
    recommendation: Framework
    confidence: Confidence
    summary: str
    flips: bool  # the recommendation itself changes, not only its confidence


InstallStep = InstallChoice  # the next step: fwguide.install's choice for the recommended framework


class Recommendation(msgspec.Struct, frozen=True):
    recommendation: Framework
    confidence: Confidence
    margin: float
    scores: Points
    contributions: tuple[Contribution, ...]
    reasons: tuple[str, ...]
    alternatives: tuple[Alternative, ...]
    next_step: InstallStep | None
    hard_constraints: tuple[HardConstraint, ...] = ()
    level: bool = False  # the scores were equal and a documented tie-break chose
    answer_lead: float = 0.0  # the winner's lead from the answers alone, without the prior
    what_would_change: tuple[Change, ...] = ()


def recommend(answers: Mapping[str, AnswerValue], rulebook: Rulebook,
              facts: frozenset[str] = frozenset(), origins: Mapping[str, str] | None = None) -> Recommendation:
    """Score every category against the answers and probe facts, and explain the result.

    `origins` marks the answers nobody gave ("default" or "detected"), so reasons never say "you answered" for them.
    """
    scored = tally(answers, rulebook, facts, origins)
    winner = scored.winner
    return Recommendation(
        recommendation=winner,
        confidence=scored.confidence,
        margin=scored.margin,
        scores=scored.scores,
        contributions=scored.contributions,
        reasons=_reasons(winner, scored),
        alternatives=tuple(a for a in rulebook.alternatives
                           if _alternative_fits(a, answers, facts, winner, scored.confidence)),
        next_step=install_step(rulebook, winner, answers),
        hard_constraints=scored.hard,
        level=scored.scores.pytorch == scored.scores.tensorflow,
        answer_lead=scored.answer_lead,
        what_would_change=what_would_change(answers, rulebook, facts, scored, origins=origins),
    )


def _ranked(contributions: tuple[Contribution, ...], framework: Framework) -> list[Contribution]:
    """The answer-driven contributions that favour `framework`, biggest lead first."""
    return sorted((c for c in contributions if c.cause and c.points.lead(framework) > 0),
                  key=lambda c: (-c.points.lead(framework), c.category))


def _reasons(winner: Framework, tally: Tally) -> tuple[str, ...]:
    reasons = [h.because + f" ({h.cause})" for h in tally.hard if h.framework == winner]
    opposing = [h for h in tally.hard if h.framework != winner]
    if opposing:
        reasons.append(f"Hard constraints conflict: {opposing[0].because} ({opposing[0].cause}) "
                       "Serving every target may need both frameworks.")
    if tally.tie_reason:
        reasons.append(tally.tie_reason)
    ranked = _ranked(tally.contributions, winner)
    reasons += [c.because for c in ranked[:3]]
    if not ranked and not tally.hard:
        prior = sorted((c for c in tally.contributions if not c.cause and c.points.lead(winner) > 0),
                       key=lambda c: (-c.points.lead(winner), c.category))
        lead = f" {prior[0].because}" if prior else ""
        reasons.append(f"None of your answers favours {display_name(winner)}; today's general verdicts tip "
                       f"the balance.{lead}")
    against = _ranked(tally.contributions, other(winner))
    if against:
        reasons.append(f"In favour of {display_name(other(winner))}: {against[0].because}")
    return tuple(reasons)


def what_would_change(answers: Mapping[str, AnswerValue], rulebook: Rulebook, facts: frozenset[str],
                      current: Tally | None = None, limit: int = 8,
                      origins: Mapping[str, str] | None = None) -> tuple[Change, ...]:
    """The single-answer changes that flip the recommendation or change its confidence.

    Flips come first; within each group the change that moves the scores least comes first,
    since that is the answer the decision is most sensitive to.
    """
    matched = match_rules(answers, rulebook, facts, origins=origins)
    current = current or tally_matched(rulebook, matched)
    ranked: list[tuple[bool, float, int, int, Change]] = []
    for order, question in enumerate(rulebook.questions):
        if question.id not in answers:
            continue
        for answer, phrase in _one_step(question, answers[question.id]):
            # Only the rules that read this answer can change: the others keep their outcome.
            given = {key: how for key, how in (origins or {}).items() if key != question.id}  # now an answer
            changed = tally_matched(rulebook, match_rules({**answers, question.id: answer}, rulebook, facts,
                                                          matched, question.id, given))
            if changed.winner == current.winner and changed.confidence == current.confidence:
                continue
            flips = changed.winner != current.winner
            name = display_name(changed.winner)
            if flips:
                outcome = f"{name} would be recommended ({changed.confidence})"
            else:
                outcome = f"{name} would still be recommended, {changed.confidence} instead of {current.confidence}"
            moved = abs(changed.scores.lead(current.winner) - current.scores.lead(current.winner))
            if {h.framework for h in changed.hard} != {h.framework for h in current.hard}:
                moved += 1000.0  # a constraint added or lifted is never a small change
            ranked.append((not flips, round(moved, 2), _edits(answers[question.id], answer), order, Change(
                question=question.id, answer=answer, recommendation=changed.winner, confidence=changed.confidence,
                summary=f"If {phrase}, {outcome}.", flips=flips)))
    ranked.sort(key=lambda item: item[:4])
    return tuple(item[4] for item in ranked[:limit])


def _edits(before: AnswerValue, after: AnswerValue) -> int:
    """How many choices a change adds or drops: removing one target is smaller than replacing them all."""
    if isinstance(before, list) and isinstance(after, list):
        return len(set(before) ^ set(after))
    return 1


def _one_step(question: Question, value: AnswerValue) -> list[tuple[AnswerValue, str]]:
    """Every answer one step from `value`, each with a phrase naming the change."""
    if question.kind == "yesno":
        flipped = not bool(value)
        return [(flipped, f"{question.id} were {'yes' if flipped else 'no'}")]
    choices = [c.id for c in question.choices]
    if question.kind == "one":
        return [(choice, f"{question.id} were {choice}") for choice in choices if choice != value]
    picked = list(value) if isinstance(value, list) else [str(value)]
    steps: list[tuple[AnswerValue, str]] = []
    for choice in choices:
        if choice in picked:
            rest = [p for p in picked if p != choice]
            if rest and choice not in question.exclusive:
                steps.append((rest, f"{question.id} did not include {choice}"))
        elif choice in question.exclusive:
            steps.append(([choice], f"{question.id} were {choice}"))
        else:
            kept = [p for p in picked if p not in question.exclusive]
            steps.append((kept + [choice], f"{question.id} {'also ' if kept else ''}included {choice}"))
    return steps


def _alternative_fits(alternative: Alternative, answers: Mapping[str, AnswerValue], facts: frozenset[str],
                      winner: Framework, confidence: Confidence) -> bool:
    if alternative.recommendation is not None and alternative.recommendation != winner:
        return False
    if alternative.confidence and confidence not in alternative.confidence:
        return False
    return not alternative.when or match_when(alternative.when, answers, facts) is not None


def compute_platform(os_name: str, hardware: list[str]) -> Compute:
    """The install selector's compute platform for the training hardware answered."""
    chosen = set(hardware)
    if "amd-gpu" in chosen and "nvidia-gpu" not in chosen:
        return "rocm"
    if chosen & {"nvidia-gpu", "multi-gpu"}:
        return "cuda"
    if "apple-silicon" in chosen and os_name == "macos":
        return "mps"
    return "cpu"


def install_step(rulebook: Rulebook, framework: Framework, answers: Mapping[str, AnswerValue]) -> InstallStep | None:
    """The install command for `framework` on the answered OS and hardware, with the CPU build as fallback.

    Nothing about this machine is known here, so the choice lists what it assumed (a recent
    driver, a GPU new enough for the newest CUDA build); `ask` replaces it with a choice made
    from the probe's facts when there is a probe.
    """
    os_answer = answers.get("os")
    os_name = os_answer if isinstance(os_answer, str) else "linux"
    hardware = answers.get("hardware")
    compute = compute_platform(os_name, hardware if isinstance(hardware, list) else [])
    return choose_install(rulebook.install, framework, os=os_name, compute=compute)
