"""Scoring: answers + rulebook + probe facts -> points per framework, a winner and a confidence.

Pure and deterministic: no I/O. How points are counted:

* today's general verdicts form a small prior: every category gives PRIOR_PER_BASE points per
  unit of its `scoring.base` to today's winner (a tie splits them). Each category's share is
  fixed, so adding a category adds its own prior and changes no other. With the built-in
  verdicts it gives PyTorch a lead of about 1.2 points, which decides when the answers lead
  by less than that (a single answer weighs 0.5 to 3 points);
* every weight rule whose `when` matches, and none of whose `unless` keys match, gives
  `weight` points to its winner (the category's winner unless the rule names one; a tie
  splits them). A `when` matches when all of its keys match: a question id with a choice,
  or a list meaning any of those choices, or true/false for a yes/no question; the key
  `facts` with probe fact names (a list meaning any of them). `unless` skips the rule when
  any one of its keys matches on its own;
* a hard rule marks a target only one framework can serve. It gives its weight as points
  like any rule, and is reported as a constraint: the recommendation follows it whatever
  the points say (unless two hard constraints disagree, which leaves the call slight).

Every contribution carries its causes as records (question, answer, origin; or a probe fact),
so views name them in their own words; the English `because` is for people reading JSON.

Confidence says how strongly the answers point one way: it comes from the lead the answers
alone give the winner (neither the prior nor a rule that only defaults triggered counts)
together with the relative margin of the totals, with the thresholds in CONFIDENCE_LEVELS.
With no answers given it is never strong, nor when the answers pull hard towards the other
framework too (CONTESTED_PULL).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Literal, NamedTuple, cast

import msgspec

from fwguide import frameworks
from fwguide.rulebook.names import FACTS, FACTS_KEY, PROJECT_FACTS
from fwguide.rulebook.schema import Category, Confidence, Framework, Rulebook, WeightRule, WhenValue, Winner

AnswerValue = str | bool | list[str]
FRAMEWORKS = cast("tuple[Framework, Framework]", frameworks.DECISION)  # the registry's ids, which Framework spells
# Points per unit of a category's `scoring.base`, given to today's winner before any answer counts.
PRIOR_PER_BASE = 1 / 6
# For each confidence level, strongest first: the least lead the answers alone must give the
# winner, and the least relative margin of the totals.
CONFIDENCE_LEVELS: tuple[tuple[Confidence, float, float], ...] = (
    ("strong", 4.5, 0.50), ("moderate", 2.0, 0.10), ("slight", float("-inf"), 0.0),
)
# A hard constraint reads as strong unless the other answers together pull the other way
# hard enough to leave its side less than this lead.
HARD_STRONG_LEAD = 3.0
# Answers that pull at least this hard towards the framework not recommended make the call contested:
# never strong, whatever the lead (the same pull that makes a split route worth naming).
CONTESTED_PULL = 2.0
_DIGITS = 4


class Points(msgspec.Struct, frozen=True):
    pytorch: float = 0.0
    tensorflow: float = 0.0

    def of(self, framework: Framework) -> float:
        return self.pytorch if framework == "pytorch" else self.tensorflow

    def lead(self, framework: Framework) -> float:
        """How far `framework` is ahead of the other one."""
        return self.of(framework) - self.of(other(framework))


Origin = Literal["answered", "detected", "default", "probe"]
# The origins an answer keeps in a cause; any other (given, confirmed) counts as answered.
_CAUSE_ORIGINS: dict[str, Origin] = {"detected": "detected", "default": "default"}


class Cause(msgspec.Struct, frozen=True):
    """One thing that triggered a rule: an answer (the choices of it that matched) or a probe fact."""

    question: str  # a question id, or FACTS_KEY for a probe fact
    answer: AnswerValue  # the matched choice, choices or yes/no; the fact's name for a probe fact
    origin: Origin  # answered (given or confirmed), detected (project, machine), default (never shown), probe


class Contribution(msgspec.Struct, frozen=True):
    """Points one category gave, from its base verdict or from one matched weight rule."""

    category: str
    title: str
    weight: float  # the points this contribution hands out in total
    winner: Winner
    points: Points
    because: str
    cause: str = ""  # the causes in words (for people reading JSON); empty for the base verdict
    hard: bool = False
    assumed: bool = False  # triggered by defaults alone: it counts in the scores, not in the confidence
    causes: tuple[Cause, ...] = ()  # what triggered it, as records: what views read
    reason: str = ""  # the rule's sentence alone, without its causes

    @property
    def from_answers(self) -> bool:
        """Triggered by what the user answered or this machine and project showed (not defaults, not the prior)."""
        return bool(self.causes) and not self.assumed


class HardConstraint(msgspec.Struct, frozen=True):
    """A target only one framework can serve: it decides the recommendation outright."""

    category: str
    framework: Framework
    because: str  # the constraint in one sentence
    cause: str  # the answer that raised it, in words
    causes: tuple[Cause, ...] = ()


class Tally(msgspec.Struct, frozen=True):
    """The scoring of one answer set, before any explaining."""

    contributions: tuple[Contribution, ...]
    scores: Points
    winner: Framework
    confidence: Confidence
    margin: float
    answer_lead: float
    hard: tuple[HardConstraint, ...]
    tie_reason: str


def other(framework: Framework) -> Framework:
    return "tensorflow" if framework == "pytorch" else "pytorch"


def display_name(framework: str) -> str:
    return frameworks.title(framework)


def relative_margin(scores: Points) -> float:
    total = scores.pytorch + scores.tensorflow
    return abs(scores.pytorch - scores.tensorflow) / total if total > 0 else 0.0


def confidence_for(answer_lead: float, margin: float, against: float = 0.0) -> Confidence:
    """The confidence the answers' lead and the totals' margin give; a contested call (answers pulling
    at least CONTESTED_PULL towards the other framework) is never strong."""
    level = next(level for level, lead, floor in CONFIDENCE_LEVELS if answer_lead >= lead and margin >= floor)
    return "moderate" if level == "strong" and against >= CONTESTED_PULL else level


def pull_against(contributions: Iterable[Contribution], winner: Framework) -> float:
    """How hard the answers given or detected pull towards the framework not recommended."""
    return sum(max(c.points.lead(other(winner)), 0.0) for c in contributions if c.from_answers)


Matched = tuple[Contribution, "HardConstraint | None"] | None  # one weight rule's outcome: None when it does not apply


def tally(answers: Mapping[str, AnswerValue], rulebook: Rulebook, facts: frozenset[str],
          origins: Mapping[str, str] | None = None) -> Tally:
    """Score one answer set. `origins` says which answers nobody gave ("default", "detected"), for the reasons."""
    return tally_matched(rulebook, match_rules(answers, rulebook, facts, origins=origins))


def match_rules(answers: Mapping[str, AnswerValue], rulebook: Rulebook, facts: frozenset[str],
                before: list[Matched] | None = None, changed: str | None = None,
                origins: Mapping[str, str] | None = None) -> list[Matched]:
    """Each weight rule's outcome, in rulebook order. Given the outcomes `before` one answer `changed`,
    only the rules that read that answer are matched again."""
    if before is not None and changed is not None:
        derived = _derived(rulebook)
        outcomes = list(before)
        for index in derived.reading.get(changed, ()):
            category, rule = derived.rules[index]
            outcomes[index] = _match(category, rule, answers, facts, origins)
        return outcomes
    return [_match(category, rule, answers, facts, origins) for category, rule in _derived(rulebook).rules]


def _match(category: Category, rule: WeightRule, answers: Mapping[str, AnswerValue], facts: frozenset[str],
           origins: Mapping[str, str] | None) -> Matched:
    causes = match_when(rule.when, answers, facts, origins)
    if causes is None or _any_match(rule.unless, answers, facts):
        return None
    contribution = _from_rule(category, rule, causes)
    if not rule.hard or contribution.winner == "tie":
        return contribution, None
    return contribution, HardConstraint(category=category.id, framework=contribution.winner,
                                        because=" ".join(rule.constraint.split()), cause=contribution.cause,
                                        causes=causes)


def tally_matched(rulebook: Rulebook, matched: list[Matched]) -> Tally:
    """The scores, winner and confidence from the prior and the rules' outcomes (see match_rules)."""
    contributions = list(_derived(rulebook).prior) + [m[0] for m in matched if m is not None]
    hard = [m[1] for m in matched if m is not None and m[1] is not None]
    scores = Points(
        pytorch=round(sum(c.points.pytorch for c in contributions), _DIGITS),
        tensorflow=round(sum(c.points.tensorflow for c in contributions), _DIGITS),
    )
    margin = round(relative_margin(scores), _DIGITS)  # rounded first, so 0.12 reads as 0.12, not 0.11999...
    bound = {h.framework for h in hard}
    tie_reason = ""
    if len(bound) == 1:
        winner = next(iter(bound))
    elif scores.pytorch == scores.tensorflow:
        winner, tie_reason = _tie_break(contributions)
    else:
        winner = max(FRAMEWORKS, key=scores.of)
    answer_lead = round(sum(c.points.lead(winner) for c in contributions if c.from_answers), _DIGITS)
    against = pull_against(contributions, winner)
    if len(bound) > 1:
        confidence: Confidence = "slight"  # two targets each need a different framework
    elif hard:
        # A constraint decides, but when every other answer points the other way, or pulls hard the
        # other way too, say so.
        confidence = "strong" if answer_lead >= HARD_STRONG_LEAD and against < CONTESTED_PULL else "moderate"
    else:
        confidence = confidence_for(answer_lead, margin, against)
    return Tally(contributions=tuple(contributions), scores=scores, winner=winner, confidence=confidence,
                  margin=margin, answer_lead=answer_lead, hard=tuple(hard), tie_reason=tie_reason)


# How the words of a cause name its answers, by their origin.
_ORIGIN_PHRASES = {"answered": "you answered", "default": "by default", "detected": "detected"}


def match_when(when: Mapping[str, WhenValue], answers: Mapping[str, AnswerValue],
               facts: frozenset[str], origins: Mapping[str, str] | None = None) -> tuple[Cause, ...] | None:
    """The answers (and probe facts) that satisfy `when`, as causes, or None when it does not match.

    An answer's origin comes from `origins` ("detected", "default"); any other answer was given.
    """
    found: list[Cause] = []
    for key, expected in when.items():
        wanted = expected if isinstance(expected, list) else [expected]
        if key == FACTS_KEY:
            hits = [f for f in wanted if f in facts]
            if not hits:
                return None
            found += [Cause(question=FACTS_KEY, answer=fact, origin="detected" if fact in PROJECT_FACTS else "probe")
                      for fact in hits]
            continue
        answer = answers.get(key)
        origin = _CAUSE_ORIGINS.get((origins or {}).get(key, "answered"), "answered")
        if isinstance(expected, bool) or isinstance(answer, bool):
            if answer is None or answer != expected:
                return None
            found.append(Cause(question=key, answer=answer, origin=origin))
            continue
        given = answer if isinstance(answer, list) else [answer] if answer is not None else []
        hits = [choice for choice in given if choice in wanted]
        if not hits:
            return None
        found.append(Cause(question=key, answer=hits if isinstance(answer, list) else hits[0],
                           origin=origin))
    return tuple(found) if found else None


def cause_words(causes: tuple[Cause, ...]) -> str:
    """Causes as one English phrase for JSON readers ("you answered deploy = browser; by default scale = startup")."""
    cited: dict[str, list[str]] = {}
    probed: list[str] = []
    for cause in causes:
        if cause.question == FACTS_KEY:
            probed.append(FACTS.get(str(cause.answer), str(cause.answer)))
            continue
        value = cause.answer
        shown = ("yes" if value else "no") if isinstance(value, bool) else ", ".join(value) if isinstance(
            value, list) else str(value)
        cited.setdefault(_ORIGIN_PHRASES[cause.origin], []).append(f"{cause.question} = {shown}")
    parts = [f"{how} {', '.join(items)}" for how, items in cited.items()]
    parts += [f"fwguide found that {' and '.join(probed)}"] if probed else []
    return "; ".join(parts)


def _any_match(unless: Mapping[str, WhenValue], answers: Mapping[str, AnswerValue], facts: frozenset[str]) -> bool:
    return any(match_when({key: value}, answers, facts) is not None for key, value in unless.items())


def _split(winner: Winner, amount: float) -> Points:
    if winner == "tie":
        half = round(amount / 2, _DIGITS)
        return Points(pytorch=half, tensorflow=half)
    amount = round(amount, _DIGITS)
    return Points(pytorch=amount) if winner == "pytorch" else Points(tensorflow=amount)


class _Derived(NamedTuple):
    """What scoring derives from one rulebook: remembered for the last rulebook seen, since
    what_would_change re-scores dozens of answer sets against it."""

    rulebook: Rulebook | None
    prior: tuple[Contribution, ...]  # today's general verdicts, scaled together to PRIOR_POINTS
    rules: list[tuple[Category, WeightRule]]  # every weight rule with its category, in rulebook order
    reading: dict[str, tuple[int, ...]]  # question id -> positions of the rules whose `when` or `unless` read it


_last = _Derived(None, (), [], {})


def _derived(rulebook: Rulebook) -> _Derived:
    global _last
    if _last.rulebook is not rulebook:
        rules = [(category, rule) for category in rulebook.categories for rule in category.scoring.rules]
        reading: dict[str, list[int]] = {}
        for index, (_, rule) in enumerate(rules):
            for key in {*rule.when, *rule.unless}:
                reading.setdefault(key, []).append(index)
        _last = _Derived(rulebook, tuple(_prior_of(rulebook)), rules,
                         {key: tuple(found) for key, found in reading.items()})
    return _last


def _prior_of(rulebook: Rulebook) -> list[Contribution]:
    prior = []
    for category in rulebook.categories:
        winner, amount = category.current.winner, max(category.scoring.base, 0.0) * PRIOR_PER_BASE
        verdict = "a tie" if winner == "tie" else f"{display_name(winner)} ahead"
        prior.append(Contribution(
            category=category.id, title=category.title, weight=round(amount, _DIGITS), winner=winner,
            points=_split(winner, amount),
            because=f"{category.title} today: {verdict}. {_lead(category.current.summary)}",
        ))
    return prior


def _from_rule(category: Category, rule: WeightRule, causes: tuple[Cause, ...]) -> Contribution:
    winner = rule.winner or category.current.winner
    words = cause_words(causes)
    return Contribution(
        category=category.id, title=category.title, weight=round(rule.weight, _DIGITS), winner=winner,
        points=_split(winner, rule.weight), because=f"{' '.join(rule.because.split())} ({words})",
        cause=words, hard=rule.hard, causes=causes, reason=" ".join(rule.because.split()),
        # triggered by defaults alone: counted in the points, not in the confidence
        assumed=all(c.origin == "default" for c in causes),
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
    counts = {fw: sum(1 for c in contributions if c.from_answers and c.winner == fw) for fw in FRAMEWORKS}
    if counts["pytorch"] != counts["tensorflow"]:
        winner: Framework = max(FRAMEWORKS, key=counts.__getitem__)
        why = f"more of your answers ({counts[winner]} against {counts[other(winner)]}) lean to {display_name(winner)}"
    else:
        winner, why = "pytorch", "PyTorch is named for its larger share of current model code and tutorials"
    return winner, f"The scores are level, so either choice is defensible; {why}."
