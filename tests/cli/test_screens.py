"""Screens at the widths people use: nothing cut on a narrow terminal, piped text wrapped at 100 columns."""

from __future__ import annotations

import json
import os
import re
import sys

import pexpect
import pytest

from fwguide.rulebook import load
from tests.conftest import NEUTRAL_CWD, run_cli

ESCAPES = re.compile(r"\x1b(\[[0-9;?]*[A-Za-z]|\][^\x07]*\x07|[()][A-Z0-9])")
EDGE_TPU_AND_BROWSER = ("--set", "deploy=edge-tpu,browser", "--set", "hardware=nvidia-gpu")


def in_terminal(*args: str, columns: int, timeout: float = 300) -> str:
    """Everything `fwguide ARGS` shows in a terminal `columns` wide, without colours."""
    child = pexpect.spawn(sys.executable, ["-m", "fwguide", *args], dimensions=(50, columns), cwd=NEUTRAL_CWD,
                          env={**os.environ, "TERM": "xterm-256color"}, encoding="utf-8", timeout=timeout)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus in (0, 1), child.before
    return "\n".join(line.rstrip() for line in ESCAPES.sub("", child.before).replace("\r\n", "\n").split("\n"))


def _no_cut_cells(text: str, columns: int) -> None:
    assert "…" not in text
    for line in text.splitlines():
        assert len(line) <= columns, line


@pytest.mark.parametrize("columns", [60, 80])
def test_ask_details_cut_nothing_on_a_narrow_terminal(columns: int) -> None:
    text = in_terminal("ask", "--no-probe", "--no-input", "--details", *EDGE_TPU_AND_BROWSER, columns=columns)
    _no_cut_cells(text, columns)
    data = json.loads(run_cli("ask", "--no-probe", "--no-input", "--json", *EDGE_TPU_AND_BROWSER).stdout)
    for contribution in data["contributions"]:
        if contribution["cause"]:  # every category the answers moved is named whole, on one line
            assert contribution["title"] in text
    assert "TensorFlow" in text and "Next step" in text
    if columns < 80:  # stacked blocks instead of a table whose "Because" column has no room
        assert re.search(r"\n  Deployment\n    Favours: TensorFlow\n    Points: \+[0-9.]+ hard\n", text), text


def test_ask_summary_fits_one_screen_in_the_order_a_reader_acts_on() -> None:
    text = in_terminal("ask", "--no-probe", "--no-input", *EDGE_TPU_AND_BROWSER, columns=80)
    lines = text.strip().splitlines()
    assert len(lines) <= 20, text
    order = ["Recommendation: TensorFlow, ", "Constraint", "Only TensorFlow Lite", "What would change it",
             "Next step", "pip install", "More: fwguide explain deployment"]
    positions = [text.index(part) for part in order]
    assert positions == sorted(positions), text
    assert "Because" not in text and "Reasons" not in text  # the table is behind --details
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", " ".join(text.split())) if len(s.strip()) > 20]
    assert len(sentences) == len(set(sentences)), "a sentence is shown twice"


def test_piped_output_wraps_at_100_columns() -> None:
    outputs = [run_cli("ask", "--no-probe", "--no-input", "--details", *EDGE_TPU_AND_BROWSER, env={"COLUMNS": "300"}),
               run_cli("explain", "deployment", env={"COLUMNS": "300"}),
               run_cli("explain", "--list", env={"COLUMNS": "300"})]
    for proc in outputs:
        assert proc.returncode == 0, proc.stderr
        assert "\x1b[" not in proc.stdout
        for line in proc.stdout.splitlines():
            # Longer only when one word (a URL) or a line of code cannot be broken.
            assert len(line) <= 100 or " " not in line.strip() or line.startswith("    "), line


def test_explain_code_is_never_cut_and_sits_side_by_side_only_when_it_fits() -> None:
    category = load().category("coverage")
    wide, narrow = in_terminal("explain", "coverage", columns=160), in_terminal("explain", "coverage", columns=60)
    for text in (wide, narrow):
        assert "…" not in text
    assert max(len(line) for line in narrow.splitlines()) <= 60  # fwguide wraps, never the terminal
    for snippet in category.snippets:
        for line in (snippet.pytorch + snippet.tensorflow).splitlines():
            assert line.strip() in wide
            for token in line.split():  # a line too long for 60 columns breaks between tokens, never inside one
                assert token in narrow, token
    assert any("PyTorch" in line and "TensorFlow" in line for line in wide.splitlines())  # side by side
    assert not any("PyTorch" in line and "TensorFlow" in line and "│" in line for line in narrow.splitlines())


@pytest.mark.needs("torch", "tensorflow")
def test_probe_gpu_cuts_nothing_at_60_columns_and_benchmarks_compare() -> None:
    text = in_terminal("probe-gpu", columns=60)
    _no_cut_cells(text, 60)
    report = json.loads(run_cli("probe-gpu", "--json", timeout=300).stdout)  # the cache answers
    bench = [m for env in report["environments"] for fw in env["frameworks"] for m in fw["bench"]]
    assert len({m["size"] for m in bench if "cpu" in m["device"].lower()}) <= 1  # one size on the CPU for all
    for matmul in bench:
        assert f"{matmul['tflops_best']:.3f}" in text
    assert "rules/devices.yaml" not in text and "CPU only" not in re.findall(r"GPUs it sees.*", text)[0]
    assert re.search(r"GPUs it sees: none", text) or re.search(r"GPUs it sees\s+none", text)
