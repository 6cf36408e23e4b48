"""Crafted files cannot stall `fwguide scan` or reach the terminal: huge lines, brackets, escape sequences in names."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from fwguide.cli import main
from tests.conftest import run_cli
from tests.project.test_scan import notebook

EVIL_NAME = "evil\x1b[2J\x1b]0;owned\x07.py"


def hostile_tree(root: Path) -> Path:
    """A project whose files would take minutes to scan with one backtracking pattern or one quadratic loop."""
    big = 3 << 20
    files = {
        "long_line.py": b"import tensorflow as tf\n" + b"tf.a " * (big // 5),
        "chain.py": b"import tensorflow as tf\n" + b"tf." * (big // 3),
        "calls.py": b"import torch\n" + b"torch.onnx.export(" * (big // 18),
        "brackets.py": b"import torch\n" + b"(" * big + b"\n" + b"a[" * (big // 2),
        "imports.py": b"from tensorflow import (\n" * (big // 25),
        "words.py": b"TF_USE_LEGACY_KERAS " * (big // 20),
        "nb.ipynb": notebook("import tensorflow as tf\n" + "tf.estimator " * (big // 13)).encode(),
        "requirements.txt": b"tensorflow[" * (big // 11),
        EVIL_NAME: b"import tensorflow as tf\nestimator = tf.estimator.Estimator(fn)\n",
    }
    for name, data in files.items():
        (root / name).write_bytes(data)
    return root


def test_a_hostile_tree_scans_fast_and_its_names_come_out_escaped(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hostile_tree(tmp_path)
    started = time.perf_counter()
    assert main(["scan", str(tmp_path), "--json"]) == 0
    elapsed = time.perf_counter() - started
    assert elapsed < 10, f"took {elapsed:.1f} s"  # linear: about a second here; a quadratic pass takes minutes
    out = capsys.readouterr().out
    report = json.loads(out)
    assert report["complete"] is True
    files = {f["file"] for f in report["findings"]}
    assert "evil\\x1b[2J\\x1b]0;owned\\x07.py" in files and "\x1b" not in out and "\x07" not in out
    assert sum(1 for f in report["findings"] if f["file"] == "nb.ipynb") == 1  # one line, one finding


@pytest.mark.parametrize("flag", [[], ["--markdown"]], ids=["screen", "markdown"])
def test_escape_sequences_in_a_file_name_never_reach_the_terminal(tmp_path: Path, flag: list[str]) -> None:
    (tmp_path / EVIL_NAME).write_text("import tensorflow as tf\nestimator = tf.estimator.Estimator(fn)\n")
    proc = run_cli("scan", str(tmp_path), *flag)
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stdout and "\x07" not in proc.stdout
    # Markdown also escapes the backslashes and brackets, so the name reads the same once rendered.
    shown = r"evil\\x1b\[2J\\x1b\]0;owned\\x07.py:2" if flag else r"evil\x1b[2J\x1b]0;owned\x07.py:2"
    assert shown in proc.stdout
