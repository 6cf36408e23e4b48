"""The rulebook: YAML data, loaded safely and validated against a typed schema."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from fwguide.rulebook.loader import BUILTIN_DIR, load
from fwguide.rulebook.lookup import find_category, normalize_name
from fwguide.rulebook.schema import Category, Question, Rulebook

if TYPE_CHECKING:
    from fwguide.rulebook.parse import Problem


def check(rules: Path | None = None) -> tuple[Rulebook, list[Problem]]:
    """Parse and fully validate the built-in rulebook plus `rules` (overlay or replacement)."""
    from fwguide.rulebook import parse

    return parse.check(rules)


__all__ = ["BUILTIN_DIR", "Category", "Question", "Rulebook", "check", "find_category", "load", "normalize_name"]
