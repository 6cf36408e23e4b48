"""The recommendation engine: answers + rulebook + probe facts -> Recommendation.

Pure and deterministic: no I/O, no printing. How points are counted:

* every category gives `scoring.base` points to today's winner (a tie splits them);
* every weight rule whose `when` matches gives `weight` points to its winner (the
  category's winner unless the rule names one; a tie splits them). A `when` matches
  when all of its keys match: a question id with a choice, or a list meaning any of
  those choices, or true/false for a yes/no question; the key `facts` with probe fact
  names (a list meaning any of them);
* a hard rule (a target only one framework serves) gives its weight plus twice the
  soft ceiling: the most points all soft contributions together could ever give one
  framework under this rulebook. One hard constraint therefore outweighs every soft
  preference at once, and leaves a relative margin of at least 1/3.

Confidence comes from the relative margin |pytorch - tensorflow| / (pytorch + tensorflow),
with the thresholds in CONFIDENCE_THRESHOLDS.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import msgspec

from fwguide.rulebook.lookup import install_cell
from fwguide.rulebook.names import FACTS_KEY, FRAMEWORK_TITLES, PROBE_FACTS
from fwguide.rulebook.schema import (
    Alternative, Category, Compute, Confidence, Framework, Rulebook, WeightRule, WhenValue, Winner,
)

AnswerValue = str | bool | list[str]
FRAMEWORKS: tuple[Framework, Framework] = ("pytorch", "tensorflow")
# Lowest relative margin for each confidence level, strongest first. A hard constraint
# always yields at least 1/3, so it always reads as strong.
CONFIDENCE_THRESHOLDS: tuple[tuple[Confidence, float], ...] = (("strong", 0.30), ("moderate", 0.12), ("slight", 0.0))
HARD_FACTOR = 2.0
_DIGITS = 4


class Points(msgspec.Struct, frozen=True):
    pytorch: float = 0.0
    tensorflow: float = 0.0

    def of(self, framework: Framework) -> float:
        return self.pytorch if framework == "pytorch" else self.tensorflow

    def lead(self, framework: Framework) -> float:
        """How far `framework` is ahead of the other one."""
        return self.of(framework) - self.of(other(framework))


class Contribution(msgspec.Struct, frozen=True):
    """Points one category gave, from its base verdict or from one matched weight rule."""

    category: str
    title: str
    weight: float  # the points this contribution hands out in total
    winner: Winner
    points: Points
    because: str
    cause: str = ""  # the answers / probe facts that triggered it; empty for the base verdict
    hard: bool = False


class InstallStep(msgspec.Struct, frozen=True):
    framework: Framework
    os: str
    compute: Compute
    command: str
    source: str
    note: str = ""
    # The compute platform the answers asked for when there is no build for it and the CPU one is given instead.
    fallback_from: Compute | None = None


class Recommendation(msgspec.Struct, frozen=True):
    recommendation: Framework
    confidence: Confidence
    margin: float
    scores: Points
    contributions: tuple[Contribution, ...]
    reasons: tuple[str, ...]
    alternatives: tuple[Alternative, ...]
    next_step: InstallStep | None
    hard_constraints: tuple[Contribution, ...] = ()
    level: bool = False  # the scores were equal and a documented tie-break chose


def other(framework: Framework) -> Framework:
    return "tensorflow" if framework == "pytorch" else "pytorch"


def display_name(framework: str) -> str:
    return FRAMEWORK_TITLES.get(framework, framework)


def confidence_for(margin: float) -> Confidence:
    return next(level for level, floor in CONFIDENCE_THRESHOLDS if margin >= floor)


def relative_margin(scores: Points) -> float:
    total = scores.pytorch + scores.tensorflow
    return abs(scores.pytorch - scores.tensorflow) / total if total > 0 else 0.0


def soft_ceiling(rulebook: Rulebook) -> float:
    """The most points soft contributions could ever give one framework (at least 1)."""
    total = sum(max(c.scoring.base, 0.0) + sum(r.weight for r in c.scoring.rules if not r.hard)
                for c in rulebook.categories)
    return max(total, 1.0)


def recommend(answers: Mapping[str, AnswerValue], rulebook: Rulebook,
              facts: frozenset[str] = frozenset()) -> Recommendation:
    """Score every category against the answers and probe facts, and explain the result."""
    hard_bonus = HARD_FACTOR * soft_ceiling(rulebook)
    contributions: list[Contribution] = []
    for category in rulebook.categories:
        contributions.append(_base(category))
        for rule in category.scoring.rules:
            cause = match_when(rule.when, answers, facts)
            if cause is not None:
                contributions.append(_from_rule(category, rule, cause, hard_bonus))
    scores = Points(
        pytorch=round(sum(c.points.pytorch for c in contributions), _DIGITS),
        tensorflow=round(sum(c.points.tensorflow for c in contributions), _DIGITS),
    )
    level = scores.pytorch == scores.tensorflow
    winner, tie_reason = _tie_break(contributions) if level else (max(FRAMEWORKS, key=scores.of), "")
    margin = round(relative_margin(scores), _DIGITS)  # rounded first, so 0.12 reads as 0.12, not 0.11999...
    confidence = confidence_for(margin)
    hard = tuple(c for c in contributions if c.hard)
    return Recommendation(
        recommendation=winner,
        confidence=confidence,
        margin=margin,
        scores=scores,
        contributions=tuple(contributions),
        reasons=_reasons(winner, contributions, hard, tie_reason),
        alternatives=tuple(a for a in rulebook.alternatives if _alternative_fits(a, answers, facts, winner, confidence)),
        next_step=install_step(rulebook, winner, answers),
        hard_constraints=hard,
        level=level,
    )


def match_when(when: Mapping[str, WhenValue], answers: Mapping[str, AnswerValue],
               facts: frozenset[str]) -> str | None:
    """The answers (and facts) that satisfy `when`, in words, or None when it does not match."""
    cited: list[str] = []
    found: list[str] = []
    for key, expected in when.items():
        wanted = expected if isinstance(expected, list) else [expected]
        if key == FACTS_KEY:
            hits = [PROBE_FACTS.get(f, f) for f in wanted if f in facts]
            if not hits:
                return None
            found += hits
            continue
        answer = answers.get(key)
        if isinstance(expected, bool) or isinstance(answer, bool):
            if answer is None or answer != expected:
                return None
            cited.append(f"{key} = {'yes' if answer else 'no'}")
            continue
        given = answer if isinstance(answer, list) else [answer] if answer is not None else []
        hits = [choice for choice in given if choice in wanted]
        if not hits:
            return None
        cited.append(f"{key} = {', '.join(hits)}")
    parts = [f"you answered {', '.join(cited)}"] if cited else []
    parts += [f"the probe found that {' and '.join(found)}"] if found else []
    return "; ".join(parts) if parts else None


def _split(winner: Winner, amount: float) -> Points:
    if winner == "tie":
        half = round(amount / 2, _DIGITS)
        return Points(pytorch=half, tensorflow=half)
    amount = round(amount, _DIGITS)
    return Points(pytorch=amount) if winner == "pytorch" else Points(tensorflow=amount)


def _base(category: Category) -> Contribution:
    winner = category.current.winner
    verdict = "a tie" if winner == "tie" else f"{display_name(winner)} ahead"
    return Contribution(
        category=category.id, title=category.title, weight=round(category.scoring.base, _DIGITS), winner=winner,
        points=_split(winner, category.scoring.base),
        because=f"{category.title} today: {verdict}. {_lead(category.current.summary)}",
    )


def _from_rule(category: Category, rule: WeightRule, cause: str, hard_bonus: float) -> Contribution:
    winner = rule.winner or category.current.winner
    amount = rule.weight + (hard_bonus if rule.hard else 0.0)
    because = rule.because.strip()
    if rule.hard:
        because += f" A hard constraint: it outweighs every other answer, so {display_name(winner)} is needed here."
    return Contribution(
        category=category.id, title=category.title, weight=round(amount, _DIGITS), winner=winner,
        points=_split(winner, amount), because=f"{because} ({cause})",
        cause=cause, hard=rule.hard,
    )


def _lead(text: str, min_chars: int = 40) -> str:
    """The summary's opening sentences, enough of them to carry a reason (a bare verdict is not one)."""
    sentences = re.findall(r".+?[.!?](?=\s|$)", " ".join(text.split()))
    lead = ""
    for sentence in sentences:
        lead = f"{lead} {sentence.strip()}".strip()
        if len(lead) >= min_chars:
            break
    return lead or " ".join(text.split())


def _tie_break(contributions: list[Contribution]) -> tuple[Framework, str]:
    """Level scores: the framework more of the answers lean to; failing that, PyTorch."""
    counts = {fw: sum(1 for c in contributions if c.cause and c.winner == fw) for fw in FRAMEWORKS}
    if counts["pytorch"] != counts["tensorflow"]:
        winner: Framework = max(FRAMEWORKS, key=counts.__getitem__)
        why = f"more of your answers ({counts[winner]} against {counts[other(winner)]}) lean to {display_name(winner)}"
    else:
        winner, why = "pytorch", "PyTorch is named for its larger share of current model code and tutorials"
    return winner, f"The scores are level, so either choice is defensible; {why}."


def _reasons(winner: Framework, contributions: list[Contribution], hard: tuple[Contribution, ...],
             tie_reason: str) -> tuple[str, ...]:
    reasons = [c.because for c in hard if c.winner == winner]
    opposing_hard = [c for c in hard if c.winner != winner]
    if opposing_hard:
        reasons.append(f"Hard constraints conflict: {opposing_hard[0].because} Serving every target may need both frameworks.")
    if tie_reason:
        reasons.append(tie_reason)
    soft = [c for c in contributions if not c.hard]
    ranked = sorted((c for c in soft if c.points.lead(winner) > 0),
                    key=lambda c: (-c.points.lead(winner), c.cause == "", c.category))
    reasons += [c.because for c in ranked[:3]]
    against = sorted((c for c in soft if c.points.lead(other(winner)) > 0),
                     key=lambda c: (-c.points.lead(other(winner)), c.cause == "", c.category))
    if against:
        reasons.append(f"In favour of {display_name(other(winner))}: {against[0].because}")
    return tuple(reasons)


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
    """The install command for `framework` on the answered OS and hardware, with the CPU build as fallback."""
    os_answer = answers.get("os")
    os_name = os_answer if isinstance(os_answer, str) else "linux"
    hardware = answers.get("hardware")
    compute = compute_platform(os_name, hardware if isinstance(hardware, list) else [])

    option = install_cell(rulebook.install, framework, os_name, compute)
    if option is None:
        return None
    return InstallStep(framework=framework, os=os_name, compute=option.compute, command=option.command,
                       source=option.source, note=option.note,
                       fallback_from=compute if option.compute != compute else None)
