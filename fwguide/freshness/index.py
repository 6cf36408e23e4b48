"""Asking the package index through an interpreter's own pip: `pip index versions NAME` (pip 21.2 or newer).

The user's pip configuration (pip.conf, PIP_INDEX_URL, PIP_EXTRA_INDEX_URL, PIP_FIND_LINKS,
PIP_NO_INDEX, proxies, certificates) decides where it looks: the environment is passed through.
Each query is a child process in fwguide's neutral folder, with a time limit.
"""

from __future__ import annotations

import os
import re

import msgspec

QUERY_TIMEOUT = 60.0  # seconds for one `pip index versions`: pip itself retries a dead index for longer
# Wheels of some cited packages exist for one platform only (tensorflow-metal: macOS); when the interpreter's own
# platform has none, the index is asked again as for these.
OTHER_PLATFORMS = ("macosx_14_0_arm64", "macosx_14_0_x86_64", "win_amd64", "manylinux2014_x86_64",
                   "manylinux_2_28_x86_64", "manylinux2014_aarch64", "manylinux_2_28_aarch64")


class Answer(msgspec.Struct, frozen=True):
    """What one `pip index versions NAME` said."""

    status: str  # found, missing (the index has no release of it here), unreachable, no-pip, old-pip
    latest: str | None = None
    reason: str = ""
    locations: tuple[str, ...] = ()  # where pip looked (index URLs, find-links), with the package's part cut off
    other_platform: bool = False  # found only among another platform's wheels


_HEADER = re.compile(r"^(\S+) \(([^()\s]+)\)\s*$", re.MULTILINE)
_FETCH_FAILED = re.compile(r"Could not fetch URL (\S+): (.*?)(?: - skipping)?$", re.MULTILINE)
_LOCATION = re.compile(r"^\* (\S+)\s*$", re.MULTILINE)
_LOCAL = re.compile(r"^Local files found: (.+)$", re.MULTILINE)
_NOT_THERE = re.compile(r"^(404|410)\b")  # the index answered: it has no such project


def _canonical(name: str) -> str:
    """A distribution's name as indexes compare it (PEP 503): tf_keras, TF.Keras -> tf-keras."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _locations(text: str, package: str) -> tuple[str, ...]:
    """Where pip looked, from its -vv lines: index URLs without the '/NAME/' page of `package`, then the folders
    of the find-links files it found."""
    canonical = _canonical(package)
    found = []
    for url in _LOCATION.findall(text):
        url = re.sub(r"//[^/@\s]*@", "//", url)  # credentials, should pip show any
        found.append(url[: -len(canonical) - 1] if url.lower().endswith(f"/{canonical}/") else url)
    for files in _LOCAL.findall(text):
        found += [os.path.dirname(path) for path in files.split(", ")]
    return tuple(dict.fromkeys(found))


def _short_reason(url: str, reason: str) -> str:
    """'http://host/simple/torch/: [Errno 111] Connection refused' out of urllib3's nested exception text."""
    errno = re.search(r"\[Errno -?\d+\][^'\")]*", reason)
    if errno:
        reason = errno.group().strip()
    elif "timed out" in reason.lower():
        reason = "timed out"
    return f"{url}: {reason[:200]}"


def read_answer(package: str, code: int | None, stdout: str, stderr: str, why_stopped: str = "") -> Answer:
    """Classify what `pip index versions PACKAGE -vv` printed (its log lines go to both streams)."""
    both = stdout + "\n" + stderr
    if code is None:
        return Answer("unreachable", reason=why_stopped or "it was stopped")
    if "No module named pip" in both:
        return Answer("no-pip", reason="No module named pip")
    if 'unknown command "index"' in both:
        return Answer("old-pip", reason="its pip has no `pip index versions` (pip 21.2 or newer has)")
    locations = _locations(stdout, package)
    header = next((m for m in _HEADER.finditer(stdout) if _canonical(m.group(1)) == _canonical(package)), None)
    if code == 0 and header:
        return Answer("found", latest=header.group(2), locations=locations)
    failures = [(url, reason.strip()) for url, reason in _FETCH_FAILED.findall(both)
                if not _NOT_THERE.match(reason.strip())]
    if failures:
        return Answer("unreachable", reason=_short_reason(*failures[0]), locations=locations)
    if "No matching distribution found" in both:
        return Answer("missing", locations=locations)
    last = [line for line in stderr.splitlines() if line.strip() and "experimental command" not in line]
    reason = last[-1] if last else f"pip exited with code {code}"
    return Answer("unreachable", reason=reason[:300], locations=locations)


def ask_index(python: str, package: str, timeout: float = QUERY_TIMEOUT) -> Answer:
    """The newest release of `package` that `python`'s pip finds; asked as for other platforms when its own has none."""
    answer = _ask(python, package, [], timeout)
    if answer.status != "missing":
        return answer
    widened = ["--only-binary=:all:", *(f"--platform={p}" for p in OTHER_PLATFORMS)]
    other = _ask(python, package, widened, timeout)
    if other.status == "found":
        return msgspec.structs.replace(other, other_platform=True)
    return answer if other.status == "missing" else other


def _ask(python: str, package: str, extra: list[str], timeout: float) -> Answer:
    from fwguide.probe.children import WorkerFailure, run_capped

    # -vv: only pip's debug lines tell an index it could not reach from one that lacks the package.
    argv = [python, "-m", "pip", "index", "versions", package, "--disable-pip-version-check", "-vv", *extra]
    try:
        run = run_capped(argv, timeout=timeout, cap=8 << 20)
    except WorkerFailure as exc:
        return Answer("unreachable", reason=exc.reason)
    except OSError as exc:
        return Answer("no-pip", reason=str(exc.strerror or exc))
    return read_answer(package, run.code, run.stdout, run.stderr, run.why_stopped)
