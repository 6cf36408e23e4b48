"""Show an `ask` outcome: one screen that says what to do, the full table behind --details, JSON for scripts.

The view is laid out as blocks (fwguide.render.layout), drawn plain in a pipe and with rich
on a terminal; rich is imported only for the terminal, so `ask --json` stays at start-up speed.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any, NamedTuple

import msgspec

from fwguide.answers import Answers, answer_text
from fwguide.engine import Contribution, InstallStep, Recommendation, display_name
from fwguide.render.console import Terminal
from fwguide.render.layout import BLANK, Block, Heading, Table, show as draw, text
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
    project: dict[str, Any] | None = None  # what the project scan read and found, None when it did not run


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
        "detected": {q: outcome.answers.evidence.get(q) or ["detected on this machine"]
                     for q in outcome.answers.detected},
        "project": outcome.project,
        "facts": list(outcome.facts),
        "next_step": msgspec.to_builtins(result.next_step),
    }


def print_json(outcome: AskOutcome) -> None:
    from fwguide.render.jsonout import print_json as print_data
    from fwguide.render.output import versioned

    print_data(versioned(to_json_dict(outcome)))


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
    lines += [*step.because, *([step.replaces] if step.replaces else []), *step.warnings, *step.assumed]
    if step.note:
        lines.append(step.note)
    lines.append(f"Source: {step.source}" + (f" (checked against {step.checked})" if step.checked else ""))
    return lines


def detected_in_project(qid: str, value: object, evidence: list[str]) -> str:
    return f"Detected in the project: {qid}={answer_text(value)}" + (f" ({'; '.join(evidence)})" if evidence else "")


def origin_notes(answers: Answers) -> list[str]:
    notes = [detected_in_project(q, answers.values[q], answers.evidence[q]) for q in answers.detected
             if q in answers.evidence]
    here = [q for q in answers.detected if q not in answers.evidence]
    if here:
        notes.append(f"Detected on this machine: {', '.join(f'{q}={answer_text(answers.values[q])}' for q in here)}")
    if answers.defaulted:
        notes.append(f"Took the default (unanswered): {', '.join(f'{q}={answer_text(answers.values[q])}' for q in answers.defaulted)}")
    return notes


# --- the answers that decided it -----------------------------------------------------------

_CONFIDENCE_WORDS = {"strong": "your answers point clearly this way", "moderate": "your answers lean this way",
                     "slight": "a close call"}
_CONFIDENCE_STYLE = {"strong": "bold green", "moderate": "bold yellow", "slight": "bold red"}
_CITED = re.compile(r"([a-z_]+) = ")


class Decider(NamedTuple):
    """One answer (or probe finding) and the categories it moved towards the recommendation."""

    key: str  # a question id, or the probe finding in words
    lead: float
    titles: list[str]


def _cited(cause: str) -> list[str]:
    """The question ids and probe findings a contribution's cause names."""
    keys: list[str] = []
    for part in cause.split("; "):
        if part.startswith(("you answered ", "by default ", "detected ")):
            keys += _CITED.findall(part)
        elif part.startswith("the probe found that "):
            keys.append(part.removeprefix("the probe found that "))
    return keys


def deciders(result: Recommendation, limit: int = 3) -> list[Decider]:
    """The answers that moved the scores most towards the recommendation, biggest first.

    Answers that raised a hard constraint are left out: the constraint itself is shown.
    """
    constrained = {key for h in result.hard_constraints for key in _cited(h.cause)}
    leads: dict[str, float] = {}
    titles: dict[str, dict[str, float]] = {}
    for contribution in result.contributions:
        lead = contribution.points.lead(result.recommendation)
        for key in _cited(contribution.cause):
            if key in constrained:
                continue
            leads[key] = leads.get(key, 0.0) + lead
            if lead > 0:
                per_title = titles.setdefault(key, {})
                per_title[contribution.title] = per_title.get(contribution.title, 0.0) + lead
    ranked = sorted((k for k, v in leads.items() if v > 0), key=lambda k: -leads[k])
    return [Decider(k, round(leads[k], 4), sorted(titles[k], key=lambda t: -titles[k][t])) for k in ranked[:limit]]


def top_category(result: Recommendation) -> str | None:
    """The category that did most for the recommendation: the one `fwguide explain` should show next."""
    best: dict[str, float] = {}
    for contribution in result.contributions:
        lead = contribution.points.lead(result.recommendation)
        weight = lead * (10 if contribution.cause else 1)  # what the answers did counts before the general verdicts
        best[contribution.category] = best.get(contribution.category, 0.0) + weight
    return max(best, key=best.__getitem__) if best and max(best.values()) > 0 else None


def _answer_words(answers: Answers, key: str) -> str:
    if key not in answers.values:
        return f"this machine: {key}"
    origin = " (default)" if key in answers.defaulted else " (detected)" if key in answers.detected else ""
    if answers.evidence.get(key):  # found in the project: say what it was found from
        origin = f" (detected: {answers.evidence[key][0]})"
    return f"{key} = {answer_text(answers.values[key])}{origin}"


def _one_line(start: str, items: list[str], width: int) -> str:
    """`start: a, b, c`, leaving out whole items (never cutting one) so that it fits `width`."""
    for count in range(len(items), 0, -1):
        more = f", +{len(items) - count} more" if count < len(items) else ""
        line = f"{start}: {', '.join(items[:count])}{more}"
        if len(line) <= width:
            return line
    return start


# --- the screen ----------------------------------------------------------------------------

def show(outcome: AskOutcome, terminal: Terminal, written: list[Path], details: bool = False) -> None:
    blocks = details_blocks(outcome) + [BLANK] if details else []
    draw(blocks + summary_blocks(outcome, terminal.width, written, details), terminal)


def summary_blocks(outcome: AskOutcome, width: int, written: list[Path], details: bool = False) -> list[Block]:
    """The recommendation on one screen, in the order a reader acts on it."""
    result, answers = outcome.result, outcome.answers
    style = _CONFIDENCE_STYLE[result.confidence]
    blocks: list[Block] = [text("Recommendation: ", (display_name(result.recommendation), "bold"), ", ",
                                (f"{result.confidence} confidence", style),
                                f" ({_CONFIDENCE_WORDS[result.confidence]})")]
    decided = deciders(result)
    if decided:
        blocks.append(Heading("Decided by"))
        blocks += [text(_one_line(_answer_words(answers, d.key), d.titles, width - 2), indent=2) for d in decided]
    elif not result.hard_constraints:
        blocks += [Heading("Decided by"),
                   text("none of your answers: today's general verdicts tip the balance", indent=2)]
    if result.hard_constraints:
        blocks.append(Heading("Constraints" if len(result.hard_constraints) > 1 else "Constraint"))
        blocks += [text(f"{h.because} ({h.cause.removeprefix('you answered ')})", indent=2)
                   for h in result.hard_constraints]
        if len({h.framework for h in result.hard_constraints}) > 1:
            blocks.append(text("These targets need different frameworks: serving all of them may need both.",
                               indent=2))
    if result.what_would_change:
        blocks += [Heading("What would change it"), text(result.what_would_change[0].summary, indent=2)]
    if result.next_step:
        blocks += [Heading("Next step"), text((result.next_step.command, "cyan"), indent=2, keep=True)]
        step = result.next_step
        if step.fallback_from:
            blocks.append(text(install_lines(step)[0], indent=2))
        caveat = next(iter([step.replaces] * bool(step.replaces) + step.warnings + step.assumed), "")
        if caveat:
            blocks.append(text((caveat[0].upper() + caveat[1:], "dim"), indent=2))
    if outcome.probe and outcome.probe.get("python"):
        chosen = outcome.probe.get("python_chosen_by")
        blocks.append(text((f"Probed environment: {outcome.probe['python']}" + (f" ({chosen})" if chosen else ""),
                            "dim")))
    if not details and (answers.defaulted or answers.detected):
        counts = [f"defaults kept: {len(answers.defaulted)}"] * bool(answers.defaulted) + [
            f"detected: {len(answers.detected)}"] * bool(answers.detected)
        blocks.append(text((f"{' · '.join(counts).capitalize()} (--details lists them)", "dim")))
    blocks += [text(("Wrote ", "green"), str(path)) for path in written]
    more = [f"fwguide explain {c}" for c in [top_category(result)] if c]
    if not any(path.suffix.lower() == ".md" for path in written):
        more.append("--report FILE.md")
    if not details:
        more.append("--details")
    blocks.append(text((f"More: {' · '.join(more)}", "dim")))
    return blocks


def details_blocks(outcome: AskOutcome) -> list[Block]:
    """Everything behind the summary: scores, where answers came from, every category, alternatives."""
    result = outcome.result
    blocks: list[Block] = [text(f"Scores: {score_line(result)}")]
    blocks += [text(note) for note in origin_notes(outcome.answers)]
    rows = [(row.title, display_name(row.favours), f"+{row.lead:g}" + (" hard" if row.hard else ""), row.because)
            for row in shifts(result)]
    blocks.append(BLANK)
    if rows:
        blocks.append(Table("What moved the score", ("Category", "Favours", "Points", "Because"), rows,
                            marks={"PyTorch": "bold", "TensorFlow": "bold"}))
    else:
        blocks.append(text("What moved the score: nothing, every category is a tie for these answers"))
    if result.alternatives:
        blocks += [BLANK, Heading("Alternatives")]
        blocks += [text(alternative_text(a), lead="- ", indent=2) for a in result.alternatives]
    if len(result.what_would_change) > 1:
        blocks += [BLANK, Heading("Other single changes")]
        blocks += [text(change.summary, lead="- ", indent=2) for change in result.what_would_change[1:]]
    if result.next_step:
        notes = install_lines(result.next_step)[1 if result.next_step.fallback_from else 0:]
        blocks += [BLANK, Heading("Install"), *(text(line, indent=2) for line in notes)]
    return blocks
