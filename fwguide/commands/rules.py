"""`fwguide rules validate`: lint the built-in rulebook or a team's own."""

from __future__ import annotations

from pathlib import Path

from fwguide.errors import ExitCode
from fwguide.render.console import stdout_console
from fwguide.render.jsonout import print_json
from fwguide.rulebook import check


def validate(path: Path | None, json_out: bool) -> int:
    rulebook, problems = check(path)
    target = str(path) if path else "built-in rulebook"
    if json_out:
        print_json({
            "rulebook": target,
            "ok": not problems,
            "version": rulebook.meta.version,
            "categories": len(rulebook.categories),
            "questions": len(rulebook.questions),
            "problems": [
                {"path": str(p.path), "line": p.line, "field": p.field, "expected": p.expected} for p in problems
            ],
        })
    elif problems:
        from fwguide.render.errors import Console

        err = Console(stderr=True, highlight=False, soft_wrap=True)
        for problem in problems:
            err.print(str(problem), markup=False)
        err.print(f"[bold red]{len(problems)} problem(s)[/] in {target}")
    else:
        stdout_console().print(
            f"[green]OK[/] {target}: rulebook {rulebook.meta.version} (as of {rulebook.meta.as_of}), "
            f"{len(rulebook.categories)} categories, {len(rulebook.questions)} questions"
        )
    return int(ExitCode.USAGE if problems else ExitCode.OK)
