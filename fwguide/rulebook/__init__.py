"""The rulebook: YAML data, loaded safely and validated against a typed schema."""

from __future__ import annotations

from fwguide.rulebook.loader import BUILTIN_DIR, check, load
from fwguide.rulebook.lookup import find_category, normalize_name
from fwguide.rulebook.schema import Category, Question, Rulebook

__all__ = ["BUILTIN_DIR", "Category", "Question", "Rulebook", "check", "find_category", "load", "normalize_name"]
