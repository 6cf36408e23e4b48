"""The project's own promises: README set-up commands, CI script, packaging."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

from fwguide import frameworks
from fwguide.rulebook import load
from tests.conftest import ROOT


def _setup_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Set up", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.*?)\n```", section, flags=re.S)


def test_readme_shows_exactly_two_setup_commands() -> None:
    commands = _setup_commands()
    assert len(commands) == 2
    assert commands[0].endswith("fwguide ask") and '".[all]"' in commands[0]
    assert commands[1].endswith("python -m pytest") and "test" in commands[1]


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert _setup_commands()[1] in ci.splitlines()


def test_wheel_ships_the_rulebook_and_finds_it_outside_the_checkout(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                    "-q", "-w", str(dist), str(ROOT)], check=True, capture_output=True, timeout=300)
    (wheel,) = dist.glob("fwguide-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "fwguide/rules/rulebook.yaml" in names
    assert any(n.startswith("fwguide/rules/categories/") and n.endswith(".yaml") for n in names)
    workers = {f"fwguide/probe/workers/{f.worker.name}" for f in frameworks.known()}
    assert workers | {"fwguide/probe/workers/fwguide_worker.py"} <= set(names)  # each worker and their protocol

    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q", "--target",
                    str(site), str(wheel)], check=True, capture_output=True, timeout=300)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    probe = ("import fwguide, json; from fwguide.rulebook import load; "
             "print(json.dumps([fwguide.__file__, len(load().categories)]))")
    proc = subprocess.run([sys.executable, "-c", probe], cwd=elsewhere, capture_output=True, text=True,
                          env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin",
                               "FWGUIDE_CACHE_DIR": str(tmp_path / "cache")}, timeout=60)
    assert proc.returncode == 0, proc.stderr
    location, count = __import__("json").loads(proc.stdout)
    assert location.startswith(str(site))
    assert count == len(load().categories)
