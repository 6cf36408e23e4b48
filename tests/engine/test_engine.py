"""The scoring engine on small rulebooks written in the tests."""

from __future__ import annotations

import builtins

import msgspec
import pytest

from fwguide.engine import recommend, what_would_change
from fwguide.rulebook import load
from fwguide.rulebook.schema import Alternative
from fwguide.scoring import CONFIDENCE_LEVELS, HARD_STRONG_LEAD, PRIOR_PER_BASE, confidence_for
from tests.engine.rulebooks import answers, category, rule, rulebook


def test_todays_verdicts_give_a_small_fixed_prior_per_category_and_a_tie_splits_its_part() -> None:
    result = recommend(answers(), rulebook(category("a", "pytorch", 2.0), category("b", "tie", 1.0)))
    share = PRIOR_PER_BASE
    assert [(c.category, c.points.pytorch, c.points.tensorflow) for c in result.contributions] == [
        ("a", round(2 * share, 4), 0.0), ("b", round(share / 2, 4), round(share / 2, 4))]
    assert result.scores.pytorch + result.scores.tensorflow == pytest.approx(3 * PRIOR_PER_BASE, abs=1e-3)
    assert result.recommendation == "pytorch"


def test_adding_a_category_does_not_change_the_prior_of_the_others() -> None:
    one = recommend(answers(), rulebook(category("a", "pytorch", 1.0)))
    two = recommend(answers(), rulebook(category("a", "pytorch", 1.0), category("b", "tensorflow", 3.0)))
    assert one.contributions[0].points == two.contributions[0].points


def test_general_verdicts_alone_never_give_more_than_slight_confidence() -> None:
    heavy = rulebook(category("a", "pytorch", 100.0), category("b", "pytorch", 50.0))
    result = recommend(answers(), heavy)
    assert (result.recommendation, result.confidence, result.answer_lead) == ("pytorch", "slight", 0.0)
    assert any("None of your answers favours PyTorch" in r for r in result.reasons)


def test_matching_rule_adds_its_weight_to_its_winner_and_others_add_nothing() -> None:
    book = rulebook(category("a", "pytorch", 1.0, rules=(
        rule({"scale": "enterprise"}, 3.0, winner="tensorflow"),
        rule({"scale": "research"}, 5.0, winner="tensorflow"),
    )))
    result = recommend(answers(scale="enterprise"), book)
    assert (result.scores.pytorch, result.scores.tensorflow) == (round(PRIOR_PER_BASE, 4), 3.0)
    assert result.recommendation == "tensorflow"
    assert len(result.contributions) == 2


def test_rule_without_winner_favours_the_categorys_current_winner() -> None:
    book = rulebook(category("a", "tensorflow", 0.0, rules=(rule({"scale": "research"}, 2.0),)))
    assert recommend(answers(), book).scores.tensorflow == 2.0


def test_a_list_in_when_matches_any_choice_and_many_answers_match_by_overlap() -> None:
    book = rulebook(category("a", "tie", 0.0,
                             rules=(rule({"deploy": ["browser", "microcontroller"]}, 1.0, "tensorflow"),)))
    assert recommend(answers(deploy=["python-server", "microcontroller"]), book).scores.tensorflow == 1.0
    assert recommend(answers(deploy=["python-server"]), book).scores.tensorflow == 0.0


def test_every_key_of_when_must_match() -> None:
    book = rulebook(category("a", "tie", 0.0,
                             rules=(rule({"os": "windows", "hardware": "nvidia-gpu"}, 1.0, "pytorch"),)))
    assert recommend(answers(os="windows", hardware=["nvidia-gpu"]), book).scores.pytorch == 1.0
    assert recommend(answers(os="windows", hardware=["cpu"]), book).scores.pytorch == 0.0
    assert recommend(answers(os="linux", hardware=["nvidia-gpu"]), book).scores.pytorch == 0.0


def test_yes_no_rule_matches_only_the_same_answer() -> None:
    book = rulebook(category("a", "pytorch", 0.0, rules=(rule({"custom_kernels": True}, 2.0),)))
    assert recommend(answers(custom_kernels=True), book).scores.pytorch == 2.0
    assert recommend(answers(custom_kernels=False), book).scores.pytorch == 0.0


def test_facts_rule_needs_one_of_its_probe_facts() -> None:
    book = rulebook(category("a", "tie", 0.0,
                             rules=(rule({"facts": ["gpu-torch-only", "apple-silicon"]}, 1.0, "pytorch"),)))
    assert recommend(answers(), book).scores.pytorch == 0.0
    result = recommend(answers(), book, frozenset({"gpu-torch-only"}))
    assert result.scores.pytorch == 1.0
    because = result.contributions[-1].because
    assert "fwguide found that a GPU is usable from PyTorch but not from TensorFlow here" in because


def test_because_cites_the_answers_that_triggered_the_rule() -> None:
    book = rulebook(category("a", "pytorch", 1.0, rules=(
        rule({"deploy": ["mobile-ios", "browser"], "custom_kernels": True}, 1.0, because="Kernels are easier."),)))
    result = recommend(answers(deploy=["browser", "python-server"], custom_kernels=True), book)
    matched = result.contributions[-1]
    assert matched.because == "Kernels are easier. (you answered deploy = browser, custom_kernels = yes)"
    assert matched.cause == "you answered deploy = browser, custom_kernels = yes"
    assert result.contributions[0].because.startswith("A today: PyTorch ahead. Verdict on a.")


def test_reasons_never_say_you_answered_for_a_default_or_a_detected_answer() -> None:
    book = rulebook(category("a", "pytorch", 1.0, rules=(
        rule({"deploy": "browser", "custom_kernels": True, "existing_code": "pytorch"}, 1.0, because="Why."),)))
    given = answers(deploy=["browser"], custom_kernels=True, existing_code="pytorch")
    result = recommend(given, book, origins={"custom_kernels": "default", "existing_code": "detected"})
    assert result.contributions[-1].cause == (
        "you answered deploy = browser; by default custom_kernels = yes; detected existing_code = pytorch")
    assert recommend(given, book).contributions[-1].cause.startswith("you answered deploy = browser, custom_kernels")


def test_a_rule_only_defaults_triggered_moves_the_scores_but_not_the_confidence() -> None:
    book = rulebook(category("a", "tie", 1.0, rules=(rule({"scale": "learning"}, 2.5, winner="pytorch"),)))
    answered = recommend(answers(scale="learning"), book)
    assumed = recommend(answers(scale="learning"), book, origins={"scale": "default"})
    assert answered.scores == assumed.scores and answered.recommendation == assumed.recommendation == "pytorch"
    assert (answered.answer_lead, answered.confidence) == (2.5, "moderate")
    assert (assumed.answer_lead, assumed.confidence) == (0.0, "slight")
    assert assumed.contributions[-1].assumed and not answered.contributions[-1].assumed


def _soft_heavy_rulebook():
    soft = tuple(rule({"scale": ["learning", "research", "startup", "enterprise"]}, 4.0) for _ in range(5))
    return rulebook(
        category("soft", "pytorch", 3.0, rules=soft),
        category("deployment", "tie", 1.0, rules=(
            rule({"deploy": "edge-tpu"}, 2.0, winner="tensorflow", hard=True, because="Edge TPUs take LiteRT.",
                 constraint="Only LiteRT models run on a Coral Edge TPU."),)),
    )


def test_a_hard_constraint_decides_and_is_reported_as_a_constraint_not_as_points() -> None:
    book = _soft_heavy_rulebook()
    assert recommend(answers(), book).recommendation == "pytorch"
    result = recommend(answers(deploy=["edge-tpu"]), book)
    assert result.recommendation == "tensorflow"
    hard_points = [c.points.tensorflow for c in result.contributions if c.hard]
    assert hard_points == [2.0] and result.scores.pytorch > result.scores.tensorflow  # no bonus points for being hard
    assert [(h.category, h.framework, h.because) for h in result.hard_constraints] == [
        ("deployment", "tensorflow", "Only LiteRT models run on a Coral Edge TPU.")]
    assert result.reasons[0].startswith("Only LiteRT models run on a Coral Edge TPU.")
    # every other answer pulls the other way, so the constraint decides at moderate confidence, not strong
    assert result.confidence == "moderate"


def test_a_hard_constraint_backed_by_the_other_answers_is_strong() -> None:
    book = rulebook(category("deployment", "tie", 1.0, rules=(
        rule({"deploy": "edge-tpu"}, HARD_STRONG_LEAD, winner="tensorflow", hard=True),)))
    assert recommend(answers(deploy=["edge-tpu"]), book).confidence == "strong"


def test_conflicting_hard_constraints_are_named_and_leave_the_call_slight() -> None:
    book = rulebook(category("deployment", "tie", 0.0, rules=(
        rule({"deploy": "edge-tpu"}, 1.0, winner="tensorflow", hard=True, constraint="Edge TPU needs LiteRT."),
        rule({"deploy": "mobile-ios"}, 2.0, winner="pytorch", hard=True, constraint="Invented iOS constraint."),
    )))
    result = recommend(answers(deploy=["edge-tpu", "mobile-ios"]), book)
    assert (result.recommendation, result.confidence) == ("pytorch", "slight")
    assert any(r.startswith("Hard constraints conflict: Edge TPU needs LiteRT.") for r in result.reasons)


def test_unless_skips_a_rule_when_any_one_of_its_answers_is_given() -> None:
    book = rulebook(category("a", "tie", 0.0, rules=(
        rule({"deploy": "browser"}, 3.0, winner="tensorflow",
             unless={"existing_code": "pytorch", "experience": "pytorch"}),)))
    assert recommend(answers(deploy=["browser"]), book).scores.tensorflow == 3.0
    assert recommend(answers(deploy=["browser"], existing_code="pytorch"), book).scores.tensorflow == 0.0
    assert recommend(answers(deploy=["browser"], experience="pytorch"), book).scores.tensorflow == 0.0


@pytest.mark.parametrize(("pytorch", "tensorflow", "expected"), [
    (10.0, 0.0, "strong"), (4.5, 0.0, "strong"), (4.4, 0.0, "moderate"), (9.0, 1.9, "strong"), (9.0, 4.0, "moderate"),
    (20.0, 2.0, "moderate"),  # answers pulling 2 points the other way make the call contested, never strong
    (2.0, 0.0, "moderate"), (1.9, 0.0, "slight"), (12.0, 10.0, "slight"), (0.0, 0.0, "slight"),
])
def test_confidence_follows_the_lead_the_answers_give_and_the_margin(pytorch: float, tensorflow: float,
                                                                       expected: str) -> None:
    book = rulebook(category("p", "pytorch", 0.0, rules=(rule({"scale": "research"}, pytorch),)),
                    category("t", "tensorflow", 0.0, rules=(rule({"scale": "research"}, tensorflow),)))
    assert recommend(answers(), book).confidence == expected


def test_confidence_levels_run_from_strong_to_slight() -> None:
    leads = [lead for _, lead, _ in CONFIDENCE_LEVELS]
    floors = [floor for _, _, floor in CONFIDENCE_LEVELS]
    assert leads == sorted(leads, reverse=True) and floors == sorted(floors, reverse=True) and floors[-1] == 0.0
    assert [confidence_for(lead, floor) for _, lead, floor in CONFIDENCE_LEVELS] == ["strong", "moderate", "slight"]


def test_what_would_change_names_the_answers_that_flip_the_call_smallest_first() -> None:
    questions = load().questions
    book = rulebook(
        category("deployment", "tie", 0.0, rules=(rule({"deploy": "browser"}, 5.0, winner="tensorflow"),)),
        category("team", "tie", 0.0, rules=(rule({"experience": "pytorch"}, 6.0, winner="pytorch"),
                                            rule({"scale": "research"}, 1.0, winner="pytorch"))),
        questions=questions)
    result = recommend(answers(deploy=["browser"]), book)
    assert (result.recommendation, result.confidence) == ("tensorflow", "moderate")
    flips = [c for c in result.what_would_change if c.flips]
    assert [(c.question, c.answer) for c in flips][:1] == [("deploy", ["none"])]
    assert flips[0].summary == ("With no deployment target yet instead: PyTorch would be recommended "
                                "(slight confidence).")
    assert flips[0].actionable
    experience = next(c for c in flips if (c.question, c.answer) == ("experience", "pytorch"))
    assert experience.tier == 3 and not experience.actionable  # the team's skills are a fact, not a choice
    for change in result.what_would_change:
        again = recommend({**answers(deploy=["browser"]), change.question: change.answer}, book)
        assert (again.recommendation, again.confidence) == (change.recommendation, change.confidence)
        assert (again.recommendation, again.confidence) != (result.recommendation, result.confidence)
    assert what_would_change(answers(deploy=["browser"]), book, frozenset()) == result.what_would_change


def test_level_scores_follow_the_answers_then_pytorch_and_say_so() -> None:
    level = rulebook(category("p", "pytorch", 1.0),
                     category("t", "tensorflow", 0.0, rules=(rule({"scale": "research"}, PRIOR_PER_BASE),)))
    result = recommend(answers(), level)
    assert (result.level, result.recommendation) == (True, "tensorflow")
    assert any("The scores are level" in r and "1 against 0" in r for r in result.reasons)
    even = recommend(answers(), rulebook(category("a", "tie", 1.0)))
    assert (even.level, even.recommendation, even.confidence) == (True, "pytorch", "slight")


def test_same_inputs_give_the_same_recommendation() -> None:
    book = _soft_heavy_rulebook()
    first = msgspec.json.encode(recommend(answers(deploy=["edge-tpu"]), book))
    assert all(msgspec.json.encode(recommend(answers(deploy=["edge-tpu"]), book)) == first for _ in range(3))


def test_engine_does_no_io(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the engine must not do I/O")

    monkeypatch.setattr(builtins, "open", refuse)
    monkeypatch.setattr(builtins, "print", refuse)
    monkeypatch.setattr(builtins, "input", refuse)
    assert recommend(answers(deploy=["edge-tpu"]), _soft_heavy_rulebook()).recommendation == "tensorflow"


def _alternative(aid: str, **fields: object) -> Alternative:
    return Alternative(id=aid, name=aid, summary="s", source="https://example.org", **fields)


def test_alternatives_show_only_when_answers_recommendation_and_confidence_fit() -> None:
    alternatives = (
        _alternative("always"),
        _alternative("tpu", when={"hardware": "tpu"}),
        _alternative("for-tf", recommendation="tensorflow"),
        _alternative("close-call", confidence=["slight"]),
    )
    book = rulebook(category("p", "pytorch", 1.0, rules=(rule({"scale": "research"}, 3.0),)), alternatives=alternatives)
    assert [a.id for a in recommend(answers(hardware=["tpu", "cpu"]), book).alternatives] == ["always", "tpu"]
    close = rulebook(category("p", "pytorch", 1.0), category("t", "tensorflow", 0.9), alternatives=alternatives)
    assert [a.id for a in recommend(answers(), close).alternatives] == ["always", "close-call"]


@pytest.mark.parametrize(("winner", "os_name", "hardware", "command", "compute", "fallback"), [
    ("pytorch", "linux", ["nvidia-gpu"], "pip install torch", "cuda", None),
    ("pytorch", "linux", ["multi-gpu", "cpu"], "pip install torch", "cuda", None),
    ("pytorch", "linux", ["amd-gpu"], "pip install torch --index-url rocm", "rocm", None),
    ("pytorch", "macos", ["apple-silicon"], "pip install torch-mac", "mps", None),
    ("pytorch", "windows", ["cpu"], "pip install torch-cpu", "cpu", None),
    ("pytorch", "windows", ["amd-gpu"], "pip install torch-cpu", "cpu", "rocm"),
    ("tensorflow", "windows", ["nvidia-gpu"], "use WSL2", "cuda", None),
    ("tensorflow", "macos", ["apple-silicon"], "pip install tensorflow-cpu", "cpu", "mps"),
])
def test_next_step_matches_the_os_and_compute_platform(winner: str, os_name: str, hardware: list[str], command: str,
                                                       compute: str, fallback: str | None) -> None:
    book = rulebook(category("w", winner, 1.0))
    step = recommend(answers(os=os_name, hardware=hardware), book).next_step
    assert step is not None
    assert (step.framework, step.os, step.command, step.compute, step.fallback_from) == (
        winner, os_name, command, compute, fallback)
