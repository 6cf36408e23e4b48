"""Every snippet of the built-in rulebook runs against the real installed frameworks."""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from fwguide import frameworks
from fwguide.rulebook import load

RUNNER = Path(__file__).resolve().parent.parent / "helpers" / "snippet_runner.py"
SNIPPETS = [
    (category.id, index, snippet)
    for category in load().categories
    for index, snippet in enumerate(category.snippets)
]


def _snippet_id(category_id: str, index: int, framework: str) -> str:
    return f"{category_id}[{index}]:{framework}"


@cache
def _results(framework: str) -> dict[str, str | None]:
    batch = [
        {"id": _snippet_id(cid, index, framework), "code": getattr(snippet, framework)}
        for cid, index, snippet in SNIPPETS
    ]
    proc = subprocess.run([sys.executable, str(RUNNER)], input=json.dumps(batch), capture_output=True,
                          text=True, timeout=600)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("SNIPPET-RESULTS ")), None)
    assert line is not None, f"snippet runner produced no results:\n{proc.stderr[-3000:]}"
    return json.loads(line.removeprefix("SNIPPET-RESULTS "))


def test_every_category_of_the_article_has_snippets() -> None:
    without = [c.id for c in load().categories if c.kind != "new" and not c.snippets]
    assert without == []


@pytest.mark.parametrize("framework", [pytest.param(f.id, marks=pytest.mark.needs(f.module))
                                       for f in map(frameworks.get, frameworks.DECISION)])
@pytest.mark.parametrize(("category_id", "index"), [(cid, i) for cid, i, _ in SNIPPETS],
                         ids=[f"{cid}[{i}]" for cid, i, _ in SNIPPETS])
def test_snippet_runs(category_id: str, index: int, framework: str) -> None:
    error = _results(framework)[_snippet_id(category_id, index, framework)]
    assert error is None, error
