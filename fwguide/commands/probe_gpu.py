"""`fwguide probe-gpu`: what this machine offers each framework, each probed in its own worker."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from pathlib import Path

from fwguide import frameworks as registry
from fwguide.errors import ExitCode


def run(json_out: bool, pythons: Sequence[Path], frameworks: Sequence[str], timeout: float, bench: bool,
        refresh: bool, markdown: bool = False) -> int:
    from fwguide.probe import run_probe
    from fwguide.render.console import detect
    from fwguide.render.output import choose, emit

    terminal = detect()
    fmt = choose(terminal, json_out, markdown)
    asked = registry.ids_for(frameworks)  # the frameworks whose failure sets the exit code
    live = None
    if terminal.progress:  # progress only for a person watching; rich is not even imported otherwise
        from fwguide.render.probe import ProgressView

        live = ProgressView()
    with live or nullcontext():
        report = run_probe(pythons=[str(p) for p in pythons], frameworks=list(frameworks) or None,
                           timeout=timeout, bench=bench, refresh=refresh, on_progress=live.update if live else None)
    from fwguide.render.probe import sections
    from fwguide.render.probe_markdown import markdown_blocks

    emit(fmt, terminal, data=lambda: report, blocks=lambda width: sections(report),
         markdown=lambda: markdown_blocks(report))
    unusable = [f for env in report.environments for f in env.frameworks if f.framework in asked and not f.usable]
    return int(ExitCode.PROBLEM if unusable else ExitCode.OK)
