"""Properties of the engine over every valid answer set of the built-in rulebook."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from fwguide.engine import FRAMEWORKS, confidence_for, recommend, relative_margin
from fwguide.rulebook import load
from fwguide.rulebook.names import PROBE_FACTS
from fwguide.rulebook.schema import Question

RULEBOOK = load()
CATEGORY_IDS = {c.id for c in RULEBOOK.categories}
HARD_TARGETS = sorted({
    (choice, rule.winner or category.current.winner)
    for category in RULEBOOK.categories for rule in category.scoring.rules if rule.hard
    for choice in (rule.when["deploy"] if isinstance(rule.when.get("deploy"), list) else [rule.when.get("deploy")])
    if choice and set(rule.when) == {"deploy"}
})


def _answer(question: Question) -> st.SearchStrategy:
    choices = [c.id for c in question.choices]
    if question.kind == "yesno":
        return st.booleans()
    if question.kind == "one":
        return st.sampled_from(choices)
    combinable = [c for c in choices if c not in question.exclusive]
    alone = st.sampled_from(question.exclusive).map(lambda c: [c]) if question.exclusive else st.nothing()
    together = st.lists(st.sampled_from(combinable), min_size=1, max_size=len(combinable), unique=True)
    return together | alone


ANSWER_SETS = st.fixed_dictionaries({q.id: _answer(q) for q in RULEBOOK.questions})
FACTS = st.frozensets(st.sampled_from(sorted(PROBE_FACTS)))


@settings(max_examples=400, deadline=None)
@given(answers=ANSWER_SETS, facts=FACTS)
def test_every_answer_set_gives_a_consistent_recommendation(answers: dict, facts: frozenset[str]) -> None:
    result = recommend(answers, RULEBOOK, facts)
    scores = {fw: result.scores.of(fw) for fw in FRAMEWORKS}
    assert all(math.isfinite(v) and v >= 0 for v in scores.values())
    assert scores[result.recommendation] == max(scores.values())
    assert result.margin == round(relative_margin(result.scores), 4)
    assert result.confidence == confidence_for(result.margin)
    assert {c.category for c in result.contributions} <= CATEGORY_IDS
    assert all(c.because.strip() for c in result.contributions)
    assert math.isclose(sum(c.points.pytorch for c in result.contributions), result.scores.pytorch, abs_tol=1e-6)
    assert result.reasons


@settings(max_examples=300, deadline=None)
@given(answers=ANSWER_SETS, facts=FACTS, data=st.data())
def test_adding_a_hard_deployment_target_moves_the_result_to_the_framework_serving_it(
        answers: dict, facts: frozenset[str], data: st.DataObject) -> None:
    target, framework = data.draw(st.sampled_from(HARD_TARGETS))
    before = recommend(answers, RULEBOOK, facts)
    targets = [t for t in answers["deploy"] if t != "none"]
    after = recommend({**answers, "deploy": [*targets, target] if target not in targets else targets}, RULEBOOK, facts)
    opposing = [c for c in after.hard_constraints if c.winner != framework]
    if not opposing:
        assert after.recommendation == framework
        assert after.confidence == "strong"
        assert any("hard constraint" in r.lower() for r in after.reasons)
    if before.recommendation == framework and not opposing:
        assert after.recommendation == before.recommendation


def test_the_built_in_rulebook_has_hard_deployment_targets() -> None:
    assert {"browser", "microcontroller"} <= {target for target, _ in HARD_TARGETS}
