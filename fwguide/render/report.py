"""The Markdown decision record of `ask --report`: readable as plain text and rendered on GitHub.

Laid out as blocks and written by fwguide.render.markdown, which escapes every text that came
from outside (file names in the project evidence, probe values) so it adds no structure.
"""

from __future__ import annotations

from typing import Any

from fwguide import __version__
from fwguide.answers import answer_text
from fwguide.engine import display_name, other
from fwguide.factors import label
from fwguide.outcome import AskOutcome
from fwguide.render.ask import TIER_NOTES, constraint_text, factor_text, headline, install_lines, score_line
from fwguide.render.layout import Block, Code, Heading, Table, text
from fwguide.render.markdown import render
from fwguide.rulebook.names import PROBE_FACTS
from fwguide.rulebook.schema import Rulebook


def decision_record(outcome: AskOutcome, rulebook: Rulebook) -> str:
    return render(record_blocks(outcome, rulebook))


def record_blocks(outcome: AskOutcome, rulebook: Rulebook) -> list[Block]:
    result = outcome.result
    winner = result.recommendation
    blocks: list[Block] = [
        Heading(f"Framework decision: {display_name(winner)}", level=1),
        text(f"Recorded {outcome.recorded.isoformat()} with fwguide {__version__}, rulebook "
             f"{outcome.rulebook_version} (facts as of {outcome.rulebook_as_of.isoformat()})."),
        text((f"Recommendation: {headline(result)}.", "bold"), f" {score_line(result)}."),
        Heading("Why"),
    ]
    blocks += [text(reason, lead="- ") for reason in result.reasons]
    blocks.append(Heading("What pulled each way", level=3))
    for framework in (winner, other(winner)):
        factors = result.sides.get(framework, ())
        shown = ", ".join(factor_text(f) for f in factors) or "none of the answers"
        blocks.append(text((f"{display_name(framework)}:", "bold"), f" {shown}", lead="- "))
    blocks += [text(line, lead="- ") for line in
               [f"Constraint: {c}" for c in constraint_text(result, rulebook)]]
    if result.split is not None:
        split = result.split
        blocks += [Heading("Split route", level=3), text(" ".join(split.summary.split())),
                   text(f"PyTorch for: {' '.join(split.pytorch_for.split())}", lead="- "),
                   text(f"TensorFlow for: {' '.join(split.tensorflow_for.split())}", lead="- "),
                   text(f"Source: {split.source}", lead="- ")]
    blocks += [Heading("Answers"), _answers(outcome, rulebook)]
    blocks += [Heading("Per category"),
               text("Points each category gave, from today's verdict and from the rules the answers triggered."),
               _per_category(outcome, rulebook)]
    blocks.append(Heading("Alternatives"))
    blocks += [text((a.name, "bold"), f": {' '.join(a.summary.split())} (source: {a.source})", lead="- ")
               for a in result.alternatives] or [text("None stood out for these answers.", lead="- ")]
    changes = result.what_would_change
    if changes:
        blocks.append(Heading("What would change it"))
        blocks += [text(c.summary + TIER_NOTES.get(c.tier, ""), lead="- ") for c in changes]
    if result.next_step:
        step = result.next_step
        blocks.append(Heading("Next step"))
        if step.command:
            blocks.append(Code("", (("", step.command),), language="bash"))
        blocks += [text(line, lead="- ") for line in install_lines(step)]
    if outcome.project is not None:
        blocks += [Heading("Project"), *_project(outcome.project)]
    blocks += [Heading("Machine"), *_machine(outcome)]
    return blocks


def _answers(outcome: AskOutcome, rulebook: Rulebook) -> Table:
    rows = []
    for qid, value in outcome.answers.values.items():
        question = rulebook.question(qid)
        origin = {"answered": "answered", "detected": "detected", "default": "default (not asked)"}[
            outcome.answers.origin(qid)]
        if outcome.answers.evidence.get(qid):
            origin = "detected in the project: " + "; ".join(outcome.answers.evidence[qid])
        rows.append((question.prompt if question else qid, qid, answer_text(value), label(rulebook, qid, value),
                     origin))
    return Table(header=("Question", "Id", "Answer", "In words", "From"), rows=rows, code=(1,))


def _per_category(outcome: AskOutcome, rulebook: Rulebook) -> Table:
    rows = []
    for c in outcome.result.contributions:
        category = rulebook.category(c.category)
        sources = category.current.evidence if category else []
        winner = "tie" if c.winner == "tie" else display_name(c.winner) + (" (hard constraint)" if c.hard else "")
        rows.append((c.title, winner, f"{c.points.pytorch:.1f}", f"{c.points.tensorflow:.1f}", c.because,
                     " ".join(e.source for e in sources)))
    return Table(header=("Category", "Favours", "PyTorch", "TensorFlow", "Because", "Sources"), rows=rows, links=(5,))


def _project(project: dict[str, Any]) -> list[Block]:
    stopped = f"; the scan {project['stopped']}" if project.get("stopped") else ""
    blocks: list[Block] = [text("Scanned ", (str(project.get("path", "?")), "code"),
                                f": {project.get('files_read', 0)} files read{stopped}.", lead="- ")]
    blocks += [text(f"{note[:1].upper()}{note[1:]}.", lead="- ") for note in project.get("notes") or []]
    legacy = project.get("legacy") or {}
    blocks += [text(f"Ceiling: {display_name(str(c.get('framework', '')))} {c.get('version', '?')} or older "
                    f"({c.get('because', '')}).", lead="- ") for c in legacy.get("ceilings") or []]
    return blocks


def _machine(outcome: AskOutcome) -> list[Block]:
    blocks: list[Block] = [text(f"{key} (as this machine shows it): {answer_text(value)}", lead="- ")
                           for key, value in outcome.machine.items()]
    blocks += [text(f"{_sentence(PROBE_FACTS.get(fact, fact))}", lead="- ") for fact in outcome.facts]
    if outcome.probe is None:
        blocks.append(text("The hardware probe did not run (--no-probe, or it did not finish).", lead="- "))
    else:
        blocks += _bullets({k: v for k, v in outcome.probe.items() if k != "facts"})
    return blocks


def _sentence(phrase: str) -> str:
    return f"{phrase[:1].upper()}{phrase[1:]}."


def _bullets(data: dict[str, Any], depth: int = 0) -> list[Block]:
    """Nested probe data as a list, leaving out what is empty or unknown."""
    blocks: list[Block] = []
    for key, value in data.items():
        if value is None or value == "" or value == [] or value == {}:
            continue
        if isinstance(value, dict):
            blocks += [text(f"{key}:", lead="- ", indent=2 * depth), *_bullets(value, depth + 1)]
        elif isinstance(value, list):
            blocks.append(text(f"{key}: {', '.join(_inline(item) for item in value)}", lead="- ", indent=2 * depth))
        else:
            blocks.append(text(f"{key}: {value}", lead="- ", indent=2 * depth))
    return blocks


def _inline(item: object) -> str:
    if not isinstance(item, dict):
        return str(item)
    first, *rest = [(k, v) for k, v in item.items() if v not in (None, "")] or [("", "")]
    details = ", ".join(f"{k} {v}" for k, v in rest)
    return f"{first[1]} ({details})" if details else str(first[1])
