"""The Markdown decision record of `ask --report`: readable as plain text and rendered on GitHub."""

from __future__ import annotations

from typing import Any

from fwguide import __version__
from fwguide.engine import display_name
from fwguide.answers import answer_text
from fwguide.render.ask import AskOutcome, headline, install_lines, score_line
from fwguide.rulebook.names import PROBE_FACTS
from fwguide.rulebook.schema import Rulebook


def _cell(text: str) -> str:
    """Table cells cannot hold pipes or line breaks."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _row(*cells: str) -> str:
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def decision_record(outcome: AskOutcome, rulebook: Rulebook) -> str:
    result = outcome.result
    out = [
        f"# Framework decision: {display_name(result.recommendation)}",
        "",
        f"Recorded {outcome.recorded.isoformat()} with fwguide {__version__}, rulebook {outcome.rulebook_version} "
        f"(facts as of {outcome.rulebook_as_of.isoformat()}).",
        "",
        f"**Recommendation: {headline(result)}.** {score_line(result)}.",
        "",
        "## Why",
        "",
        *(f"- {reason}" for reason in result.reasons),
        "",
        "## Answers",
        "",
        _row("Question", "Id", "Answer", "From"),
        _row("---", "---", "---", "---"),
    ]
    for qid, value in outcome.answers.values.items():
        question = rulebook.question(qid)
        origin = ("detected" if qid in outcome.answers.detected
                  else "default" if qid in outcome.answers.defaulted else "answered")
        if qid in outcome.answers.evidence:
            origin = "detected in the project: " + "; ".join(outcome.answers.evidence[qid])
        out.append(_row(question.prompt if question else qid, f"`{qid}`", answer_text(value), origin))
    out += ["", "## Per category", "",
            "Points each category gave, from today's verdict and from the rules your answers triggered.", "",
            _row("Category", "Favours", "PyTorch", "TensorFlow", "Because", "Sources"),
            _row("---", "---", "---:", "---:", "---", "---")]
    for c in result.contributions:
        category = rulebook.category(c.category)
        sources = category.current.evidence if category else []
        links = ", ".join(f"[{i + 1}]({e.source})" for i, e in enumerate(sources))
        winner = "tie" if c.winner == "tie" else display_name(c.winner) + (" (hard constraint)" if c.hard else "")
        out.append(_row(c.title, winner, f"{c.points.pytorch:g}", f"{c.points.tensorflow:g}", c.because, links))
    out += ["", "## Alternatives", ""]
    out += [f"- **{a.name}**: {a.summary} ([source]({a.source}))" for a in result.alternatives] or [
        "- None stood out for these answers."]
    if result.next_step:
        out += ["", "## Next step", "", "```bash", result.next_step.command, "```", "",
                *(f"{line}  " for line in install_lines(result.next_step))]
    if outcome.project is not None:
        project = outcome.project
        out += ["", "## Project", "", f"- Scanned `{project['path']}`: {project['files_read']} files read"
                + (f"; the scan {project['stopped']}" if project["stopped"] else "") + "."]
        out += [f"- {note[:1].upper()}{note[1:]}." for note in project["notes"]]
    out += ["", "## Machine", ""]
    out += [f"- {key} (as this machine shows it): {answer_text(value)}" for key, value in outcome.machine.items()]
    out += [f"- {_sentence(PROBE_FACTS.get(fact, fact))}" for fact in outcome.facts]
    if outcome.probe is None:
        out.append("- The hardware probe did not run (`--no-probe`, or it did not finish).")
    else:
        out += _bullets({k: v for k, v in outcome.probe.items() if k != "facts"})
    return "\n".join(out).rstrip() + "\n"


def _sentence(phrase: str) -> str:
    return f"{phrase[:1].upper()}{phrase[1:]}."


def _bullets(data: dict[str, Any], depth: int = 0) -> list[str]:
    """Nested probe data as a Markdown list, leaving out what is empty or unknown."""
    lines = []
    for key, value in data.items():
        if value is None or value == "" or value == [] or value == {}:
            continue
        pad = "  " * depth
        if isinstance(value, dict):
            lines += [f"{pad}- {key}:", *_bullets(value, depth + 1)]
        elif isinstance(value, list):
            lines.append(f"{pad}- {key}: {', '.join(_inline(item) for item in value)}")
        else:
            lines.append(f"{pad}- {key}: {_cell(str(value))}")
    return lines


def _inline(item: object) -> str:
    if not isinstance(item, dict):
        return _cell(str(item))
    first, *rest = [(k, v) for k, v in item.items() if v not in (None, "")] or [("", "")]
    details = ", ".join(f"{k} {v}" for k, v in rest)
    return _cell(f"{first[1]} ({details})" if details else str(first[1]))
