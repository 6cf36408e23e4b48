"""The recommendation engine: answers + rulebook + probe facts -> Recommendation.

Pure and deterministic: no I/O, no printing. fwguide.scoring counts the points and sets the
confidence; fwguide.factors says what pulled each way and whether a split route fits;
fwguide.changes re-scores single-answer changes. This module puts them together with the
reasons, the alternatives worth naming and the next step.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from fwguide.changes import Change, what_would_change
from fwguide.factors import Factor, label, sides, split_route
from fwguide.install import EnvironmentFacts, InstallChoice, MachineFacts, next_step
from fwguide.rulebook.schema import Alternative, Compute, Confidence, Framework, Rulebook, Split
from fwguide.scoring import (  # re-exported: the engine's public vocabulary
    FRAMEWORKS,
    AnswerValue,
    Cause,
    Contribution,
    HardConstraint,
    Points,
    Tally,
    display_name,
    match_when,
    other,
    tally,
)

__all__ = [
    "FRAMEWORKS", "AnswerValue", "Cause", "Change", "Contribution", "Factor", "HardConstraint", "InstallStep",
    "Points", "Recommendation", "display_name", "install_step", "match_when", "other", "recommend",
    "top_category", "what_would_change",
]

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
    sides: dict[str, tuple[Factor, ...]] = {}  # per framework, the answers given or detected that pulled its way
    split: Split | None = None  # a route using both frameworks, when the answers pull hard both ways


def recommend(answers: Mapping[str, AnswerValue], rulebook: Rulebook,
              facts: frozenset[str] = frozenset(), origins: Mapping[str, str] | None = None,
              fact_words: Mapping[str, str] | None = None) -> Recommendation:
    """Score every category against the answers and the facts of the probe and the project, and explain the result.

    `origins` says where each answer came from ("answered", "detected", "default"; missing means answered);
    `fact_words` gives a fact's evidence in words, where its finder has it.
    """
    scored = tally(answers, rulebook, facts, origins)
    winner = scored.winner
    pulls = sides(scored.contributions, rulebook, fact_words)
    return Recommendation(
        recommendation=winner,
        confidence=scored.confidence,
        margin=scored.margin,
        scores=scored.scores,
        contributions=scored.contributions,
        reasons=_reasons(winner, scored, pulls, rulebook),
        alternatives=tuple(a for a in rulebook.alternatives
                           if _alternative_fits(a, answers, facts, winner, scored.confidence)),
        next_step=install_step(rulebook, winner, answers),
        hard_constraints=scored.hard,
        level=scored.scores.pytorch == scored.scores.tensorflow,
        answer_lead=scored.answer_lead,
        what_would_change=what_would_change(answers, rulebook, facts, scored, origins=origins),
        sides=pulls,
        split=split_route(rulebook, pulls, answers, facts, scored.hard),
    )


# How a reason names where its answer came from.
_GIVEN = {"answered": "you answered", "detected": "detected", "probe": "found on this machine",
          "default": "by default"}


def _factor_reason(factor: Factor, contributions: tuple[Contribution, ...]) -> str:
    """The sentence of the rule through which `factor` pulled most, with the factor in plain words."""
    pulled = [c for c in contributions if any(cause.question == factor.question and (
        cause.answer == factor.answer or (isinstance(cause.answer, list) and factor.answer in cause.answer))
        for cause in c.causes) and c.category == factor.category]
    best = max(pulled, key=lambda c: c.weight, default=None)
    sentence = best.reason if best is not None and best.reason else (best.because if best else factor.label)
    return f"{sentence} ({_GIVEN.get(factor.origin, factor.origin)}: {factor.label})"


def _constraint(hard: HardConstraint, rulebook: Rulebook) -> str:
    words = ", ".join(f"{_GIVEN.get(c.origin, c.origin)}: {label(rulebook, c.question, c.answer)}" for c in hard.causes)
    return f"{hard.because} ({words})" if words else hard.because


def _reasons(winner: Framework, tally: Tally, pulls: Mapping[str, tuple[Factor, ...]],
             rulebook: Rulebook) -> tuple[str, ...]:
    """Why, both sides: the hard constraints, the strongest factors for the winner, then those against it."""
    reasons = [_constraint(h, rulebook) for h in tally.hard if h.framework == winner]
    opposing = [h for h in tally.hard if h.framework != winner]
    if opposing:
        reasons.append(f"Hard constraints conflict: {_constraint(opposing[0], rulebook)} Serving every target may "
                       "need both frameworks.")
    if tally.tie_reason:
        reasons.append(tally.tie_reason)
    reasons += [_factor_reason(f, tally.contributions) for f in pulls.get(winner, ())[:4]]
    if not pulls.get(winner) and not tally.hard:
        prior = sorted((c for c in tally.contributions if not c.causes and c.points.lead(winner) > 0),
                       key=lambda c: (-c.points.lead(winner), c.category))
        lead = f" {prior[0].because}" if prior else ""
        reasons.append(f"None of your answers favours {display_name(winner)}; today's general verdicts tip "
                       f"the balance.{lead}")
    reasons += [f"In favour of {display_name(other(winner))}: {_factor_reason(f, tally.contributions)}"
                for f in pulls.get(other(winner), ())[:3]]
    return tuple(reasons)


def top_category(result: Recommendation) -> str | None:
    """The category that did most for the recommendation (what `fwguide explain` should show next):
    the one where the answers pulled hardest its way, else the general verdict that led."""
    factors = result.sides.get(result.recommendation, ())
    if factors:
        return factors[0].category
    best: dict[str, float] = {}
    for contribution in result.contributions:
        best[contribution.category] = best.get(contribution.category, 0.0) + contribution.points.lead(
            result.recommendation)
    return max(best, key=best.__getitem__) if best and max(best.values()) > 0 else None


def _alternative_fits(alternative: Alternative, answers: Mapping[str, AnswerValue], facts: frozenset[str],
                      winner: Framework, confidence: Confidence) -> bool:
    if alternative.recommendation is not None and alternative.recommendation != winner:
        return False
    if alternative.confidence and confidence not in alternative.confidence:
        return False
    if any(match_when({key: value}, answers, facts) is not None for key, value in alternative.unless.items()):
        return False
    return not alternative.when or match_when(alternative.when, answers, facts) is not None


def compute_platform(os_name: str, hardware: list[str]) -> Compute:
    """The install selector's compute platform for the training hardware answered."""
    chosen = set(hardware)
    if "amd-gpu" in chosen and "nvidia-gpu" not in chosen:
        return "rocm"
    if chosen & {"nvidia-gpu", "multi-gpu"}:
        return "cuda"
    if "tpu" in chosen:
        return "tpu"
    if "apple-silicon" in chosen and os_name == "macos":
        return "mps"
    return "cpu"


def install_step(rulebook: Rulebook, framework: Framework, answers: Mapping[str, AnswerValue],
                 machine: MachineFacts | None = None,
                 environment: EnvironmentFacts | None = None) -> InstallStep | None:
    """The next step for `framework` on the answered OS and hardware, with the CPU build as fallback.

    Without `machine` and `environment` nothing about this machine is known, so the choice lists
    what it assumed (a recent driver, a GPU new enough for the newest CUDA build); `ask` passes
    the probe's facts, and the step then fits this machine and environment (fwguide.install.step).
    """
    os_answer = answers.get("os")
    os_name = os_answer if isinstance(os_answer, str) else "linux"
    hardware = answers.get("hardware")
    compute = compute_platform(os_name, hardware if isinstance(hardware, list) else [])
    return next_step(rulebook.install, framework, os=os_name, compute=compute, machine=machine,
                     environment=environment)
