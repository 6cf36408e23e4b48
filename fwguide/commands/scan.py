"""`fwguide scan`: what a project's code already decides.

Every use of a framework API the rulebook's API map knows, what became of it, the version ceilings
the removed ones impose, and an estimate of what staying or moving takes. The walk is the one `ask`
uses for project detection (bounded, nothing imported or run), with larger bounds: a person asked
for this scan and waits for it.
"""

from __future__ import annotations

import os
from pathlib import Path

from fwguide.errors import ExitCode, FwguideError
from fwguide.render.console import detect
from fwguide.render.output import choose, emit
from fwguide.rulebook import load

MAX_FILES = 20_000
MAX_SECONDS = 15.0
CODE_BYTES = 4 << 20  # of each code file: API uses are anywhere in it, not only near the top


def run(folder: Path | None, json_out: bool, markdown: bool, rules: Path | None) -> int:
    terminal = detect()
    fmt = choose(terminal, json_out, markdown)
    root = _project_folder(folder if folder is not None else Path.cwd())
    rulebook = load(rules)
    from fwguide.project import scan
    from fwguide.project.legacy import report

    found = scan(root, MAX_FILES, MAX_SECONDS, apis=rulebook.apis, code_bytes=CODE_BYTES)
    result = report(found.root, found.uses, {entry.id: entry for entry in rulebook.apis}, found.keras_family,
                    found.files_read, found.stopped, found.models, found.notes,
                    complete=bool(found.to_json_dict()["complete"]))
    from fwguide.render.scan import scan_blocks

    emit(fmt, terminal, data=lambda: result,
         blocks=lambda width: scan_blocks(result, unicode=terminal.unicode),
         markdown=lambda: scan_blocks(result, markdown=True))
    return int(ExitCode.OK)


def _project_folder(folder: Path) -> Path:
    """`folder` resolved, once it is known to be a folder this process can list."""
    shown = os.fsdecode(folder)
    if not folder.exists():
        raise FwguideError(f"{shown}: no such folder", hint="give a project folder, e.g. fwguide scan path/to/project")
    if not folder.is_dir():
        raise FwguideError(f"{shown}: a file, not a folder", hint="give the folder that holds the project")
    try:
        with os.scandir(folder):
            pass
    except OSError as exc:
        raise FwguideError(f"{shown}: cannot be read: {exc.strerror or exc}") from None
    return folder.resolve()
