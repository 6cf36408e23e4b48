"""Properties of the engine over every valid answer set of the built-in rulebook."""

from __future__ import annotations

import math
import random

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from fwguide.answers import with_defaults
from fwguide.engine import FRAMEWORKS, recommend
from fwguide.rulebook import load
from fwguide.rulebook.names import PROBE_FACTS
from fwguide.rulebook.schema import Question
from fwguide.scoring import confidence_for, match_rules, pull_against, relative_margin
from tests.helpers.answers import answer, answer_sets

RULEBOOK = load()
CATEGORY_IDS = {c.id for c in RULEBOOK.categories}
HARD_TARGETS = sorted({
    (choice, rule.winner or category.current.winner)
    for category in RULEBOOK.categories for rule in category.scoring.rules if rule.hard
    for choice in (rule.when["deploy"] if isinstance(rule.when.get("deploy"), list) else [rule.when.get("deploy")])
    if choice and set(rule.when) == {"deploy"}
})
# Answers a TensorFlow-leaning project gives: a target only (or best) served by TensorFlow's
# runtimes, existing TensorFlow code or skills, a continuous pipeline, Cloud TPUs.
TF_TARGETS = ["browser", "microcontroller", "edge-tpu", "edge-cpu", "mobile-android", "high-traffic-serving",
              "jvm-service"]


ANSWER_SETS = answer_sets(RULEBOOK.questions)
FACTS = st.frozensets(st.sampled_from(sorted(PROBE_FACTS)))


def _tf_share(answers: dict, facts: frozenset[str] = frozenset()) -> float:
    scores = recommend(answers, RULEBOOK, facts).scores
    return scores.tensorflow / (scores.pytorch + scores.tensorflow)


@settings(max_examples=300, deadline=None)
@given(answers=ANSWER_SETS, facts=FACTS)
def test_every_answer_set_gives_a_consistent_recommendation(answers: dict, facts: frozenset[str]) -> None:
    result = recommend(answers, RULEBOOK, facts)
    scores = {fw: result.scores.of(fw) for fw in FRAMEWORKS}
    assert all(math.isfinite(v) and v >= 0 for v in scores.values())
    bound = {h.framework for h in result.hard_constraints}
    if len(bound) == 1:
        assert result.recommendation in bound
    else:
        assert scores[result.recommendation] == max(scores.values())
    if not bound:
        against = pull_against(result.contributions, result.recommendation)
        assert result.confidence == confidence_for(result.answer_lead, result.margin, against)
    assert result.margin == round(relative_margin(result.scores), 4)
    assert {c.category for c in result.contributions} <= CATEGORY_IDS
    assert all(c.because.strip() for c in result.contributions)
    assert math.isclose(sum(c.points.pytorch for c in result.contributions), result.scores.pytorch, abs_tol=1e-3)
    assert result.reasons
    for change in result.what_would_change:
        again = recommend({**answers, change.question: change.answer}, RULEBOOK, facts)
        assert (again.recommendation, again.confidence) == (change.recommendation, change.confidence)


@settings(max_examples=200, deadline=None)
@given(answers=ANSWER_SETS, facts=FACTS, data=st.data())
def test_rematching_only_the_rules_that_read_a_changed_answer_equals_a_full_tally(
        answers: dict, facts: frozenset[str], data: st.DataObject) -> None:
    question = data.draw(st.sampled_from(RULEBOOK.questions))
    changed = {**answers, question.id: data.draw(answer(question))}
    before = match_rules(answers, RULEBOOK, facts)
    assert match_rules(changed, RULEBOOK, facts, before, question.id) == match_rules(changed, RULEBOOK, facts)


@settings(max_examples=300, deadline=None)
@given(answers=ANSWER_SETS, facts=FACTS, data=st.data())
def test_adding_a_tensorflow_leaning_answer_never_lowers_tensorflows_share(
        answers: dict, facts: frozenset[str], data: st.DataObject) -> None:
    change = data.draw(st.sampled_from(["deploy", "existing_code", "experience", "pipeline", "hardware"]))
    # A PyTorch model the project must ship pulls harder once it has to run on a device: there a device
    # target is not a TensorFlow-leaning answer.
    assume(not (change == "deploy" and answers["existing_model"] == "pytorch"))
    if change == "deploy":
        target = data.draw(st.sampled_from(TF_TARGETS))
        value: object = [*(t for t in answers["deploy"] if t not in ("none", target)), target]
    elif change == "hardware":
        value = [*(h for h in answers["hardware"] if h != "tpu"), "tpu"]
    elif change == "pipeline":
        value = True
    else:
        value = "tensorflow"
    assert _tf_share({**answers, change: value}, facts) >= _tf_share(answers, facts) - 1e-9


@settings(max_examples=200, deadline=None)
@given(answers=ANSWER_SETS, facts=FACTS, data=st.data())
def test_adding_a_hard_deployment_target_moves_the_result_to_the_framework_serving_it(
        answers: dict, facts: frozenset[str], data: st.DataObject) -> None:
    target, framework = data.draw(st.sampled_from(HARD_TARGETS))
    targets = [t for t in answers["deploy"] if t != "none"]
    after = recommend({**answers, "deploy": [*targets, target] if target not in targets else targets}, RULEBOOK, facts)
    opposing = [h for h in after.hard_constraints if h.framework != framework]
    if not opposing:
        assert after.recommendation == framework
        assert after.confidence in ("strong", "moderate")
        assert after.reasons[0].startswith(next(h.because for h in after.hard_constraints) + " (you answered: ")


def test_strong_is_given_for_at_most_half_of_random_answer_sets() -> None:
    rng = random.Random(20261203)

    def pick(question: Question) -> object:
        choices = [c.id for c in question.choices]
        if question.kind == "yesno":
            return rng.random() < 0.5
        if question.kind == "one":
            return rng.choice(choices)
        combinable = [c for c in choices if c not in question.exclusive]
        if question.exclusive and rng.random() < 0.2:
            return [question.exclusive[0]]
        return rng.sample(combinable, rng.randint(1, len(combinable)))

    results = [recommend({q.id: pick(q) for q in RULEBOOK.questions}, RULEBOOK) for _ in range(1500)]
    strong = sum(r.confidence == "strong" for r in results) / len(results)
    assert 0.05 < strong <= 0.5, strong


def test_a_blank_questionnaire_is_never_strong() -> None:
    blank = with_defaults(RULEBOOK, {}, {})
    assert recommend(blank.values, RULEBOOK).confidence != "strong"
    for facts in ({"gpu-torch-only"}, {"gpu-tensorflow-only"}, set()):
        assert recommend(blank.values, RULEBOOK, frozenset(facts) & set(PROBE_FACTS)).confidence != "strong"


def test_edge_tpu_is_the_built_in_hard_constraint_and_browser_is_not() -> None:
    assert ("edge-tpu", "tensorflow") in HARD_TARGETS
    assert "browser" not in {target for target, _ in HARD_TARGETS}
    assert "microcontroller" not in {target for target, _ in HARD_TARGETS}


def test_browser_yields_to_a_teams_pytorch_code_and_names_the_pytorch_route() -> None:
    base = {"scale": "startup", "deploy": ["browser"]}
    fresh = recommend(with_defaults(RULEBOOK, base, {}).values, RULEBOOK)
    assert fresh.recommendation == "tensorflow" and not fresh.hard_constraints
    keeps = recommend(with_defaults(RULEBOOK, {**base, "existing_code": "pytorch", "experience": "pytorch"}, {}).values,
                      RULEBOOK)
    assert keeps.recommendation == "pytorch"
    assert "onnx-runtime-web" in {a.id for a in keeps.alternatives}


def test_pretrained_checkpoint_pull_yields_to_the_teams_own_tensorflow_model() -> None:
    base = {"workload": "inference-only", "model_family": "audio-speech", "deploy": ["edge-cpu"]}

    def ecosystem_lead(answers: dict) -> float:
        result = recommend(with_defaults(RULEBOOK, answers, {}).values, RULEBOOK)
        return sum(c.points.lead("pytorch") for c in result.contributions if c.category == "ecosystem" and c.cause)

    fresh, own_model = ecosystem_lead(base), ecosystem_lead({**base, "existing_code": "tensorflow"})
    assert fresh > own_model > 0  # new audio models still come out for PyTorch first; the checkpoint reason is gone
