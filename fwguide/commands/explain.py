"""`fwguide explain`: one comparison category, or the list of them."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import msgspec

from fwguide.errors import ExitCode, FwguideError
from fwguide.render.console import Terminal, detect
from fwguide.render.output import choose, emit
from fwguide.rulebook import find_category, load
from fwguide.rulebook.schema import Category, Rulebook


def run(category: str | None, list_all: bool, json_out: bool, check: bool, rules: Path | None,
        python: Path | None = None) -> int:
    terminal = detect()
    rulebook = load(rules)
    if python is not None and not check:
        raise FwguideError("--python only applies with --check",
                           hint="e.g. fwguide explain coverage --check --python PATH")
    if list_all or category is None:
        if check:
            raise FwguideError("--check needs a category", hint="e.g. fwguide explain coverage --check")
        return _list(rulebook, json_out, terminal)
    found = find_category(rulebook, category)
    results = _run_checks(found, json_out, terminal, python) if check else None
    emit(choose(terminal, json_out), terminal, data=lambda: category_json(rulebook, found, results),
         blocks=lambda width: _view().category_blocks(rulebook, found, results))
    failed = results is not None and any(r.status in {"fail", "error"} for r in results)
    return int(ExitCode.PROBLEM if failed else ExitCode.OK)


def _view() -> Any:
    """The explain views, imported only when a screen is drawn: `--json` never needs the layout."""
    from fwguide.render import explain

    return explain


def _list(rulebook: Rulebook, json_out: bool, terminal: Terminal) -> int:
    emit(choose(terminal, json_out), terminal, data=lambda: {
        "rulebook": _meta_json(rulebook),
        "categories": [{"id": c.id, "title": c.title, "kind": c.kind, "aliases": c.aliases,
                        "winner_2017": seed_winner(c), "winner_today": c.current.winner}
                       for c in rulebook.categories],
    }, blocks=lambda width: _view().list_blocks(rulebook))
    return int(ExitCode.OK)


def _run_checks(category: Category, json_out: bool, terminal: Terminal, python: Path | None) -> list:
    from fwguide.probe.checks import run_checks

    given = str(python) if python is not None else None
    if json_out or not category.checks:
        return run_checks(category.checks, python=given)
    from fwguide.render.explain import checks_progress

    with checks_progress(category, terminal):
        return run_checks(category.checks, python=given)


def seed_winner(category: Category) -> str | None:
    """The 2017 column: the article's winner, "note" for its notes (no winner called), None for new categories."""
    if category.seed is None:
        return None
    return category.seed.winner or "note"


def _meta_json(rulebook: Rulebook) -> dict:
    return {"version": rulebook.meta.version, "as_of": rulebook.meta.as_of.isoformat()}


def category_json(rulebook: Rulebook, category: Category, results: list | None) -> dict:
    data = msgspec.to_builtins(category)
    data["rulebook"] = _meta_json(rulebook)
    data["winner_2017"] = seed_winner(category)
    data["age_days"] = (datetime.date.today() - category.current.as_of).days  # of today's verdict
    data["check_results"] = msgspec.to_builtins(results) if results is not None else None
    if results:
        data["checked_with"] = {"python": results[0].python, "chosen_by": results[0].chosen_by}
    return data
