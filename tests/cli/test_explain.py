"""`fwguide explain`: lookup by id, title, alias; typos; JSON; live checks; broken pipes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pexpect
import pytest

from fwguide.rulebook import load
from tests.conftest import run_cli


@pytest.mark.parametrize("name", ["device-management", "Device Management", "devices", "DEVICE", "gpu memory",
                                  "device_management"])
def test_category_is_found_by_id_title_or_alias(name: str) -> None:
    proc = run_cli("explain", name, "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["id"] == "device-management"


def test_typo_suggests_the_closest_name() -> None:
    proc = run_cli("explain", "serialisation")
    assert proc.returncode == 2
    assert "did you mean: serialization?" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_list_shows_every_category_with_both_verdicts() -> None:
    proc = run_cli("explain", "--list")
    assert proc.returncode == 0
    rulebook = load()
    for category in rulebook.categories:
        assert category.id in proc.stdout
    assert "2017" in proc.stdout and "today" in proc.stdout


def test_no_argument_lists_the_categories() -> None:
    assert run_cli("explain").stdout == run_cli("explain", "--list").stdout


def test_list_json_names_the_winners() -> None:
    data = json.loads(run_cli("explain", "--list", "--json").stdout)
    by_id = {c["id"]: c for c in data["categories"]}
    assert by_id["device-management"]["winner_2017"] == "tensorflow"
    assert by_id["device-management"]["winner_today"] == "pytorch"
    assert by_id["ecosystem"]["winner_2017"] is None
    assert data["rulebook"]["version"] == load().meta.version


def test_json_holds_the_whole_category() -> None:
    data = json.loads(run_cli("explain", "deployment", "--json").stdout)
    assert {"id", "title", "aliases", "seed", "current", "checks", "snippets", "scoring", "rulebook"} <= set(data)
    assert data["seed"]["winner"] == "tensorflow"
    assert all(e["source"].startswith("https://") for e in data["current"]["evidence"])
    assert data["check_results"] is None


def test_plain_output_has_verdicts_evidence_and_both_snippets() -> None:
    out = run_cli("explain", "coverage").stdout
    assert "2017 (Awni Hannun, 2017)\n  Winner: TensorFlow\n" in out
    assert "\n  Winner: tie\n" in out
    assert "PyTorch:" in out and "TensorFlow:" in out and "torch.flip" in out and "tf.reverse" in out
    assert "--check" in out


@pytest.mark.needs("torch", "tensorflow")
def test_live_checks_run_against_the_installed_frameworks() -> None:
    proc = run_cli("explain", "coverage", "--check", "--json", timeout=300)
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout)["check_results"]
    assert {r["framework"] for r in results} == {"pytorch", "tensorflow"}
    assert all(r["status"] == "pass" for r in results), results
    assert any(r["target"] == "torch.fft.rfft" and r["framework_version"].startswith("2.") for r in results)


def test_check_without_a_category_is_bad_usage() -> None:
    proc = run_cli("explain", "--check")
    assert proc.returncode == 2 and "needs a category" in proc.stderr


def test_terminal_view_is_rich_and_side_by_side() -> None:
    child = pexpect.spawn(sys.executable, ["-m", "fwguide", "explain", "coverage"], dimensions=(60, 140),
                          env={**os.environ, "TERM": "xterm-256color"}, encoding="utf-8", timeout=60)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    text = child.before
    assert "╭" in text and "Winner" in text  # panels, not the plain view
    assert any("PyTorch" in line and "TensorFlow" in line for line in text.splitlines())


@pytest.mark.parametrize("args", ["explain coverage", "explain --list --json", "--help"])
def test_broken_pipe_is_quiet(args: str) -> None:
    # `| true` closes the pipe before fwguide writes: a real EPIPE, not just a truncated read.
    proc = subprocess.run(["bash", "-c", f"{sys.executable} -m fwguide {args} | true; exit ${{PIPESTATUS[0]}}"],
                          capture_output=True, text=True, timeout=60)
    assert proc.stderr == ""
    assert proc.returncode in (0, 1)


def test_output_cut_short_by_head_is_quiet() -> None:
    proc = subprocess.run(f"{sys.executable} -m fwguide explain coverage | head -1", shell=True,
                          capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "Coverage (coverage)"
    assert proc.stderr == ""


def test_version_names_the_rulebook() -> None:
    proc = run_cli("--version")
    meta = load().meta
    version = __import__('fwguide').__version__
    assert proc.stdout.strip() == f"fwguide {version} (rulebook {meta.version}, as of {meta.as_of})"


def test_unknown_rules_path_is_bad_input(tmp_path) -> None:
    proc = run_cli("explain", "coverage", "--rules", str(tmp_path / "missing.yaml"))
    assert proc.returncode == 2 and "no such file or folder" in proc.stderr and "Traceback" not in proc.stderr
