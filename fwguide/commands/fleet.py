"""`fwguide fleet REPORT...`: read `probe-gpu --json` reports from many machines, merge them, show the findings.

A REPORT is a file (one report, or several one after another, as an ssh loop or `srun`
writes them), a folder of such files, or `-` for the same on stdin. A document that is not
JSON or not a report is named and skipped; a path that cannot be read stops the command.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from fwguide.errors import ExitCode, FwguideError
from fwguide.fleet import HostReport, NotAReport, host_report, merge

SUFFIXES = (".json", ".jsonl", ".ndjson")
_DECODER = json.JSONDecoder()


def run(reports: Sequence[str], json_out: bool, markdown: bool) -> int:
    from fwguide.render.console import detect
    from fwguide.render.output import choose, emit

    terminal = detect()
    fmt = choose(terminal, json_out, markdown)
    if not reports:
        raise FwguideError("no reports given", hint="e.g. fwguide fleet reports/ (a folder of probe-gpu --json files)")
    hosts: list[HostReport] = []
    skipped: list[tuple[str, str]] = []
    for label, text in _sources(reports):
        if not text.strip():  # what a host that failed to answer leaves behind
            skipped.append((label, "empty: no report in it"))
        for where, doc in _documents(label, text):
            if isinstance(doc, Exception):
                skipped.append((where, str(doc)))
                continue
            try:
                hosts.append(host_report(doc, where, _fallback_host(label, where)))
            except NotAReport as exc:
                skipped.append((where, str(exc)))
    for where, why in skipped:
        sys.stderr.write(f"fwguide fleet: skipped {where}: {why}\n")
    if not hosts:
        raise FwguideError(f"no readable probe-gpu report among {', '.join(reports)}",
                           hint="collect them with: fwguide probe-gpu --json --no-bench > $(hostname).json")
    fleet = merge(hosts, skipped)
    from fwguide.render.fleet import blocks, markdown_blocks

    emit(fmt, terminal, data=fleet.to_json_dict, blocks=lambda width: blocks(fleet),
         markdown=lambda: markdown_blocks(fleet))
    return int(ExitCode.PROBLEM if fleet.has_problem else ExitCode.OK)


def _sources(reports: Sequence[str]) -> Iterator[tuple[str, str]]:
    """(label, text) for each file named, each report file in a folder named, and stdin for `-`."""
    for name in reports:
        if name == "-":
            if sys.stdin.isatty():
                raise FwguideError("fleet - reads reports from stdin, but stdin is a terminal",
                                   hint="pipe them in, e.g. cat reports/*.json | fwguide fleet -")
            yield "<stdin>", sys.stdin.read()
            continue
        path = Path(name)
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.suffix in SUFFIXES and p.is_file())
            if not files:
                raise FwguideError(f"{path}: no {'/'.join(SUFFIXES)} files in this folder",
                                   hint="save each host's report as HOST.json, e.g. fwguide probe-gpu --json "
                                        "> reports/$(hostname).json")
            for file in files:
                yield str(file), _read(file)
        else:
            yield str(path), _read(path)


def _read(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8", errors="replace")
    except FileNotFoundError:
        raise FwguideError(f"{path}: no such file", hint="give probe-gpu --json files, folders of them, or -") from None
    except OSError as exc:
        raise FwguideError(f"{path}: cannot read it ({exc.strerror or exc})") from None


def _documents(label: str, text: str) -> Iterator[tuple[str, Any]]:
    """Each JSON document in `text` (one, JSON lines, or pretty ones back to back) with where it starts.

    A broken document yields its error, and reading resumes at the next line that opens a document.
    """
    starts: list[tuple[int, Any]] = []
    position, length = 0, len(text)
    while True:
        while position < length and text[position] in " \t\r\n":
            position += 1
        if position >= length:
            break
        try:
            doc, end = _DECODER.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            starts.append((position, ValueError(f"not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})")))
            resume = text.find("\n{", position + 1)
            if resume == -1:
                break
            position = resume + 1
            continue
        starts.append((position, doc))
        position = end
    several = len(starts) > 1 or label == "<stdin>"
    for start, doc in starts:
        yield (f"{label}:{text.count(chr(10), 0, start) + 1}" if several else label), doc


def _fallback_host(label: str, where: str) -> str:
    """What to call a report that names no host: its file's name, or where it sat on stdin."""
    return where if label == "<stdin>" else Path(label).stem + ("" if where == label else where[len(label):])
