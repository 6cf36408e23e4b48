"""`ask` carries the scan's summary as project.legacy, from the same walk as its import detection."""

from __future__ import annotations

import json
from pathlib import Path

from fwguide.project import scan
from tests.conftest import run_cli
from tests.project.test_scan import make_tree
from tests.scan.test_command import TF1_TRAIN


def test_ask_json_carries_project_legacy(tmp_path: Path) -> None:
    make_tree(tmp_path, {"trainer/train.py": TF1_TRAIN, "trainer/input.py": "import tensorflow as tf\n",
                         "requirements.txt": "tensorflow==2.15.1\n"})
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "bird.tflite").write_bytes(b"\x00")
    proc = run_cli("ask", "--no-input", "--no-probe", "--json", "--project", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    legacy = out["project"]["legacy"]
    assert legacy["frameworks"]["tensorflow"] == {"files": 2, "removed_files": 1, "rewrite_files": 1,
                                                  "findings": {"current": 0, "deprecated": 3, "removed": 2}}
    assert legacy["ceilings"][0]["framework"] == "tensorflow" and legacy["ceilings"][0]["version"] == "2.15"
    assert legacy["evidence"][0] == ("1 file uses tf.estimator, removed in TensorFlow 2.16: it needs rewriting "
                                     "either way")
    assert legacy["apis"][0]["id"] == "tf-estimator" and legacy["complete"] is True
    assert out["answers"]["existing_model"] == "tensorflow"
    assert out["project"]["models"] == [{"path": "models/bird.tflite", "kind": "tensorflow", "what": "a LiteRT model",
                                         "parts": 1}]


def test_the_evidence_counts_files_and_says_what_a_removed_api_holds_back(tmp_path: Path) -> None:
    files = {f"nlp/m{i}.py": "import torchtext\nfrom torch import jit\njit.script(f)\n" for i in range(3)}
    found = scan(make_tree(tmp_path, files))
    assert found.legacy is not None
    assert found.legacy.evidence == ["3 files use torchtext, removed in PyTorch 2.4: they hold PyTorch at 2.3 until "
                                     "they change"]
    # `from torch import jit` is TorchScript itself; `jit.script(f)` the deprecated call
    assert [(a.id, a.files, a.findings) for a in found.legacy.apis] == [
        ("torchtext", 3, 3), ("torchscript", 3, 3), ("torchscript-script", 3, 3)]
    pytorch = found.legacy.frameworks["pytorch"]
    assert (pytorch.files, pytorch.removed_files, pytorch.rewrite_files) == (3, 3, 0)


def test_a_project_without_framework_code_has_an_empty_summary(tmp_path: Path) -> None:
    found = scan(make_tree(tmp_path, {"a.py": "import numpy as np\n"}))
    assert found.legacy is not None
    legacy = found.legacy
    assert (legacy.frameworks, legacy.apis, legacy.ceilings, legacy.evidence) == ({}, [], [], [])
