"""Hypothesis strategies for valid answers to a rulebook's questions."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import strategies as st

from fwguide.rulebook.schema import Question
from fwguide.scoring import AnswerValue


def answer(question: Question, most: int | None = None, typed: bool = False) -> st.SearchStrategy[AnswerValue]:
    """Any valid answer to `question`: yes or no, one choice, or one exclusive choice alone or a list of
    choices that go together (at most `most` of them; None: up to all of them).

    `typed`: only answers a person can tick in the questionnaire, where a choice that gives way to the
    others (hardware's "CPU only") stands alone as an exclusive one does.
    """
    ids = [c.id for c in question.choices]
    if question.kind == "yesno":
        return st.booleans()
    if question.kind == "one":
        return st.sampled_from(ids)
    single = [*question.exclusive, *(question.gives_way if typed else [])]
    combinable = [i for i in ids if i not in single]
    alone = st.sampled_from([[e] for e in single]) if single else st.nothing()
    together = st.lists(st.sampled_from(combinable), min_size=1, max_size=most or len(combinable), unique=True)
    return together | alone


def answer_sets(questions: Sequence[Question], most: int | None = None,
                typed: bool = False) -> st.SearchStrategy[dict[str, AnswerValue]]:
    """A valid answer to every question of `questions`, by question id (see `answer`)."""
    return st.fixed_dictionaries({q.id: answer(q, most, typed) for q in questions})
