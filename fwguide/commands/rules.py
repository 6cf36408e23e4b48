"""`fwguide rules validate`, `calibrate` and `freshness`: lint a rulebook, measure it against documented decisions,
and compare what it was checked against with the package index."""

from __future__ import annotations

import sys
from pathlib import Path

from fwguide.engine import display_name
from fwguide.errors import ExitCode, FwguideError
from fwguide.render.console import stdout_console
from fwguide.render.jsonout import print_json
from fwguide.render.output import versioned
from fwguide.rulebook import check
from fwguide.rulebook.schema import Rulebook


def _installed_versions() -> dict[str, str]:
    """The framework versions installed beside fwguide, from package metadata (no framework import)."""
    from importlib import metadata

    from fwguide import frameworks

    found = {}
    for framework in frameworks.known():
        for name in framework.distributions:
            try:
                found[framework.id] = metadata.version(name)
                break
            except metadata.PackageNotFoundError:
                continue
    return found


def _old_verdict_warnings(rulebook: Rulebook) -> list[str]:
    from fwguide.freshness import STALE_MONTHS
    from fwguide.freshness.report import old_verdicts

    return [f"{v.category}: today's verdict is as of {v.as_of.isoformat()} ({v.age}, older than {STALE_MONTHS} "
            "months); re-check it against its sources (`fwguide rules freshness` lists every old verdict)"
            for v in old_verdicts(rulebook)]


def validate(path: Path | None, json_out: bool) -> int:
    from fwguide.install import newer_than_checked

    rulebook, problems = check(path)
    target = str(path) if path else "built-in rulebook"
    # Warnings, not problems: a newer framework or an old verdict does not make the rulebook invalid, only worth
    # re-checking.
    warnings = newer_than_checked(rulebook.install, _installed_versions()) + _old_verdict_warnings(rulebook)
    if json_out:
        print_json(versioned({
            "rulebook": target,
            "ok": not problems,
            "warnings": warnings,
            "version": rulebook.meta.version,
            "categories": len(rulebook.categories),
            "questions": len(rulebook.questions),
            "problems": [
                {"path": str(p.path), "line": p.line, "field": p.field, "expected": p.expected} for p in problems
            ],
        }))
        return int(ExitCode.USAGE if problems else ExitCode.OK)
    for warning in warnings:
        sys.stderr.write(f"warning: {warning}\n")
    from rich.markup import escape

    from fwguide.safetext import printable

    if problems:
        from rich.console import Console

        err = Console(stderr=True, highlight=False, soft_wrap=True)
        for problem in problems:
            err.print(str(problem), markup=False)
        err.print(f"[bold red]{len(problems)} problem(s)[/] in {escape(printable(target))}")
    else:
        stdout_console().print(
            f"[green]OK[/] {escape(printable(target))}: "
            f"rulebook {rulebook.meta.version} (as of {rulebook.meta.as_of}), "
            f"{len(rulebook.categories)} categories, {len(rulebook.questions)} questions"
        )
    return int(ExitCode.USAGE if problems else ExitCode.OK)


def calibrate(cases_file: Path, rules: Path | None, json_out: bool, min_ratio: float) -> int:
    """Run a case library through the engine; exit 1 below `min_ratio` agreement or on any strong miss."""
    from fwguide.calibrate import calibrate as run_cases
    from fwguide.calibrate import read_cases
    from fwguide.render.console import detect
    from fwguide.render.layout import show, text
    from fwguide.rulebook import load

    if not 0.0 <= min_ratio <= 1.0:
        raise FwguideError(f"--min {min_ratio:g}: expected a ratio between 0 and 1", hint="e.g. --min 0.9")
    rulebook = load(rules)
    outcome = run_cases(read_cases(cases_file, rulebook), rulebook)
    failed = outcome.agreement < min_ratio or outcome.strong_misses > 0
    if json_out:
        print_json(versioned({
            "agreement": outcome.agreement,
            "cases": [{"id": c.id, "expected": c.expected, "recommendation": c.recommendation,
                       "confidence": c.confidence, "scores": c.scores, "hit": c.hit, "close": c.close,
                       "holds_today": c.holds_today, "counted": c.counted} for c in outcome.cases],
            "strong_misses": outcome.strong_misses,
            "confidence_counts": outcome.confidence_counts,
            "min": min_ratio,
            "ok": not failed,
        }))
        return int(ExitCode.PROBLEM if failed else ExitCode.OK)
    counted = [c for c in outcome.cases if c.counted]
    close = [c for c in outcome.cases if c.close]
    past = [c for c in outcome.cases if not c.holds_today and not c.close]
    blocks = [text(line) for line in [
        f"{cases_file}: {len(outcome.cases)} cases, rulebook {rulebook.meta.version} (as of {rulebook.meta.as_of})",
        f"Agreement on firm cases: {sum(c.hit for c in counted)}/{len(counted)} ({outcome.agreement:.0%})",
        f"Close calls (not counted): {sum(c.hit for c in close)}/{len(close)} agree",
        f"Calls that no longer hold today (not counted): {sum(c.hit for c in past)}/{len(past)} agree",
        "Confidence given: " + ", ".join(f"{level} {count}" for level, count in outcome.confidence_counts.items()),
        f"Misses at strong confidence: {outcome.strong_misses}"]]
    if outcome.misses:
        blocks.append(text("Misses:"))
        blocks += [text(f"{c.id}: expected {display_name(c.expected)}, got {display_name(c.recommendation)} "
                        f"({c.confidence}; PyTorch {c.scores.pytorch:.1f}, TensorFlow {c.scores.tensorflow:.1f})"
                        + (" [close call]" if c.close else "") + ("" if c.holds_today else " [no longer holds]"),
                        lead="- ", indent=2)
                   for c in outcome.misses]
    why = []
    if outcome.agreement < min_ratio:
        why.append(f"agreement below --min {min_ratio:g}")
    if outcome.strong_misses:
        why.append(f"{outcome.strong_misses} miss(es) at strong confidence")
    blocks.append(text(("FAIL" if failed else "OK", "bold red" if failed else "bold green"),
                       f": {'; '.join(why)}" if why else f": agreement at least {min_ratio:g}, no strong miss"))
    show(blocks, detect())
    return int(ExitCode.PROBLEM if failed else ExitCode.OK)


def freshness(rules: Path | None, python: Path | None, json_out: bool) -> int:
    """Exit 0 when nothing on the index is newer than what the rulebook was checked against and no verdict is old,
    1 when something is stale, 2 when the index cannot be asked (FwguideError)."""
    from fwguide.freshness.report import check as check_freshness
    from fwguide.probe import interpreter
    from fwguide.render import freshness as view
    from fwguide.render.console import detect
    from fwguide.render.output import choose, emit
    from fwguide.rulebook import load

    terminal = detect()
    rulebook = load(rules)
    if python is not None:
        chosen, why = interpreter.resolve(python), "--python"
    else:
        chosen, why = interpreter.default()
    with view.progress(terminal, chosen.path) as update:
        report = check_freshness(rulebook, chosen.path, why, progress=update)
    emit(choose(terminal, json_out), terminal, data=lambda: view.data(report), blocks=lambda width: view.blocks(report))
    return report.exit_code
