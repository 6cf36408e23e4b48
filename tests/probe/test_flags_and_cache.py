"""Bad flags exit 2; the missing-framework path; the cache: warm hits, invalidation, --refresh."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from fwguide import frameworks
from tests.conftest import run_cli
from tests.probe.conftest import framework


@pytest.mark.parametrize(("args", "message"), [
    (["--timeout", "-5"], "--timeout must be more than 0 seconds"),
    (["--timeout", "0"], "--timeout must be more than 0 seconds"),
    (["--python", "/no/such/python"], "no such file"),
    (["--python", "/"], "is a folder, not an interpreter"),
    (["--python", "/bin/true"], "does not look like a Python interpreter"),
    (["--framework", "no-such-flow"], "Invalid value"),
], ids=["negative-timeout", "zero-timeout", "missing-python", "folder", "not-python", "unknown-framework"])
def test_bad_flags_exit_2_without_a_traceback(args: list[str], message: str) -> None:
    proc = run_cli("probe-gpu", *args)
    assert proc.returncode == 2
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_old_python_is_refused(fake_python) -> None:
    old = fake_python("exit 0")
    old.write_text('#!/bin/sh\necho \'fwguide-python {"version": [3, 8, 18], "paths": [], "user_site": null}\'\n')
    proc = run_cli("probe-gpu", "--python", str(old))
    assert proc.returncode == 2 and "is Python 3.8.18; the probe needs Python 3.9 or newer" in proc.stderr


def test_environment_without_frameworks_says_how_to_install(bare_python: Path) -> None:
    proc = run_cli("probe-gpu", "--json", "--python", str(bare_python))
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["environments"][0]["python"] == str(bare_python)
    # The decision's two are reported missing; any other framework only where it is installed.
    assert [f["framework"] for f in report["environments"][0]["frameworks"]] == list(frameworks.DECISION)
    for name in frameworks.DECISION:
        found = framework(report, name)
        assert found["status"] == "missing" and found["bench_status"] == "skipped"
        assert found["install_command"].startswith(frameworks.get(name).install_command)
    assert sorted(report["facts"]) == sorted(["gpu-none", *(f"{name}-missing" for name in frameworks.DECISION)])
    assert {d["code"] for d in report["diagnoses"]} == {"not-installed"}


@pytest.mark.parametrize("name", [f.id for f in frameworks.known() if f.id not in frameworks.DECISION])
def test_a_framework_asked_for_by_name_is_reported_missing_with_its_install_command(bare_python: Path,
                                                                                    name: str) -> None:
    known = frameworks.get(name)
    proc = run_cli("probe-gpu", "--json", "--no-bench", "--python", str(bare_python), "--framework", known.cli_name)
    assert proc.returncode == 1, proc.stderr  # asked for, and not usable
    report = json.loads(proc.stdout)
    found = framework(report, name)
    assert found["status"] == "missing" and found["install_command"].startswith(known.install_command)
    (diagnosis,) = [d for d in report["diagnoses"] if d["framework"] == name]
    assert diagnosis["code"] == "not-installed"
    assert diagnosis["command"] in (found["install_command"], f"{bare_python} -m {found['install_command']}")


def test_two_interpreters_are_probed_side_by_side(bare_python: Path, fake_python) -> None:
    broken = fake_python("exit 0")
    proc = run_cli("probe-gpu", "--json", "--no-bench", "--python", str(bare_python), "--python", str(broken))
    assert proc.returncode == 0, proc.stderr
    environments = json.loads(proc.stdout)["environments"]
    assert [e["python"] for e in environments] == [str(bare_python), str(broken)]
    assert {f["status"] for f in environments[1]["frameworks"]} == {"no-output"}


def _cached(report: dict) -> list[bool]:
    return [f["cached"] for f in report["environments"][0]["frameworks"]]


def _run(python: Path, cache: Path, *flags: str) -> dict:
    proc = run_cli("probe-gpu", "--json", "--python", str(python), *flags, env={"FWGUIDE_CACHE_DIR": str(cache)})
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_warm_cache_answers_without_probing_again(bare_python: Path, tmp_path: Path) -> None:
    first = _run(bare_python, tmp_path)
    assert _cached(first) == [False] * len(frameworks.DECISION)
    started = time.monotonic()
    second = _run(bare_python, tmp_path)
    assert time.monotonic() - started < 5
    assert _cached(second) == [True] * len(frameworks.DECISION)
    assert [f["probed_at"] for f in second["environments"][0]["frameworks"]] == \
        [f["probed_at"] for f in first["environments"][0]["frameworks"]]


def test_refresh_ignores_the_cache(bare_python: Path, tmp_path: Path) -> None:
    _run(bare_python, tmp_path)
    assert _cached(_run(bare_python, tmp_path, "--refresh")) == [False] * len(frameworks.DECISION)


@pytest.mark.parametrize("name", frameworks.DECISION)
def test_installing_a_framework_invalidates_its_entry(bare_python: Path, tmp_path: Path, name: str) -> None:
    _run(bare_python, tmp_path)
    site_packages = next((bare_python.parent.parent / "lib").glob("python3*/site-packages"))
    marker = site_packages / f"{frameworks.get(name).distributions[0].replace('-', '_')}-99.0.0.dist-info"
    marker.mkdir()
    try:  # that framework is probed again, the others' entries still hold
        assert _cached(_run(bare_python, tmp_path)) == [other != name for other in frameworks.DECISION]
    finally:
        marker.rmdir()


def test_driver_visibility_change_invalidates_the_cache(bare_python: Path, tmp_path: Path) -> None:
    _run(bare_python, tmp_path)
    proc = run_cli("probe-gpu", "--json", "--python", str(bare_python),
                   env={"FWGUIDE_CACHE_DIR": str(tmp_path), "CUDA_VISIBLE_DEVICES": "0"})
    assert not any(_cached(json.loads(proc.stdout)))


def test_failures_are_never_cached(fake_python, tmp_path: Path) -> None:
    broken = fake_python("exit 0")
    _run(broken, tmp_path, "--no-bench")
    again = _cached(_run(broken, tmp_path, "--no-bench"))
    assert len(again) == len(frameworks.known()) and not any(again)  # a failure is shown for every framework


def test_interpreter_can_be_named_by_what_path_finds(bare_python: Path) -> None:
    path = f"{bare_python.parent}{os.pathsep}{os.environ['PATH']}"
    proc = run_cli("probe-gpu", "--json", "--no-bench", "--python", "python", env={"PATH": path})
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["environments"][0]["python"] == str(bare_python)
