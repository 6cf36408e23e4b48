"""Show an `ask` outcome: rich on a terminal, plain text in a pipe, JSON for scripts.

Rich is imported only for the terminal view, so `ask --json` stays at start-up speed.
"""

from __future__ import annotations

import datetime
import sys
from pathlib import Path
from typing import Any, NamedTuple

import msgspec

from fwguide.answers import Answers, answer_text
from fwguide.engine import Contribution, InstallStep, Recommendation, display_name
from fwguide.rulebook.schema import Alternative


class AskOutcome(msgspec.Struct, frozen=True):
    """Everything the views and the decision record show about one `ask` run."""

    answers: Answers
    result: Recommendation
    rulebook_version: str
    rulebook_as_of: datetime.date
    probe: dict[str, Any] | None  # the probe's summary, None without a probe
    machine: dict[str, Any]  # os / hardware as this machine shows them; filled only for the decision record
    facts: tuple[str, ...]
    recorded: datetime.date


def to_json_dict(outcome: AskOutcome) -> dict[str, Any]:
    """The DESIGN.md keys of `ask --json`, then a few extra ones."""
    result = outcome.result
    return {
        "recommendation": result.recommendation,
        "confidence": result.confidence,
        "scores": msgspec.to_builtins(result.scores),
        "contributions": msgspec.to_builtins(result.contributions),
        "reasons": list(result.reasons),
        "alternatives": [alternative_text(a) for a in result.alternatives],
        "answers": dict(outcome.answers.values),
        "hard_constraints": msgspec.to_builtins(result.hard_constraints),
        "what_would_change": msgspec.to_builtins(result.what_would_change),
        "probe": outcome.probe,
        "rulebook": {"version": outcome.rulebook_version, "as_of": outcome.rulebook_as_of.isoformat()},
        "margin": result.margin,
        "defaulted": list(outcome.answers.defaulted),
        "detected": list(outcome.answers.detected),
        "facts": list(outcome.facts),
        "next_step": msgspec.to_builtins(result.next_step),
    }


def print_json(outcome: AskOutcome) -> None:
    from fwguide.render.jsonout import print_json as print_data

    print_data(to_json_dict(outcome))


def alternative_text(alternative: Alternative) -> str:
    return f"{alternative.name}: {alternative.summary} ({alternative.source})"


class CategoryShift(NamedTuple):
    """One category's net effect on the scores, and why."""

    title: str
    favours: str
    lead: float
    hard: bool
    because: str


def shifts(result: Recommendation) -> list[CategoryShift]:
    """The categories that moved the balance, biggest first; the answers' reasons before the base verdict's."""
    grouped: dict[str, list[Contribution]] = {}
    for contribution in result.contributions:
        grouped.setdefault(contribution.category, []).append(contribution)
    rows = []
    for items in grouped.values():
        net = round(sum(c.points.pytorch - c.points.tensorflow for c in items), 4)
        if net == 0:
            continue
        favours = "pytorch" if net > 0 else "tensorflow"
        backing = [c for c in items if c.winner == favours]
        because = [c.because for c in backing if c.cause] or [c.because for c in backing]
        rows.append(CategoryShift(items[0].title, favours, abs(net), any(c.hard for c in backing), " ".join(because)))
    return sorted(rows, key=lambda r: (-r.lead, r.title))


def headline(result: Recommendation) -> str:
    return f"{display_name(result.recommendation)}, {result.confidence} confidence"


def score_line(result: Recommendation) -> str:
    return (f"PyTorch {result.scores.pytorch:g} points, TensorFlow {result.scores.tensorflow:g} "
            f"(relative margin {result.margin:.0%})")


def install_lines(step: InstallStep) -> list[str]:
    lines = []
    if step.fallback_from:
        lines.append(f"No {step.fallback_from} build of {display_name(step.framework)} for {step.os} in the install "
                     "table: this is the CPU build.")
    if step.note:
        lines.append(step.note)
    lines.append(f"Source: {step.source}")
    return lines


def origin_notes(answers: Answers) -> list[str]:
    notes = []
    if answers.detected:
        notes.append(f"Detected on this machine: {', '.join(f'{q}={answer_text(answers.values[q])}' for q in answers.detected)}")
    if answers.defaulted:
        notes.append(f"Took the default (unanswered): {', '.join(f'{q}={answer_text(answers.values[q])}' for q in answers.defaulted)}")
    return notes


def show(outcome: AskOutcome, written: list[Path]) -> None:
    """The rich view when stdout is a terminal, plain text otherwise (without importing rich)."""
    if sys.stdout.isatty():
        from fwguide.render.console import stdout_console

        _show_rich(stdout_console(), outcome, written)
    else:
        sys.stdout.write("\n".join(plain_lines(outcome, written)) + "\n")


def plain_lines(outcome: AskOutcome, written: list[Path]) -> list[str]:
    result = outcome.result
    lines = [f"Recommendation: {headline(result)}", f"Scores: {score_line(result)}"]
    lines += origin_notes(outcome.answers)
    lines += ["", "What moved the score:"]
    lines += [f"  - {row.title}: {display_name(row.favours)} +{row.lead:g}{' (hard constraint)' if row.hard else ''}. "
              f"{row.because}" for row in shifts(result)] or ["  - nothing: every category is a tie for these answers"]
    lines += ["", "Reasons:", *(f"  - {r}" for r in result.reasons)]
    if result.alternatives:
        lines += ["", "Alternatives:", *(f"  - {alternative_text(a)}" for a in result.alternatives)]
    if result.next_step:
        lines += ["", f"Next step: {result.next_step.command}", *(f"  {line}" for line in install_lines(result.next_step))]
    lines += [f"Wrote {path}" for path in written]
    return lines


def _show_rich(console: Any, outcome: AskOutcome, written: list[Path]) -> None:
    from rich.markup import escape
    from rich.panel import Panel
    from rich.table import Table

    result = outcome.result
    colour = {"strong": "green", "moderate": "yellow", "slight": "red"}[result.confidence]
    console.print(Panel(f"[bold]{display_name(result.recommendation)}[/]  [{colour}]{result.confidence} confidence[/]\n"
                        f"[dim]{escape(score_line(result))}[/]", title="Recommendation", expand=False))
    for note in origin_notes(outcome.answers):
        console.print(f"[dim]{escape(note)}[/]")
    table = Table(title="What moved the score", show_lines=False, expand=True)
    table.add_column("Category", no_wrap=True)
    table.add_column("Favours", no_wrap=True)
    table.add_column("Points", justify="right", no_wrap=True)
    table.add_column("Because", ratio=1)
    for row in shifts(result):
        table.add_row(escape(row.title), display_name(row.favours), f"+{row.lead:g}" + (" [bold]hard[/]" if row.hard else ""),
                      escape(row.because))
    console.print(table)
    console.print("[bold]Reasons[/]")
    for reason in result.reasons:
        console.print(f"  • {escape(reason)}")
    if result.alternatives:
        console.print("[bold]Alternatives[/]")
        for alternative in result.alternatives:
            console.print(f"  • [bold]{escape(alternative.name)}[/]: {escape(alternative.summary)} "
                          f"[dim]{escape(alternative.source)}[/]")
    if result.next_step:
        console.print(f"[bold]Next step[/]  [cyan]{escape(result.next_step.command)}[/]")
        for line in install_lines(result.next_step):
            console.print(f"  [dim]{escape(line)}[/]")
    for path in written:
        console.print(f"[green]Wrote[/] {escape(str(path))}")
