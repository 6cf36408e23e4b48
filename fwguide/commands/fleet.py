"""`fwguide fleet REPORT...`: read `probe-gpu --json` reports from many machines, merge them, show the findings.

A REPORT is a file (one report, or several one after another, as an ssh loop or `srun`
writes them), a folder of such files, or `-` for the same on stdin. A document that is not
JSON or not a report, and a file or folder that cannot be read, is named and skipped.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from fwguide.errors import ExitCode, FwguideError
from fwguide.files import decode_text
from fwguide.fleet import HostReport, NotAReport, host_report, merge
from fwguide.safetext import one_line, shown

SUFFIXES = (".json", ".jsonl", ".ndjson")
_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\r\n]*")


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
        if isinstance(text, Skip):
            skipped.append((label, text.why))
            continue
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
            except (TypeError, ValueError, AttributeError, KeyError, RecursionError) as exc:  # a shape not foreseen
                skipped.append((where, f"not a report fwguide could have written ({type(exc).__name__})"))
    for where, why in skipped:
        sys.stderr.write(f"fwguide fleet: skipped {where}: {why}\n")
    if not hosts:
        raise FwguideError(f"no readable probe-gpu report among {', '.join(shown(r) for r in reports[:5])}"
                           f"{' …' if len(reports) > 5 else ''}",
                           hint="collect them with: fwguide probe-gpu --json --no-bench > $(hostname).json")
    fleet = merge(hosts, skipped)
    from fwguide.render.fleet import blocks, markdown_blocks

    emit(fmt, terminal, data=fleet.to_json_dict, blocks=lambda width: blocks(fleet),
         markdown=lambda: markdown_blocks(fleet))
    return int(ExitCode.PROBLEM if fleet.has_problem else ExitCode.OK)


class Skip:
    """A source that could not be read, and why: named and skipped like a broken report."""

    def __init__(self, why: str):
        self.why = why


def _sources(reports: Sequence[str]) -> Iterator[tuple[str, str | Skip]]:
    """(label, text) for each file named, each report file in a folder named, and stdin for `-`.

    A file or folder that cannot be read comes as a Skip: the other reports still merge.
    """
    for name in reports:
        if name == "-":
            if sys.stdin.isatty():
                raise FwguideError("fleet - reads reports from stdin, but stdin is a terminal",
                                   hint="pipe them in, e.g. cat reports/*.json | fwguide fleet -")
            yield "<stdin>", decode_text(sys.stdin.buffer.read(), "<stdin>", errors="replace")
            continue
        path = Path(name)
        label = one_line(name)
        if not path.is_dir():
            yield label, _read(path)
            continue
        try:
            files = sorted(p for p in path.iterdir() if p.suffix in SUFFIXES and p.is_file())
        except OSError as exc:
            yield label, Skip(f"cannot read this folder ({exc.strerror or exc})")
            continue
        if not files:
            yield label, Skip(f"no {'/'.join(SUFFIXES)} files in this folder (save each host's report as "
                              "HOST.json, e.g. fwguide probe-gpu --json > reports/$(hostname).json)")
        for file in files:
            yield one_line(str(file)), _read(file)


def _read(path: Path) -> str | Skip:
    try:
        return decode_text(path.read_bytes(), str(path), errors="replace")
    except FileNotFoundError:
        return Skip("no such file")
    except OSError as exc:
        return Skip(f"cannot read it ({exc.strerror or exc})")


def _documents(label: str, text: str) -> Iterator[tuple[str, Any]]:
    """Each JSON document in `text` (one, JSON lines, or pretty ones back to back) with where it starts.

    A broken document yields its error, and reading resumes at the next line that opens a document.
    """
    starts: list[tuple[int, Any]] = []
    position, length = 0, len(text)
    while True:
        spaces = _SPACE.match(text, position)  # always matches: it may match nothing
        position = spaces.end() if spaces else position
        if position >= length:
            break
        try:
            doc, end = _DECODER.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            doc, end = ValueError(f"not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"), -1
        except ValueError as exc:  # a number of more digits than Python converts
            doc, end = ValueError(f"not JSON that can be read ({str(exc).split(';')[0]})"), -1
        except RecursionError:
            doc, end = ValueError("not JSON that can be read (nested too deeply)"), -1
        starts.append((position, doc))
        if end == -1:
            resume = text.find("\n{", position + 1)
            if resume == -1:
                break
            end = resume + 1
        position = end
    several = len(starts) > 1 or label == "<stdin>"
    line, counted = 1, 0
    for start, doc in starts:  # line numbers counted once through the text, not from its start for each document
        line += text.count("\n", counted, start)
        counted = start
        yield (f"{label}:{line}" if several else label), doc


def _fallback_host(label: str, where: str) -> str:
    """What to call a report that names no host: its file's name, or where it sat on stdin."""
    return where if label == "<stdin>" else Path(label).stem + ("" if where == label else where[len(label):])
