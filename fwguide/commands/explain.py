"""`fwguide explain`: one comparison category, or the list of them."""

from __future__ import annotations

import sys
from pathlib import Path

import msgspec

from fwguide.errors import ExitCode, FwguideError
from fwguide.rulebook import find_category, load
from fwguide.rulebook.schema import Category, Rulebook


def run(category: str | None, list_all: bool, json_out: bool, check: bool, rules: Path | None) -> int:
    rulebook = load(rules)
    if list_all or category is None:
        if check:
            raise FwguideError("--check needs a category", hint="e.g. fwguide explain coverage --check")
        return _list(rulebook, json_out)
    found = find_category(rulebook, category)
    results = _run_checks(found, json_out) if check else None
    if json_out:
        from fwguide.render.jsonout import print_json

        print_json(category_json(rulebook, found, results))
    elif sys.stdout.isatty():
        from fwguide.render.explain import show_category

        show_category(rulebook, found, results)
    else:
        from fwguide.render.explain_text import category_text, write

        write(category_text(rulebook, found, results))
    failed = results is not None and any(r.status in {"fail", "error"} for r in results)
    return int(ExitCode.PROBLEM if failed else ExitCode.OK)


def _list(rulebook: Rulebook, json_out: bool) -> int:
    if json_out:
        from fwguide.render.jsonout import print_json

        print_json({
            "rulebook": _meta_json(rulebook),
            "categories": [
                {
                    "id": c.id, "title": c.title, "kind": c.kind, "aliases": c.aliases,
                    "winner_2017": c.seed.winner if c.seed else None, "winner_today": c.current.winner,
                }
                for c in rulebook.categories
            ],
        })
    elif sys.stdout.isatty():
        from fwguide.render.explain import show_list

        show_list(rulebook)
    else:
        from fwguide.render.explain_text import list_text, write

        write(list_text(rulebook))
    return int(ExitCode.OK)


def _run_checks(category: Category, json_out: bool) -> list:
    from fwguide.probe.checks import run_checks

    if json_out or not category.checks:
        return run_checks(category.checks)
    from fwguide.render.explain import checks_progress

    with checks_progress(category):
        return run_checks(category.checks)


def _meta_json(rulebook: Rulebook) -> dict:
    return {"version": rulebook.meta.version, "as_of": rulebook.meta.as_of.isoformat()}


def category_json(rulebook: Rulebook, category: Category, results: list | None) -> dict:
    data = msgspec.to_builtins(category)
    data["rulebook"] = _meta_json(rulebook)
    data["check_results"] = msgspec.to_builtins(results) if results is not None else None
    return data
