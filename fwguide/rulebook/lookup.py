"""Find a category by id, title or alias; suggest the closest names on a typo."""

from __future__ import annotations

import re

from fwguide.errors import FwguideError
from fwguide.rulebook.schema import Category, Rulebook
from fwguide.safetext import shown


def normalize_name(text: str) -> str:
    """How category names compare: case, spaces, hyphens and underscores do not matter."""
    return re.sub(r"[\s_\-/&]+", " ", text.strip().lower()).strip()


def name_index(rulebook: Rulebook) -> dict[str, Category]:
    index: dict[str, Category] = {}
    for category in rulebook.categories:
        for name in (category.id, category.title, *category.aliases):
            index.setdefault(normalize_name(name), category)
    return index


def find_category(rulebook: Rulebook, name: str) -> Category:
    index = name_index(rulebook)
    found = index.get(normalize_name(name))
    if found is not None:
        return found
    from fwguide.fuzzy import suggestions

    close = suggestions(normalize_name(name), index, limit=len(index))
    ids = list(dict.fromkeys(index[known].id for known in close))[:3]
    hint = f"did you mean: {', '.join(ids)}?" if ids else "run `fwguide explain --list` to see every category"
    raise FwguideError(f"unknown category {shown(name)!r}", hint=hint)
