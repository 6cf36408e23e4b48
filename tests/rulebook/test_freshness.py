"""`rules freshness` against a stand-in package index (a folder of distribution files, never the network),
and the ages of verdicts in `rules validate` and `explain`."""

from __future__ import annotations

import datetime
import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from fwguide.freshness import age_text, is_old
from fwguide.freshness.report import checked_packages, newer, release
from fwguide.rulebook import load
from tests.conftest import run_cli

MACOS_ONLY = ("tensorflow-metal", "jax-metal")  # their wheels on the real index are built for macOS only


def _checked() -> dict[str, str]:
    """Each package the built-in rulebook was checked against, and the release."""
    return {c.package: c.version for c in checked_packages(load())}


def _stand_in(folder: Path, versions: dict[str, str]) -> Path:
    """A find-links folder with one (empty) distribution file per package: pip lists versions from names alone."""
    folder.mkdir(exist_ok=True)
    for package, version in versions.items():
        name = re.sub(r"[-_.]+", "_", package)
        platform = "macosx_12_0_arm64" if package in MACOS_ONLY else "any"
        (folder / f"{name}-{version}-py3-none-{platform}.whl").touch()
    return folder


def _pip_env(**settings: str) -> dict[str, str]:
    """This environment without any pip setting of this machine's, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    return {**env, "PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1", **settings}


def _offline(folder: Path) -> dict[str, str]:
    return _pip_env(PIP_NO_INDEX="1", PIP_FIND_LINKS=str(folder))


def _bumped(version: str) -> str:
    numbers = list(release(version)) + [0] * (3 - len(release(version)))
    return f"{numbers[0]}.{numbers[1] + 1}.0"


def test_an_index_with_nothing_newer_is_current_and_exits_0(tmp_path: Path) -> None:
    checked = _checked()
    assert {"torch", "tensorflow", "jax", "keras", "executorch", "litert-torch"} <= set(checked)
    folder = _stand_in(tmp_path / "index", {p: v for p, v in checked.items() if p != "torchserve"})
    proc = run_cli("rules", "freshness", env=_offline(folder))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # no progress off a terminal
    rows = {line.split()[0]: line.split()[1:] for line in proc.stdout.splitlines()
            if line.split()[:1] and line.split()[0] in checked}
    assert set(rows) == set(checked)
    assert rows["torchserve"][-3:] == ["not", "found", "?"]  # missing from the index: not known, not stale
    for package, cells in rows.items():
        if package != "torchserve":
            assert cells[0] == cells[2] == checked[package] and cells[-1] == "no", (package, cells)
    flat = " ".join(proc.stdout.split())  # lines wrap at 100 columns, between words
    assert "Current: nothing on the index is newer" in flat and f"index: {folder}" in flat


def test_a_newer_torch_is_stale_exits_1_and_shows_what_pip_sees(tmp_path: Path) -> None:
    checked = _checked()
    newest = {"torch": _bumped(checked["torch"]), "keras": _bumped(checked["keras"])}
    folder = _stand_in(tmp_path / "index", {**checked, **newest})
    _stand_in(folder, {"torch": checked["torch"]})  # the checked release stays listed beside the newer one
    here = tmp_path / "project"
    here.mkdir()
    for shadow in ("pip.py", "json.py"):  # a file of the user's must never run in place of pip's modules
        (here / shadow).write_text("raise SystemExit('imported from the current folder')\n")
    proc = run_cli("rules", "freshness", "--json", env=_offline(folder), cwd=here)
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert data["schema_version"] == 1 and data["stale"] is True and data["old_verdicts"] == []
    assert data["index"] == [str(folder)] and Path(data["python"]).is_file()
    assert [e["package"] for e in data["entries"]] == list(checked)
    for entry in data["entries"]:
        assert entry["stale"] is (entry["package"] in newest), entry
        assert entry["latest"] == newest.get(entry["package"], checked[entry["package"]]), entry
    if sys.platform != "darwin":  # asked again as for other platforms, where the macOS-only wheels are
        notes = {e["package"]: e["note"] for e in data["entries"]}
        assert all("other platforms" in notes[p] for p in MACOS_ONLY)
    pip = subprocess.run([data["python"], "-m", "pip", "index", "versions", "torch"], capture_output=True, text=True,
                         env=_offline(folder), timeout=120, check=True)
    seen = re.search(r"^torch \((\S+)\)", pip.stdout, re.MULTILINE)
    assert seen is not None and data["entries"][0]["latest"] == seen.group(1) == newest["torch"]


def test_an_index_with_none_of_the_packages_exits_2(tmp_path: Path) -> None:
    proc = run_cli("rules", "freshness", env=_offline(_stand_in(tmp_path / "index", {})))
    assert proc.returncode == 2 and proc.stdout == ""
    assert "lists none of the" in proc.stderr and "Traceback" not in proc.stderr


def test_an_unreachable_index_exits_2_with_one_message(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nothing listens on: connections are refused at once
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = _pip_env(PIP_INDEX_URL=f"http://127.0.0.1:{port}/simple", PIP_RETRIES="0", PIP_TIMEOUT="3")
    proc = run_cli("rules", "freshness", env=env)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == "" and "Traceback" not in proc.stderr
    first = proc.stderr.splitlines()[0]
    assert first.startswith("error: cannot reach the package index from ") and "(offline?)" in first
    assert f"127.0.0.1:{port}" in first
    assert json.loads(run_cli("rules", "freshness", "--json", env=env).stdout or "null") is None


def test_an_interpreter_without_pip_exits_2(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "venv")], check=True, timeout=120)
    python = tmp_path / "venv" / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    proc = run_cli("rules", "freshness", "--python", str(python), env=_offline(tmp_path))
    assert proc.returncode == 2, proc.stderr
    assert f"{python} has no pip" in proc.stderr and "Traceback" not in proc.stderr


def test_an_old_verdict_is_stale_warned_by_validate_and_dated_by_explain(tmp_path: Path) -> None:
    old = datetime.date.today() - datetime.timedelta(days=430)
    team = tmp_path / "team.yaml"
    team.write_text(f"categories:\n  - id: coverage\n    current: {{as_of: {old.isoformat()}}}\n")

    index = _stand_in(tmp_path / "index", _checked())
    fresh = run_cli("rules", "freshness", "--rules", str(team), "--json", env=_offline(index))
    assert fresh.returncode == 1, fresh.stderr
    data = json.loads(fresh.stdout)
    assert [v["category"] for v in data["old_verdicts"]] == ["coverage"]
    assert data["old_verdicts"][0]["age_days"] == 430 and all(e["stale"] is False for e in data["entries"])

    valid = run_cli("rules", "validate", str(team), "--json")
    assert valid.returncode == 0, valid.stderr
    assert any(w.startswith(f"coverage: today's verdict is as of {old}") for w in json.loads(valid.stdout)["warnings"])

    shown = run_cli("explain", "coverage", "--rules", str(team))
    assert f"Today (as of {old}, 14 months ago: run `fwguide rules freshness`)" in shown.stdout
    assert json.loads(run_cli("explain", "coverage", "--rules", str(team), "--json").stdout)["age_days"] == 430


def test_a_recent_verdict_shows_its_age_without_advice() -> None:
    as_of = load().category("coverage").current.as_of
    proc = run_cli("explain", "coverage")
    assert f"Today (as of {as_of}, {age_text(as_of)})" in proc.stdout
    age_days = json.loads(run_cli("explain", "coverage", "--json").stdout)["age_days"]
    assert age_days == (datetime.date.today() - as_of).days


@pytest.mark.parametrize(("latest", "checked", "expected"), [
    ("2.16.0", "2.15.0", True), ("2.15.0", "2.15.0", False), ("2.14.1", "2.15.0", False),
    ("5.25.0", "5", False), ("6.0.0", "5", True),  # a shorter version stands for its series
    ("2.14.0.601", "2.14.0.600", True), ("2.15.0.post1", "2.15.0", False), ("2.13.0+cpu", "2.13.0", False),
    ("2.15", "2.15.0", False),
])
def test_newer_compares_at_the_precision_of_the_checked_version(latest: str, checked: str, expected: bool) -> None:
    assert newer(latest, checked) is expected


@pytest.mark.parametrize(("as_of", "today", "old"), [
    ("2025-12-07", "2026-12-07", False), ("2025-12-06", "2026-12-07", True), ("2026-12-04", "2026-12-07", False),
    ("2023-02-28", "2024-02-29", False), ("2023-02-27", "2024-02-29", True), ("2025-01-31", "2026-01-31", False),
])
def test_a_verdict_is_old_after_twelve_months(as_of: str, today: str, old: bool) -> None:
    assert is_old(datetime.date.fromisoformat(as_of), datetime.date.fromisoformat(today)) is old


def test_ages_read_as_a_person_would_say_them() -> None:
    today = datetime.date(2026, 12, 7)
    assert [age_text(datetime.date.fromisoformat(d), today) for d in ("2026-12-07", "2026-12-06", "2026-12-04",
                                                                         "2025-10-01")] == [
        "today", "yesterday", "3 days ago", "14 months ago"]
