"""Shell completion values: category names for `explain`, question ids and choices for `--set`.

Called by the shell on every Tab, so it reads the cached rulebook and nothing else
(never a framework). A rulebook that cannot be read completes nothing rather than failing.
"""

from __future__ import annotations

from fwguide.errors import FwguideError
from fwguide.rulebook import Rulebook, load


def _rulebook() -> Rulebook | None:
    try:
        return load()
    except FwguideError:
        return None


def categories(incomplete: str) -> list[tuple[str, str]]:
    """Category ids starting with `incomplete`, with their titles (the shell shows them where it can)."""
    rulebook = _rulebook()
    if rulebook is None:
        return []
    return [(c.id, c.title) for c in rulebook.categories if c.id.startswith(incomplete)]


def answers(incomplete: str) -> list[tuple[str, str]]:
    """`--set` values: `ID=` for question ids, then `ID=CHOICE` (after commas too, for many-choice questions)."""
    rulebook = _rulebook()
    if rulebook is None:
        return []
    qid, sep, value = incomplete.partition("=")
    if not sep:
        return [(f"{q.id}=", q.prompt) for q in rulebook.questions if q.id.startswith(qid)]
    question = rulebook.question(qid)
    if question is None:
        return []
    if question.kind == "yesno":
        return [(f"{qid}={word}", "") for word in ("yes", "no") if word.startswith(value)]
    done, _, typed = value.rpartition(",") if question.kind == "many" else ("", "", value)
    head = f"{qid}={done}," if done else f"{qid}="
    taken = set(done.split(",")) if done else set()
    return [(head + c.id, c.label) for c in question.choices if c.id.startswith(typed) and c.id not in taken]
