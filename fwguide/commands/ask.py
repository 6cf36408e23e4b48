"""`fwguide ask`: gather the answers, score them, show and record the recommendation."""

from __future__ import annotations

import datetime
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from fwguide.answers import Answers, dump_answers, missing, parse_sets, read_answers_file, with_defaults
from fwguide.engine import AnswerValue, InstallStep, recommend
from fwguide.errors import ExitCode, FwguideError
from fwguide.files import STDOUT, check_output, same_file, write_output
from fwguide.outcome import AskOutcome
from fwguide.rulebook import Rulebook, load
from fwguide.rulebook.schema import Framework
from fwguide.safetext import one_line

if TYPE_CHECKING:  # the probe package is imported only when a probe is wanted
    from fwguide.probe import ProbeHandle, ProbeReport
    from fwguide.project import ProjectScan
    from fwguide.render.console import Terminal
    from fwguide.render.layout import Block


PROBE_TIMEOUT = 120.0  # seconds, as probe-gpu's --timeout
_QUIET_WAIT = 1.0  # a probe that ends within this after the last answer needs no "still probing" line


class _Machine:
    """What this machine shows: the platform at once, the probe's findings once it has finished."""

    def __init__(self, no_probe: bool, probe_json: Path | None, python: Path | None = None,
                 timeout: float | None = None):
        self.report: ProbeReport | None = None
        self.handle: ProbeHandle | None = None
        self.wanted = not no_probe and probe_json is None
        self.python = python
        self.timeout = PROBE_TIMEOUT if timeout is None else timeout
        if not 0 < self.timeout < float("inf"):
            raise FwguideError(f"--timeout must be more than 0 seconds, not {self.timeout:g}",
                               hint="e.g. --timeout 30")
        if python is not None:
            if not self.wanted:
                raise FwguideError("--python needs the probe", hint="leave out --no-probe / --probe-json, or --python")
            from fwguide.probe.interpreter import resolve

            # a bad --python is bad input (exit 2), not a probe that quietly gave nothing
            resolve(python, timeout=self.timeout)
        if probe_json is not None:
            from fwguide.probe import load_probe_json

            self.report = load_probe_json(probe_json)

    def start(self) -> None:
        """Start the probe in the background (once), so nobody waits for it later."""
        if self.wanted and self.handle is None:
            from fwguide.probe import start_probe

            self.handle = start_probe(python=str(self.python) if self.python is not None else None,
                                      timeout=self.timeout)

    def answers(self) -> Mapping[str, AnswerValue]:
        """os / hardware as this machine shows them, from the probe if it is already done."""
        from fwguide.probe import machine_answers

        if self.report is None and self.handle is not None and self.handle.done():
            self.report = self.handle.result(timeout=0)
        return machine_answers(self.report)

    def finish(self) -> ProbeReport | None:
        """The probe's report, waiting only as long as the probe itself takes."""
        if self.report is None and self.handle is not None:
            self.report = self.handle.result(timeout=_QUIET_WAIT)
            if self.report is None and not self.handle.done():
                sys.stderr.write(f"still probing the hardware… (it gives up after {self.timeout:g} s; "
                                 "--no-probe skips it)\n")
                sys.stderr.flush()
                self.report = self.handle.result(timeout=None)
            if self.report is None:
                from fwguide.safetext import printable

                sys.stderr.write(f"note: the hardware probe gave no result ({printable(str(self.handle.error))}); "
                                 "going on without it\n")
        return self.report

    def stop(self) -> None:
        if self.handle is not None and not self.handle.done():
            self.handle.cancel()


def run(answers_file: Path | None, sets: list[str], no_input: bool, no_probe: bool, probe_json: Path | None,
        json_out: bool, report: Path | None, save: Path | None, force: bool, rules: Path | None,
        details: bool = False, project: Path | None = None, python: Path | None = None,
        timeout: float | None = None) -> int:
    from fwguide.render.console import detect

    terminal = detect()
    rulebook = load(rules)
    to_stdout = _check_outputs(report, save, force, json_out,
                               {"--answers": answers_file, "--probe-json": probe_json, "--rules": rules})
    given = read_answers_file(answers_file, rulebook) if answers_file is not None else {}
    given.update(parse_sets(sets, rulebook))
    notes: list[str] = []
    scan = _scan_project(project, given, answers_file, notes, rulebook)
    found = {q: v for q, v in scan.answers.items() if q not in given} if scan else {}
    machine = _Machine(no_probe, probe_json, python, timeout)
    try:
        answers = _gather(rulebook, given, machine, no_input, terminal, found, scan.evidence if scan else {})
        probe_report = machine.finish()
    finally:
        machine.stop()
    if scan is not None:
        answers = msgspec.structs.replace(
            answers, evidence={q: scan.evidence.get(q, []) for q in answers.detected if q in found})
    # Only the decision record shows the machine; skipping it keeps `ask --json` at start-up speed.
    outcome = _outcome(rulebook, answers, probe_report, machine.answers() if report is not None else {}, scan,
                       tuple(notes))
    if save is not None:
        write_output(save, dump_answers(outcome.answers.values, rulebook, save), force, "--save")
    if report is not None:
        from fwguide.render.report import decision_record

        write_output(report, decision_record(outcome, rulebook).encode("utf-8", "backslashreplace"), force, "--report")
    if to_stdout:  # the record (or the answers) is this run's output
        return int(ExitCode.OK)
    from fwguide.outcome import to_json_dict
    from fwguide.render.output import choose, emit

    written = [p for p in (save, report) if p is not None]
    emit(choose(terminal, json_out), terminal, data=lambda: to_json_dict(outcome),
         blocks=lambda width: _screen(outcome, rulebook, written, details))
    return int(ExitCode.OK)


def _screen(outcome: AskOutcome, rulebook: Rulebook, written: list[Path], details: bool) -> list[Block]:
    from fwguide.render.ask import screen_blocks  # only a drawn screen needs the view (not --json)

    return screen_blocks(outcome, rulebook, written, details)


def list_questions(rules: Path | None, json_out: bool) -> int:
    """Every question id with its kind, choices and default: what --answers and --set accept."""
    from fwguide.answers import answer_text

    rulebook = load(rules)
    if json_out:
        from fwguide.render.jsonout import print_json
        from fwguide.render.output import versioned

        print_json(versioned({"questions": [
            {"id": q.id, "kind": q.kind, "prompt": q.prompt, "default": q.default,
             "choices": [{"id": c.id, "label": c.label} for c in q.choices],
             "renamed": {old: new.to for old, new in q.renamed.items()}}
            for q in rulebook.questions]}))
        return int(ExitCode.OK)
    kinds = {"one": "one choice", "many": "one or more choices, comma-separated", "yesno": "yes or no"}
    lines = []
    for question in rulebook.questions:
        lines += [f"{question.id} ({kinds[question.kind]}; default: {answer_text(question.default)})",
                  f"  {question.prompt}"]
        lines += [f"  - {c.id}: {c.label}" for c in question.choices]
        lines += [f"  (old id {old} is read as {new.to})" for old, new in question.renamed.items()]
        lines.append("")
    lines.append("Answer with --set ID=VALUE or an --answers file; for example: "
                 "fwguide ask --set scale=startup --set deploy=python-server,mobile-android --no-input")
    sys.stdout.write("\n".join(lines) + "\n")
    return int(ExitCode.OK)


def _scan_project(folder: Path | None, given: Mapping[str, AnswerValue], answers_file: Path | None,
                  notes: list[str], rulebook: Rulebook) -> ProjectScan | None:
    """The scan of --project (or of the current folder when it looks like a project): answers it suggests, and
    what its code already decides (project.legacy), which counts even where the answers are given.

    An answers file describes its own project, which need not be the current folder: with one,
    only an explicit --project is scanned. fwguide's own source checkout is never read as the
    user's project (its probe workers and extras would count as framework code).
    """
    if folder is not None and not folder.is_dir():
        what = "a file, not a folder" if folder.exists() else "no such folder"
        raise FwguideError(f"--project {folder}: {what}", hint="give the project's folder, e.g. --project .")
    if folder is None and answers_file is not None:
        return None
    from fwguide import project

    if folder is None:
        try:
            folder = Path.cwd()
        except OSError:  # the current folder was deleted
            return None
        if not project.looks_like_project(folder):
            return None
    own = _own_checkout(folder)
    if own is not None:
        notes.append(f"{one_line(str(folder))} is inside fwguide's own source checkout ({own}): it is not read as "
                     "your project; give yours with --project DIR")
        sys.stderr.write(f"note: {notes[-1]}\n")
        return None
    scan = project.scan_cached(folder.resolve(), apis=rulebook.apis)  # a team's --rules may add map entries
    if scan.stopped and "existing_code" not in scan.answers and "existing_code" not in given:
        sys.stderr.write(f"note: the project scan of {scan.root} {scan.stopped}; it found no framework code\n")
    return scan


def _own_checkout(folder: Path) -> Path | None:
    """fwguide's own source checkout when `folder` is it or lies inside it, else None."""
    import fwguide

    source = Path(fwguide.__file__).resolve().parent.parent
    if not (source / "pyproject.toml").is_file() or not (source / "fwguide" / "cli.py").is_file():
        return None  # an installed wheel: no checkout to mistake for a project
    try:
        here = folder.resolve()
    except (OSError, RuntimeError):
        return None
    return source if here == source or source in here.parents else None


def _gather(rulebook: Rulebook, given: dict[str, AnswerValue], machine: _Machine, no_input: bool,
            terminal: Terminal, found: Mapping[str, AnswerValue], evidence: Mapping[str, list[str]]) -> Answers:
    if terminal.interactive and not no_input:
        from fwguide.factors import label
        from fwguide.render import questionnaire
        from fwguide.render.layout import show, text

        # Pre-filled below, where the person confirms or changes each; the evidence is said once, here.
        show([text(f"{label(rulebook, qid, value)}" + (f" ({'; '.join(evidence[qid])})" if evidence.get(qid) else ""),
                   lead="Detected in the project: ", indent=0) for qid, value in found.items()], terminal)
        machine.start()  # as the first question appears: the probe runs while the user answers
        return questionnaire.ask(rulebook, given, lambda: {**machine.answers(), **found}, terminal)
    unanswered = missing(rulebook, given)
    if unanswered and not no_input:
        piped = not terminal.typing
        raise FwguideError(
            f"{len(unanswered)} question(s) unanswered ({', '.join(unanswered)}) and "
            f"{'stdin is not a terminal' if piped else 'stdout is not a terminal'}, so fwguide will not prompt",
            hint="answer them with --answers FILE (or --answers - to read YAML/JSON from stdin) and --set ID=VALUE, "
                 "or pass --no-input to take the defaults",
        )
    machine.start()
    machine.finish()  # the scores need its facts anyway, so detected answers may as well use it
    # The machine is asked only for a question it can answer (os, hardware) that nobody answered.
    detectable = any(q.detect for q in rulebook.questions if q.id in unanswered)
    return with_defaults(rulebook, given, {**(machine.answers() if detectable else {}), **found})


def _outcome(rulebook: Rulebook, answers: Answers, probe_report: ProbeReport | None,
             machine: Mapping[str, AnswerValue], scan: ProjectScan | None = None,
             notes: tuple[str, ...] = ()) -> AskOutcome:
    facts: frozenset[str] = frozenset()
    summary = None
    if probe_report is not None:
        from fwguide.probe import probe_facts, probe_summary

        facts, summary = probe_facts(probe_report), probe_summary(probe_report)
    found: dict[str, str] = {}
    if scan is not None:
        from fwguide.project.legacy import project_facts

        found = project_facts(scan.legacy)
    facts |= frozenset(found)
    result = recommend(answers.values, rulebook, facts, answers.origins, fact_words=found)
    if probe_report is not None and result.next_step is not None:
        result = msgspec.structs.replace(
            result, next_step=_probed_step(rulebook, result.recommendation, result.next_step, probe_report,
                                           answers.values))
    return AskOutcome(
        answers=answers, result=result, rulebook_version=rulebook.meta.version,
        rulebook_as_of=rulebook.meta.as_of, probe=summary, machine=dict(machine), facts=tuple(sorted(facts)),
        recorded=datetime.date.today(), project=scan.to_json_dict() if scan else None, notes=notes,
    )


def _probed_step(rulebook: Rulebook, framework: Framework, step: InstallStep, probe_report: ProbeReport,
                 answers: Mapping[str, AnswerValue]) -> InstallStep:
    """The next step fitted to this machine and the probed environment (fwguide.install.step): already installed,
    for the training machine when the answers name hardware the probe did not find, or the command for here."""
    from fwguide.engine import install_step
    from fwguide.probe.install_here import environment_facts, machine_facts

    env = probe_report.primary
    if env is None:
        return step
    machine = machine_facts(probe_report.machine, env.frameworks)
    return install_step(rulebook, framework, answers, machine, environment_facts(env, framework)) or step


def _check_outputs(report: Path | None, save: Path | None, force: bool, json_out: bool,
                   inputs: Mapping[str, Path | None]) -> bool:
    """Refuse outputs that would overwrite a file, an input of this run or each other, or share stdout, before any
    question; True if one is stdout."""
    outputs = [(flag, target) for flag, target in (("--report", report), ("--save", save)) if target is not None]
    files = [(flag, target) for flag, target in outputs if str(target) != STDOUT]
    read = [(flag, path) for flag, path in inputs.items()
            if path is not None and str(path) != STDOUT and path.is_file()]
    for index, (flag, target) in enumerate(files):
        for other, path in read + files[:index]:
            if same_file(target, path):
                raise FwguideError(f"{flag} {one_line(str(target))} is also the {other} file of this run: it would "
                                   "be overwritten", hint=f"give {flag} another file name")
    for flag, target in outputs:
        check_output(target, force, flag)
    on_stdout = [flag for flag, target in outputs if str(target) == STDOUT] + (["--json"] if json_out else [])
    if len(on_stdout) > 1:
        raise FwguideError(f"{' and '.join(on_stdout)} would all write to stdout", hint="send all but one to a file")
    return bool(on_stdout) and not json_out
