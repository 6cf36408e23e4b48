"""Show an `ask` outcome: one screen that says what to do and what pulled each way, the rest behind --details.

The view is laid out as blocks (fwguide.render.layout), drawn plain in a pipe and with rich on
a terminal. It reads only data: the outcome's factors, causes and labels, never the English of
the engine's reasons. Answers appear in the rulebook's plain words; ids only under --details.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fwguide.answers import Answers, answer_text
from fwguide.engine import Factor, InstallStep, Recommendation, display_name, other, top_category
from fwguide.factors import label
from fwguide.outcome import AskOutcome, alternative_text, shifts
from fwguide.render.layout import BLANK, Block, Heading, Table, text
from fwguide.rulebook.schema import Rulebook

_CONFIDENCE_WORDS = {"strong": "your answers point clearly this way", "moderate": "your answers lean this way",
                     "slight": "a close call"}
# Green, cyan, yellow: how sure, never red (red is for errors).
_CONFIDENCE_STYLE = {"strong": "bold green", "moderate": "bold cyan", "slight": "bold yellow"}
TIER_NOTES = {2: " (adds a choice you did not pick)", 3: " (a fact about the team or project, not a choice)"}
_MOST_FACTORS = 4  # per side on the one screen; --details and --json list them all


def headline(result: Recommendation) -> str:
    return f"{display_name(result.recommendation)}, {result.confidence} confidence"


def score_line(result: Recommendation) -> str:
    return (f"PyTorch {result.scores.pytorch:.1f} points, TensorFlow {result.scores.tensorflow:.1f} "
            f"(relative margin {result.margin:.0%})")


def factor_text(factor: Factor) -> str:
    """"Android app (+2.0)"; "existing TensorFlow code (detected, +1.5)"."""
    where = "detected, " if factor.origin == "detected" else "this machine, " if factor.origin == "probe" else ""
    return f"{factor.label} ({where}+{factor.points:.1f})"


def side_line(result: Recommendation, framework: str, limit: int | None = _MOST_FACTORS) -> str:
    factors = result.sides.get(framework, ())
    if not factors:
        return "none of your answers"
    shown = factors[:limit] if limit else factors
    more = f", and {len(factors) - len(shown)} more (--details)" if len(factors) > len(shown) else ""
    return ", ".join(factor_text(f) for f in shown) + more


def constraint_text(result: Recommendation, rulebook: Rulebook) -> list[str]:
    lines = []
    for hard in result.hard_constraints:
        why = ", ".join(label(rulebook, c.question, c.answer) for c in hard.causes)
        lines.append(f"{hard.because} ({why})" if why else hard.because)
    return lines


def install_lines(step: InstallStep) -> list[str]:
    """Everything worth knowing about the next step, in the order it matters."""
    lines = []
    if step.fallback_from:
        lines.append(f"No {step.fallback_from} build of {display_name(step.framework)} for {step.os} in the install "
                     "table: this is the CPU build.")
    lines += [*step.because, *([step.replaces] if step.replaces else []), *step.warnings, *step.assumed]
    if step.note:
        lines.append(step.note)
    lines.append(f"Source: {step.source}" + (f" (checked against {step.checked})" if step.checked else ""))
    return lines


def _next_step(step: InstallStep) -> list[Block]:
    """What to run, and where: nothing when a suitable build is installed; for the training machine when the
    answers name hardware this machine lacks; the caveat that matters most."""
    if step.installed:
        return [Heading("Next step"), text((step.note, "green"), indent=2)]  # "... is already installed in ..."
    elsewhere = step.where == "training-machine"
    blocks: list[Block] = [Heading("Next step, on the machine you will train on" if elsewhere else "Next step")]
    if step.command:
        blocks.append(text((step.command, "cyan"), indent=2, keep=True))
    if step.fallback_from:
        blocks.append(text(install_lines(step)[0], indent=2))
    caveat = step.situation if elsewhere else next(iter([step.replaces] * bool(step.replaces) + step.warnings
                                                        + step.assumed), "")
    if caveat:
        blocks.append(text((caveat[0].upper() + caveat[1:], "dim"), indent=2))
    return blocks


def _ceiling(project: dict[str, Any] | None) -> str:
    """The version ceiling the project's own code sets (fwguide scan), when it has one."""
    legacy = (project or {}).get("legacy") or {}
    ceilings = legacy.get("ceilings") or []
    if not ceilings:
        return ""
    first = ceilings[0]
    return (f"{display_name(str(first.get('framework', '')))} ≤ {first.get('version', '?')} "
            f"({first.get('because', '')}; fwguide scan lists every use)")


# --- the screen ----------------------------------------------------------------------------

def summary_blocks(outcome: AskOutcome, rulebook: Rulebook, written: list[Path], details: bool = False) -> list[Block]:
    """The recommendation on one screen, in the order a reader acts on it: both sides, then what to do."""
    result, answers = outcome.result, outcome.answers
    winner = result.recommendation
    blocks: list[Block] = [text("Recommendation: ", (display_name(winner), "bold"), ", ",
                                (f"{result.confidence} confidence", _CONFIDENCE_STYLE[result.confidence]),
                                f" ({_CONFIDENCE_WORDS[result.confidence]})")]
    blocks.append(Heading("What pulled each way"))
    for framework in (winner, other(winner)):
        blocks.append(text(side_line(result, framework), lead=(f"{display_name(framework)}: ", "bold"), indent=2))
    if not result.sides.get(winner) and not result.hard_constraints:
        blocks.append(text(("Today's general verdicts tip the balance.", "dim"), indent=2))
    constraints = constraint_text(result, rulebook)
    if constraints:
        blocks.append(Heading("Constraints" if len(constraints) > 1 else "Constraint"))
        blocks += [text(line, indent=2) for line in constraints]
        if len({h.framework for h in result.hard_constraints}) > 1:
            blocks.append(text("These targets need different frameworks: serving all of them may need both.",
                               indent=2))
    if result.split is not None:
        blocks.append(text(" ".join(result.split.summary.split()), lead=("Split route: ", "bold")))
    beyond = next((a for a in result.alternatives if a.screen), None)
    if beyond is not None:
        blocks.append(text(_first_sentence(beyond.summary), lead=(f"Also consider {beyond.name}: ", "bold")))
    ceiling = _ceiling(outcome.project)
    if ceiling:
        blocks.append(text(ceiling, lead=("Version ceiling: ", "bold")))
    change = next((c for c in result.what_would_change if c.actionable), None)
    if change is not None:
        blocks += [Heading("What would change it"), text(change.summary, indent=2)]
    if result.next_step:
        blocks += _next_step(result.next_step)
    if outcome.probe and outcome.probe.get("python"):
        chosen = outcome.probe.get("python_chosen_by")
        blocks.append(text((f"{outcome.probe['python']}" + (f" ({chosen})" if chosen else ""), "dim"),
                           lead=("Probed environment: ", "dim")))
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
    blocks.append(text((" · ".join(more), "dim"), lead=("More: ", "dim")))
    return blocks


def _first_sentence(summary: str) -> str:
    words = " ".join(summary.split())
    end = words.find(". ")
    return words if end == -1 else words[:end + 1]


def origin_notes(answers: Answers, rulebook: Rulebook) -> list[str]:
    """Where the answers nobody gave came from, in plain words with their ids."""
    def shown(qid: str) -> str:
        return f"{label(rulebook, qid, answers.values[qid])} ({qid})"

    notes = [f"Detected in the project: {shown(q)}: {'; '.join(answers.evidence[q])}" for q in answers.detected
             if answers.evidence.get(q)]
    here = [q for q in answers.detected if not answers.evidence.get(q)]
    if here:
        notes.append(f"Detected on this machine: {', '.join(shown(q) for q in here)}")
    if answers.defaulted:
        notes.append(f"Never asked, so the default: {', '.join(shown(q) for q in answers.defaulted)}")
    return notes


def details_blocks(outcome: AskOutcome, rulebook: Rulebook) -> list[Block]:
    """Everything behind the summary: scores, every factor, where answers came from, every category, alternatives."""
    result = outcome.result
    blocks: list[Block] = [text(f"Scores: {score_line(result)}")]
    blocks += [text(note) for note in [*outcome.notes, *origin_notes(outcome.answers, rulebook)]]
    factor_rows = [(f.label, display_name(fw), f"+{f.points:.1f}", f"{f.question} = {answer_text(f.answer)}"
                    + (f" ({f.origin})" if f.origin != "answered" else ""))
                   for fw in (result.recommendation, other(result.recommendation)) for f in result.sides.get(fw, ())]
    if factor_rows:
        blocks += [BLANK, Table("What pulled each way", ("Answer", "Towards", "Points", "Id"), factor_rows,
                                marks={"PyTorch": "bold", "TensorFlow": "bold"})]
    moved, prior = shifts(result)
    blocks.append(BLANK)
    if moved:
        rows = [(r.title, display_name(r.favours), f"+{r.lead:.1f}" + (" hard" if r.hard else ""), r.because)
                for r in moved]
        blocks.append(Table("What moved the score", ("Category", "Favours", "Points", "Because"), rows,
                            marks={"PyTorch": "bold", "TensorFlow": "bold"}))
    else:
        blocks.append(text("What moved the score: none of the answers; only today's general verdicts"))
    if prior:
        for framework in (result.recommendation, other(result.recommendation)):
            mine = [r for r in prior if r.favours == framework]
            if mine:
                blocks.append(text(f"Today's general verdicts: +{sum(r.lead for r in mine):.1f} to "
                                   f"{display_name(framework)} from {len(mine)} categories (fwguide explain --list)"))
    if result.alternatives:
        blocks += [BLANK, Heading("Alternatives")]
        blocks += [text(alternative_text(a), lead="- ", indent=2) for a in result.alternatives]
    if result.split is not None:
        split = result.split
        blocks += [BLANK, Heading("Split route"), text(" ".join(split.summary.split()), indent=2),
                   text(f"PyTorch for: {' '.join(split.pytorch_for.split())}", indent=2),
                   text(f"TensorFlow for: {' '.join(split.tensorflow_for.split())}", indent=2),
                   text((split.source, "blue"), indent=2, keep=True)]
    others = [c for c in result.what_would_change if c is not next(
        (a for a in result.what_would_change if a.actionable), None)]
    if others:
        blocks += [BLANK, Heading("Other single changes")]
        blocks += [text(change.summary + TIER_NOTES.get(change.tier, ""), lead="- ", indent=2) for change in others]
    if result.next_step:
        notes = install_lines(result.next_step)[1 if result.next_step.fallback_from else 0:]
        blocks += [BLANK, Heading("Install"), *(text(line, indent=2) for line in notes)]
    return blocks


def screen_blocks(outcome: AskOutcome, rulebook: Rulebook, written: list[Path], details: bool = False) -> list[Block]:
    head = details_blocks(outcome, rulebook) + [BLANK] if details else []
    return head + summary_blocks(outcome, rulebook, written, details)
