"""`fwguide probe-gpu`: what this machine offers each framework, each probed in its own worker."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from pathlib import Path

from fwguide import frameworks as registry
from fwguide.errors import ExitCode, FwguideError


def run(json_out: bool, pythons: Sequence[Path], frameworks: Sequence[str], timeout: float, bench: bool,
        refresh: bool, markdown: bool = False) -> int:
    if json_out and markdown:
        raise FwguideError("--json and --markdown cannot be combined", hint="pick one output format")
    from fwguide.probe import run_probe
    from fwguide.render.console import detect

    terminal = detect()
    asked = registry.ids_for(frameworks)  # the frameworks whose failure sets the exit code
    live = None
    if terminal.progress:  # progress only for a person watching; rich is not even imported otherwise
        from fwguide.render.probe import ProgressView

        live = ProgressView()
    with live or nullcontext():
        report = run_probe(pythons=[str(p) for p in pythons], frameworks=list(frameworks) or None,
                           timeout=timeout, bench=bench, refresh=refresh, on_progress=live.update if live else None)
    if json_out:
        from fwguide.render.jsonout import print_json

        print_json(report)
    elif markdown:
        import sys

        from fwguide.render.probe_markdown import probe_markdown

        sys.stdout.write(probe_markdown(report))
    else:
        from fwguide.render.probe import show_report

        show_report(report, terminal)
    unusable = [f for env in report.environments for f in env.frameworks if f.framework in asked and not f.usable]
    return int(ExitCode.PROBLEM if unusable else ExitCode.OK)
