"""`fwguide scan` on real project folders, run in-process through fwguide.cli.main: JSON, screen and Markdown."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from fwguide.cli import main
from tests.project.test_scan import make_tree

TF1_TRAIN = """\
import tensorflow as tf

def model_fn(features, labels, mode):
    return tf.estimator.EstimatorSpec(mode)

estimator = tf.estimator.Estimator(model_fn=model_fn)
x = tf.compat.v1.placeholder(tf.float32, [None, 3])
with tf.compat.v1.Session() as session:
    batches = tf.compat.v1.data.make_one_shot_iterator(dataset)
"""


def scan_json(capsys: pytest.CaptureFixture[str], folder: Path, *more: str) -> dict:
    assert main(["scan", str(folder), "--json", *more]) == 0
    return json.loads(capsys.readouterr().out)


def test_tf1_project_gives_findings_with_lines_a_ceiling_and_both_estimates(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_tree(tmp_path, {"trainer/train.py": TF1_TRAIN, "requirements.txt": "tensorflow==2.15.1\n"})
    report = scan_json(capsys, tmp_path)
    assert list(report)[:8] == ["schema_version", "root", "complete", "frameworks", "findings", "ceilings", "effort",
                                "files_read"]
    assert report["complete"] is True and report["root"] == str(tmp_path.resolve())
    where = {(f["file"], f["line"], f["id"]) for f in report["findings"]}
    assert where == {("trainer/train.py", 4, "tf-estimator"), ("trainer/train.py", 6, "tf-estimator"),
                     ("trainer/train.py", 7, "tf-compat-v1-placeholder"),
                     ("trainer/train.py", 8, "tf-compat-v1-session"),
                     ("trainer/train.py", 9, "tf-compat-v1-data-iterators")}
    estimator = next(f for f in report["findings"] if f["id"] == "tf-estimator")
    assert estimator["status"] == "removed" and estimator["since"] == "2.16" and estimator["framework"] == "tensorflow"
    assert "Keras" in estimator["replacement"] and estimator["source"].startswith("https://")
    assert set(estimator) >= {"file", "line", "api", "framework", "status", "since", "replacement", "effort", "source"}
    assert report["ceilings"] == [{"framework": "tensorflow", "version": "2.15", "package": None,
                                   "apis": ["tf-estimator"], "files": 1,
                                   "because": "tf.estimator: removed in TensorFlow 2.16, used in 1 file"}]
    counts = {"current": 0, "deprecated": 3, "removed": 2}
    assert report["frameworks"] == {"tensorflow": {"files": 1, "findings": counts}}
    stay, move = report["effort"]["stay"]["tensorflow"], report["effort"]["move"]["tensorflow"]
    assert stay["findings"] == 5 and stay["files"] == 1
    assert stay["rewrite"] == {"findings": 4, "files": 1} and stay["mechanical"] == {"findings": 1, "files": 0}
    assert move["to"] == "pytorch" and move["files"] == 1 and move["rewrite"]["files"] == 1
    assert "not hours" in report["effort"]["estimate"]


def test_keras3_project_has_nothing_removed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_tree(tmp_path, {
        "model.py": "import keras\nfrom keras import layers\nmodel = keras.Sequential([layers.Dense(3)])\n"
                    "model.export('served')\n",
        "data.py": "import tensorflow as tf\nds = tf.data.Dataset.range(10).batch(2)\nfor batch in ds:\n    pass\n",
        "requirements.txt": "keras>=3.5\ntensorflow>=2.17\n",
    })
    report = scan_json(capsys, tmp_path)
    assert report["ceilings"] == []
    assert not [f for f in report["findings"] if f["status"] != "current"]
    assert report["frameworks"]["tensorflow"]["files"] == 2
    assert report["effort"]["stay"]["tensorflow"]["files"] == 0
    move = report["effort"]["move"]["tensorflow"]  # Keras 3 code moves by switching its backend
    assert move["mechanical"]["files"] == 1 and move["moderate"]["files"] == 1


def test_torchscript_is_deprecated_for_torch_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_tree(tmp_path, {"export.py": "import torch\nfrom torch import jit\n\nscripted = torch.jit.script(net)\n"
                                      "traced = jit.trace(net, example)\n"
                                      "torch.onnx.export(net, example, 'net.onnx', dynamo=False)\n"
                                      "torch.onnx.export(net, example, 'new.onnx')\n"})
    report = scan_json(capsys, tmp_path)
    found = {f["id"]: f for f in report["findings"]}
    script = found["torchscript-script"]
    assert (script["line"], script["status"], script["framework"]) == (4, "deprecated", "pytorch")
    assert "torch.export" in script["replacement"]
    assert found["torchscript-trace"]["line"] == 5
    assert [f["line"] for f in report["findings"] if f["id"] == "torch-onnx-legacy-exporter"] == [6]
    assert report["ceilings"] == []


def test_markdown_prints_the_findings_as_a_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_tree(tmp_path, {"train.py": TF1_TRAIN})
    assert main(["scan", str(tmp_path), "--markdown"]) == 0
    out = capsys.readouterr().out
    assert "| file:line | API | status |" in out
    assert "| train.py:6 | tf.estimator | removed |" in out
    assert "| TensorFlow ≤ 2.15 |" in out and "Effort estimate" in out


@pytest.mark.parametrize("width", [60, 80])
def test_the_screen_fits_the_width_without_cutting_a_cell(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, width: int) -> None:
    make_tree(tmp_path, {"trainer/train.py": TF1_TRAIN, "serve.py": "import torch\ntorch.jit.trace(net, x)\n"})
    monkeypatch.setenv("COLUMNS", str(width))
    assert main(["scan", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for line in out.splitlines():  # only a single word longer than the width (a URL) may overflow
        assert len(line) <= width or " " not in line.strip().split(": ", 1)[-1], line
    words = " ".join(out.split())
    for phrase in ("A Keras 3 model trained with Model.fit", "trainer/train.py:6", "stay on TensorFlow",
                   "move TensorFlow", "https://docs.pytorch.org/docs/stable/jit.html"):
        assert phrase in words


def test_an_empty_folder_reports_nothing_found(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(tmp_path)]) == 0
    assert "no use of an API" in capsys.readouterr().out
    report = scan_json(capsys, tmp_path)
    assert report["findings"] == [] and report["frameworks"] == {} and report["effort"]["stay"] == {}


@pytest.mark.parametrize("what", ["missing", "file"])
def test_a_folder_that_is_not_one_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], what: str) -> None:
    target = tmp_path / "nowhere"
    if what == "file":
        target.write_text("import torch\n")
    assert main(["scan", str(target)]) == 2
    err = capsys.readouterr().err
    assert ("no such folder" if what == "missing" else "not a folder") in err and "Traceback" not in err


def test_a_broken_rules_overlay_exits_2_naming_file_and_field(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules = tmp_path / "team.yaml"
    rules.write_text("apis:\n  - id: tf-estimator\n    status: gone\n")
    assert main(["scan", str(tmp_path), "--rules", str(rules)]) == 2
    err = capsys.readouterr().err
    assert re.search(r"team\.yaml:3: status: got 'gone'", err), err


def test_a_team_overlay_changes_an_entry_by_id_and_adds_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_tree(tmp_path, {"a.py": "import tensorflow as tf\ntf.compat.v1.placeholder(tf.float32)\n",
                         "b.py": "import legacy_ops\nlegacy_ops.run()\n"})
    rules = tmp_path / "rules.yaml"
    rules.write_text("""\
apis:
  - id: tf-compat-v1-placeholder
    effort: moderate
  - id: legacy-ops
    api: legacy_ops
    framework: tensorflow
    match: {module: [legacy_ops]}
    status: deprecated
    effort: rewrite
    replacement: the in-house ops library
    source: https://example.org/legacy-ops
""")
    report = scan_json(capsys, tmp_path, "--rules", str(rules))
    found = {f["id"]: f for f in report["findings"]}
    assert found["tf-compat-v1-placeholder"]["effort"] == "moderate"
    assert found["tf-compat-v1-placeholder"]["source"].startswith("https://www.tensorflow.org")  # the rest is kept
    assert (found["legacy-ops"]["file"], found["legacy-ops"]["line"]) == ("b.py", 1)


def test_scanning_never_imports_a_framework(tmp_path: Path) -> None:
    """The project's code is read, not run: scanning a TF1 and PyTorch project imports neither framework."""
    make_tree(tmp_path, {"train.py": TF1_TRAIN, "export.py": "import torch\ntorch.jit.script(f)\n"})
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "fwguide", "scan", str(tmp_path), "--json"],
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL, env=dict(os.environ))
    assert proc.returncode == 0, proc.stderr[-2000:]
    imported = {line.split("|")[-1].strip().split(".")[0] for line in proc.stderr.splitlines()
                if line.startswith("import time:")}
    assert "msgspec" in imported  # the measurement itself works
    assert not imported & {"torch", "tensorflow", "keras", "jax"}
    assert {f["id"] for f in json.loads(proc.stdout)["findings"]} >= {"tf-estimator", "torchscript-script"}


def test_a_scan_cut_short_by_its_bound_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from fwguide.commands import scan as command

    make_tree(tmp_path, {f"pkg/m{i}.py": "import torch\ntorch.jit.script(f)\n" for i in range(8)})
    monkeypatch.setattr(command, "MAX_FILES", 3)  # the bound, not the behaviour: a 20,000-file tree is slow to make
    report = scan_json(capsys, tmp_path)
    assert report["complete"] is False and report["files_read"] == 3
    assert "stopped after reading 3 files" in report["stopped"]
    assert len({f["file"] for f in report["findings"]}) == 3
    assert main(["scan", str(tmp_path)]) == 0
    words = " ".join(capsys.readouterr().out.split())
    assert "3 files read; 3 uses of 1 API in the rulebook's API map; incomplete: the notes at the end say" in words
    assert words.endswith("- the scan stopped after reading 3 files (the limit); what it read counts")
