"""The typer app: declares commands and flags, maps errors to exit codes.

Command bodies live in fwguide/commands/ and are imported only when their command
runs, so `fwguide --help` stays at the cost of importing typer and rich.
"""

import copy
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from fwguide import __version__, frameworks
from fwguide.errors import ExitCode, FwguideError

app = typer.Typer(
    name="fwguide",
    help="Should this project use PyTorch or TensorFlow? An answer you can trust, the reasons "
    "behind it, and proof that this machine can run it.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Plain help and usage errors: typer's rich help pulls in markdown and syntax
    # highlighting, which would double the start-up time of every command.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
rules_app = typer.Typer(help="Check a rulebook (the built-in one or a team's own), calibrate it against documented "
                        "decisions, and see whether what it was checked against is still current.",
                        short_help="Validate, calibrate or check the freshness of a rulebook.", no_args_is_help=True,
                        rich_markup_mode=None)
app.add_typer(rules_app, name="rules")

RulesOption = Annotated[
    Path | None,
    typer.Option("--rules", metavar="PATH", help="A team rulebook (YAML file or folder) laid over the built-in one."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of the rich view.")]


def _path_option(flag: str, metavar: str, help: str) -> Any:
    """An option that names a file, folder or interpreter (the parameter is None when it is not given)."""
    return typer.Option(flag, metavar=metavar, help=help)


# What --framework accepts: each registered framework by the name it is imported as (torch, tensorflow).
FrameworkName = Enum(  # type: ignore[misc]  # its members come from the registry at run time
    "FrameworkName", [(f.cli_name, f.cli_name) for f in frameworks.known()], type=str)


def _complete_category(incomplete: str) -> list[tuple[str, str]]:
    from fwguide.completion import categories

    return categories(incomplete)


def _complete_answer(incomplete: str) -> list[tuple[str, str]]:
    from fwguide.completion import answers

    return answers(incomplete)


def _show_version(value: bool) -> None:
    if not value:
        return
    from fwguide import rulebook

    try:
        meta = rulebook.load().meta
        typer.echo(f"fwguide {__version__} (rulebook {meta.version}, as of {meta.as_of.isoformat()})")
    except FwguideError:
        typer.echo(f"fwguide {__version__} (built-in rulebook unreadable: run `fwguide rules validate`)")
    raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", "-V", callback=_show_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Should this project use PyTorch or TensorFlow?"""


@app.command(short_help="Answer a few questions; get a recommendation and why.")
def ask(
    answers: Annotated[Path | None, _path_option(
        "--answers", "FILE", "Answers from a YAML or JSON file; - reads them from stdin.")] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", metavar="ID=VALUE", autocompletion=_complete_answer,
                     help="Answer one question (repeatable; lists comma-separated). Wins over --answers."),
    ] = None,
    no_input: Annotated[
        bool, typer.Option("--no-input", help="Never prompt: unanswered questions take their defaults.")
    ] = False,
    no_probe: Annotated[bool, typer.Option("--no-probe", help="Skip the hardware probe.")] = False,
    probe_json: Annotated[Path | None, _path_option(
        "--probe-json", "FILE", "Use a saved `probe-gpu --json` instead of probing.")] = None,
    python: Annotated[Path | None, _path_option(
        "--python", "PATH", "Probe this interpreter's environment (e.g. the project's venv).")] = None,
    timeout: Annotated[
        float | None,
        typer.Option("--timeout", metavar="SECONDS", show_default=False,
                     help="Give up on the hardware probe after this long (default: 120)."),
    ] = None,
    json_out: JsonOption = False,
    report: Annotated[Path | None, _path_option(
        "--report", "FILE.md|-", "Write a Markdown decision record (- for stdout).")] = None,
    save: Annotated[Path | None, _path_option(
        "--save", "FILE", "Save the answers (readable again with --answers).")] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite the --report / --save files if they exist.")
    ] = False,
    rules: RulesOption = None,
    project: Annotated[Path | None, _path_option(
        "--project", "DIR", "Detect existing code and experience from this project folder "
        "(default: the current folder when it looks like a project and no --answers file is given).")] = None,
    details: Annotated[
        bool, typer.Option("--details", help="Also show every category's points and reasons, and the alternatives.")
    ] = False,
    list_: Annotated[
        bool, typer.Option("--list", help="List every question id, its kind, choices and default, and exit.")
    ] = False,
) -> None:
    """Answer a few questions about the project and get a recommendation, with its reasons."""
    from fwguide.commands import ask as command

    if list_:
        raise typer.Exit(command.list_questions(rules=rules, json_out=json_out))
    raise typer.Exit(
        command.run(
            answers_file=answers, sets=set_ or [], no_input=no_input, no_probe=no_probe, probe_json=probe_json,
            json_out=json_out, report=report, save=save, force=force, rules=rules, details=details, project=project,
            python=python, timeout=timeout,
        )
    )


@app.command("probe-gpu", short_help="What this machine offers each framework, with a benchmark.")
def probe_gpu(
    json_out: JsonOption = False,
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print a compact Markdown report to paste into a GitHub issue.")
    ] = False,
    python: Annotated[
        list[Path] | None,
        typer.Option("--python", metavar="PATH", help="Probe this interpreter's environment (repeatable)."),
    ] = None,
    framework: Annotated[
        list[FrameworkName] | None,
        typer.Option("--framework", help="Probe only this framework (repeatable); exit 1 if it is not usable."),
    ] = None,
    timeout: Annotated[
        float, typer.Option("--timeout", metavar="SECONDS", help="Give up on a framework after this long.")
    ] = 120.0,
    no_bench: Annotated[bool, typer.Option("--no-bench", help="Skip the matmul micro-benchmark.")] = False,
    refresh: Annotated[bool, typer.Option("--refresh", help="Ignore cached results and probe again.")] = False,
) -> None:
    """What this machine offers each framework: GPUs, versions, diagnosis, and a short benchmark."""
    from fwguide.commands import probe_gpu as command

    raise typer.Exit(
        command.run(
            json_out=json_out, pythons=python or [], frameworks=[f.value for f in framework or []],
            timeout=timeout, bench=not no_bench, refresh=refresh, markdown=markdown,
        )
    )


@app.command(short_help="One category: the 2017 call, today's, evidence and code.")
def explain(
    category: Annotated[
        str | None, typer.Argument(help="A category id, title or alias (case does not matter).", show_default=False,
                                   autocompletion=_complete_category)
    ] = None,
    list_: Annotated[bool, typer.Option("--list", help="List every category.")] = False,
    json_out: JsonOption = False,
    check: Annotated[bool, typer.Option(
        "--check", help="Also run the live checks against the installed frameworks (a few seconds).")] = False,
    python: Annotated[Path | None, _path_option(
        "--python", "PATH", "Run the --check checks with this interpreter's frameworks.")] = None,
    rules: RulesOption = None,
) -> None:
    """Explain one comparison category: the 2017 verdict, today's verdict, evidence and code."""
    from fwguide.commands import explain as command

    raise typer.Exit(command.run(category=category, list_all=list_, json_out=json_out, check=check, rules=rules,
                                 python=python))


@app.command(short_help="Merge probe-gpu reports from many machines.")
def fleet(
    reports: Annotated[
        list[str],
        typer.Argument(metavar="REPORT...", show_default=False,
                       help="probe-gpu --json reports: files (one report or several back to back), folders of "
                            "them, or - to read them from stdin."),
    ],
    json_out: JsonOption = False,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print the table and findings as Markdown.")] = False,
) -> None:
    """Merge probe-gpu reports from many machines: one row per host, and what needs attention.

    Findings: hosts whose framework cannot use their GPUs (with the fix), versions that differ
    across hosts, missing frameworks, stale reports. Exit 1 when any finding is a problem.
    """
    from fwguide.commands import fleet as command

    raise typer.Exit(command.run(reports=reports, json_out=json_out, markdown=markdown))


@app.command(short_help="What the project's framework code already decides.")
def scan(
    folder: Annotated[
        Path | None, typer.Argument(metavar="[DIR]", show_default=False,
                                    help="The project folder (default: the current folder).")
    ] = None,
    json_out: JsonOption = False,
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print the report as Markdown for a pull request.")
    ] = False,
    rules: RulesOption = None,
) -> None:
    """What the project's code already decides: framework APIs it uses, what became of them, what staying or
    moving takes.

    Every use of an API the rulebook's API map knows (deprecated, removed or current), the version
    ceilings removed APIs impose, and an estimate in counts (not hours) of modernising in place or
    porting to the other framework. Nothing in the project is imported or run. Exit 0 when the scan
    ran, whatever it found.
    """
    from fwguide.commands import scan as command

    raise typer.Exit(command.run(folder=folder, json_out=json_out, markdown=markdown, rules=rules))


@rules_app.command("validate", short_help="Lint a rulebook: FILE:LINE: field: what was expected.")
def rules_validate(
    path: Annotated[
        Path | None,
        typer.Argument(help="A rulebook file or folder; the built-in rulebook if omitted.", show_default=False),
    ] = None,
    json_out: JsonOption = False,
) -> None:
    """Lint a rulebook: each problem as FILE:LINE: field: what was expected."""
    from fwguide.commands import rules as command

    raise typer.Exit(command.validate(path=path, json_out=json_out))


@rules_app.command("calibrate", short_help="Score documented decisions: agreement and misses.")
def rules_calibrate(
    cases: Annotated[Path, typer.Argument(metavar="CASES.yaml", show_default=False,
                                          help="A library of documented decisions (YAML or JSON).")],
    rules: RulesOption = None,
    json_out: JsonOption = False,
    min_ratio: Annotated[
        float, typer.Option("--min", metavar="RATIO", help="Fail (exit 1) below this agreement, 0 to 1.")
    ] = 0.9,
) -> None:
    """Run documented decisions through the engine: agreement, every miss, strong misses, confidence spread.

    Each case is scored as `ask --answers … --no-input --no-probe` scores it. Exit 1 when
    agreement is below --min or any miss came at strong confidence.
    """
    from fwguide.commands import rules as command

    raise typer.Exit(command.calibrate(cases_file=cases, rules=rules, json_out=json_out, min_ratio=min_ratio))


@rules_app.command("freshness", short_help="Compare what the rulebook was checked against with the index.")
def rules_freshness(
    rules: RulesOption = None,
    python: Annotated[Path | None, _path_option(
        "--python", "PATH", "Ask the index with this interpreter's pip.")] = None,
    json_out: JsonOption = False,
) -> None:
    """Compare the releases the rulebook was checked against with the newest on the package index (uses the network).

    Exit 0 when all are current, 1 when a package has a newer release or a verdict is older
    than 12 months, 2 when the index cannot be reached.
    """
    from fwguide.commands import rules as command

    raise typer.Exit(command.freshness(rules=rules, python=python, json_out=json_out))


try:  # typer 0.28 carries its own copy of click; earlier releases use click itself
    from typer._click.exceptions import ClickException as _ClickException
except ImportError:  # pragma: no cover - depends on the typer release installed
    from click import ClickException as _ClickException  # type: ignore[import-not-found, no-redef]  # typer < 0.28


def _app_for(argv: list[str]) -> typer.Typer:
    """The app with only the command about to run declared: typer builds every declared command's options at each start.

    A shallow copy, so the module's app keeps every command and main() can run again in the same process.
    """
    name = argv[0] if argv else ""
    commands = [c for c in app.registered_commands
                if (c.name or getattr(c.callback, "__name__", "").replace("_", "-")) == name]
    groups = [g for g in app.registered_groups if g.name == name]
    if not commands and not groups:  # an option, or a typo that deserves a suggestion among all commands
        return app
    only = copy.copy(app)
    only.registered_commands, only.registered_groups = commands, groups
    return only


def main(argv: list[str] | None = None) -> int:
    """Run one fwguide command and return its exit code; errors for users never show a traceback.

    Re-entrant: tests call it in-process (`main(["explain", "--list"])`), the console script with sys.argv.
    """
    from fwguide.lifecycle import finish_output, output_failed, prepare

    prepare()
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        try:
            code = _app_for(args)(args=args, prog_name="fwguide", standalone_mode=False)
        except typer.Abort:  # EOF at a prompt
            code = int(ExitCode.INTERRUPTED)
        except _ClickException as exc:  # usage errors: the parser's own message, exit 2
            exc.show()
            code = exc.exit_code
    except FwguideError as exc:
        from fwguide.render.errors import show_error

        show_error(exc)
        code = int(exc.exit_code)
    except KeyboardInterrupt:
        code = int(ExitCode.INTERRUPTED)
    except OSError as exc:
        if not _is_stdout_failure(exc):
            raise
        return output_failed(exc)
    return finish_output(code if isinstance(code, int) else 0)


def _is_stdout_failure(exc: OSError) -> bool:
    """Whether `exc` is stdout refusing a write (closed pipe, full disk, file-size limit), not a bug elsewhere."""
    import errno

    if isinstance(exc, BrokenPipeError):
        return True
    return exc.errno in (errno.EFBIG, errno.ENOSPC, errno.EIO, errno.EDQUOT) and exc.filename is None
