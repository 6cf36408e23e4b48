"""What pulled each way: the answers (and probe findings) behind a recommendation, in plain words.

Pure: reads the contributions' causes (records, never their English) and the rulebook's labels.
A factor is one answer choice (or one probe fact) the person gave or that was detected; its
points are what the rules it triggered handed out, shared evenly when a rule needed several
answers at once, netted across frameworks. Defaults nobody saw are not factors.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import msgspec

from fwguide.frameworks import DECISION
from fwguide.rulebook.names import FACTS, FACTS_KEY
from fwguide.rulebook.schema import Question, Rulebook, Split
from fwguide.scoring import CONTESTED_PULL, AnswerValue, Cause, Contribution, HardConstraint, match_when

# Both sides must pull at least this hard (points from answers given or detected) for a split route to show:
# the pull that also keeps a recommendation from being strong.
SPLIT_PULL = CONTESTED_PULL


class Factor(msgspec.Struct, frozen=True):
    """One answer choice or probe finding and how hard it pulled towards one framework."""

    question: str  # a question id, or "facts" for a probe finding
    answer: AnswerValue  # one choice (of a many-choice answer too), yes/no, or the fact's name
    label: str  # in plain words: "Android app", "your team knows TensorFlow/Keras"
    category: str  # the category where it pulled most
    points: float  # one decimal
    origin: str  # answered, detected or probe

    @property
    def key(self) -> tuple[str, str]:
        return self.question, str(self.answer)


def answer_words(question: Question, value: AnswerValue, short: bool = True) -> str:
    """An answer in the question's own words (its choices' short forms, or their labels), never its ids;
    yes/no in the question's own words when it has them."""
    if isinstance(value, bool):
        word = "yes" if value else "no"
        return question.says.get(word, word) if short else word
    names = {c.id: (c.short if short else "") or c.label for c in question.choices}
    return ", ".join(names.get(v, v) for v in (value if isinstance(value, list) else [value]))


def label(rulebook: Rulebook, question_id: str, answer: AnswerValue,
          fact_words: Mapping[str, str] | None = None) -> str:
    """An answer in the few words the result screen uses; a fact as its finder describes it (`fact_words`: the
    project scan's own sentence for a project fact, "12 of 20 files ... tf.estimator, removed in 2.16")."""
    if question_id == FACTS_KEY:
        return (fact_words or {}).get(str(answer)) or FACTS.get(str(answer), str(answer))
    question = rulebook.question(question_id)
    if isinstance(answer, bool) and not (question and ("yes" if answer else "no") in question.says):
        return f"{question_id}: {'yes' if answer else 'no'}"  # a bare yes means nothing on a results screen
    if question is None:
        return ", ".join(answer if isinstance(answer, list) else [str(answer)])
    return answer_words(question, answer)


def _shares(contribution: Contribution) -> list[tuple[Cause, str | bool]]:
    """The causes that count as factors, one per answer choice, each with its share of the points."""
    counted = [c for c in contribution.causes if c.origin != "default"]
    return [(cause, value) for cause in counted
            for value in (cause.answer if isinstance(cause.answer, list) else [cause.answer])]


def factors(contributions: Iterable[Contribution], rulebook: Rulebook,
            fact_words: Mapping[str, str] | None = None) -> list[tuple[str, Factor]]:
    """Every factor with the framework it pulled towards (net over all rules), strongest first."""
    net: dict[tuple[str, str], float] = {}
    by_category: dict[tuple[str, str], dict[str, float]] = {}
    found: dict[tuple[str, str], tuple[str, AnswerValue, str]] = {}
    for contribution in contributions:
        shares = _shares(contribution)
        lead = contribution.points.pytorch - contribution.points.tensorflow
        if not shares or not lead:
            continue
        for cause, value in shares:
            key = (cause.question, str(value))
            net[key] = net.get(key, 0.0) + lead / len(shares)
            per = by_category.setdefault(key, {})
            per[contribution.category] = per.get(contribution.category, 0.0) + abs(lead) / len(shares)
            found[key] = (cause.question, value, cause.origin)
    out = []
    for key, points in net.items():
        if round(abs(points), 1) == 0:
            continue
        question, answer, origin = found[key]
        framework = DECISION[0] if points > 0 else DECISION[1]
        category = max(by_category[key], key=by_category[key].__getitem__)
        out.append((framework, Factor(question=question, answer=answer,
                                      label=label(rulebook, question, answer, fact_words),
                                      category=category, points=round(abs(points), 1), origin=origin)))
    return sorted(out, key=lambda item: (-item[1].points, item[1].question, str(item[1].answer)))


def sides(contributions: Iterable[Contribution], rulebook: Rulebook,
          fact_words: Mapping[str, str] | None = None) -> dict[str, tuple[Factor, ...]]:
    """For each framework of the decision, the factors that pulled its way, strongest first."""
    found = factors(contributions, rulebook, fact_words)
    return {framework: tuple(f for fw, f in found if fw == framework) for framework in DECISION}


def split_route(rulebook: Rulebook, pulls: Mapping[str, tuple[Factor, ...]], answers: Mapping[str, AnswerValue],
                facts: frozenset[str], hard: Iterable[HardConstraint] = ()) -> Split | None:
    """The rulebook's route that uses both frameworks, when the answers pull hard both ways and its `when` fits."""
    if any(sum(f.points for f in pulls.get(fw, ())) < SPLIT_PULL for fw in DECISION):
        return None
    if len({h.framework for h in hard}) == 1:  # a target only one framework serves decides: no split
        return None
    return next((s for s in rulebook.splits if not s.when or match_when(s.when, answers, facts) is not None), None)
