"""Keep or move: what the project's code and models already decide, as `ask` weighs it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fwguide.cli import main
from tests.conftest import run_cli

TF1 = """import tensorflow as tf

def model_fn(features, labels, mode):
    x = tf.compat.v1.placeholder(tf.float32, [None, 4])
    return tf.estimator.EstimatorSpec(mode)

estimator = tf.estimator.Estimator(model_fn=model_fn)
session = tf.compat.v1.Session()
"""
KERAS3 = """import keras
import tensorflow as tf

model = keras.Sequential([keras.layers.Dense(2)])
model.compile(optimizer="adam", loss="mse")
"""


def _project(folder: Path, code: str, requirement: str) -> Path:
    folder.mkdir()
    for name in ("train.py", "evaluate.py", "serve.py"):
        (folder / name).write_text(code)
    (folder / "requirements.txt").write_text(requirement + "\n")
    return folder


def _ask(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    assert main(["ask", "--no-input", "--no-probe", "--json", "--set", "scale=startup", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_code_rewritten_anyway_pulls_less_than_healthy_code(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    legacy = _ask(capsys, "--project", str(_project(tmp_path / "legacy-tf", TF1, "tensorflow==2.15.1")))
    modern = _ask(capsys, "--project", str(_project(tmp_path / "modern-keras", KERAS3, "tensorflow>=2.16")))
    assert legacy["answers"]["existing_code"] == modern["answers"]["existing_code"] == "tensorflow"
    assert legacy["scores"]["tensorflow"] < modern["scores"]["tensorflow"]
    removed = legacy["project"]["legacy"]["frameworks"]["tensorflow"]
    assert removed["files"] == 3 and removed["rewrite_files"] == 3
    assert "tensorflow-code-legacy" in legacy["facts"] and "tensorflow-code-legacy" not in modern["facts"]
    reasons = " ".join(legacy["reasons"])
    assert "tf.estimator, removed in TensorFlow 2.16: they need rewriting either way" in reasons
    labels = [f["label"] for f in legacy["sides"]["tensorflow"]]
    assert any("tf.estimator" in label for label in labels)
    # the same holds with the answers given rather than detected: the code still says what it is
    given = _ask(capsys, "--project", str(tmp_path / "legacy-tf"), "--set", "existing_code=tensorflow",
                 "--set", "experience=tensorflow")
    assert "tensorflow-code-legacy" in given["facts"]


def test_the_screen_names_the_version_ceiling(tmp_path: Path) -> None:
    folder = _project(tmp_path / "legacy-tf", TF1, "tensorflow==2.15.1")
    proc = run_cli("ask", "--no-input", "--no-probe", "--project", str(folder))
    assert proc.returncode == 0, proc.stderr
    assert "Version ceiling: TensorFlow ≤ 2.15" in proc.stdout


@pytest.mark.parametrize(("model", "towards"), [("tensorflow", "tensorflow"), ("pytorch", "pytorch")])
def test_a_model_to_ship_moves_the_call_its_way(capsys: pytest.CaptureFixture[str], model: str, towards: str) -> None:
    base = ("--set", "workload=inference-only", "--set", "deploy=mobile-android")
    without = _ask(capsys, *base)
    with_model = _ask(capsys, *base, "--set", f"existing_model={model}")
    lead = {fw: with_model["scores"][fw] - without["scores"][fw] for fw in ("pytorch", "tensorflow")}
    other = "pytorch" if towards == "tensorflow" else "tensorflow"
    assert lead[towards] > lead[other]
    assert any(f["question"] == "existing_model" for f in with_model["sides"][towards])


def test_an_onnx_model_names_onnx_runtime(capsys: pytest.CaptureFixture[str]) -> None:
    data = _ask(capsys, "--set", "existing_model=onnx", "--set", "workload=inference-only")
    assert any(a.startswith("ONNX Runtime") for a in data["alternatives"])


def test_a_model_file_in_the_project_is_detected_with_its_evidence(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "app"
    (folder / "models").mkdir(parents=True)
    (folder / "models" / "birds.tflite").write_bytes(b"TFL3")
    (folder / "main.py").write_text("print('hello')\n")
    data = _ask(capsys, "--project", str(folder))
    assert data["answers"]["existing_model"] == "tensorflow"
    assert data["origins"]["existing_model"] == "detected"
    assert any("birds.tflite" in line for line in data["detected"]["existing_model"])


def test_ask_list_shows_existing_model(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "--list"]) == 0
    listing = capsys.readouterr().out
    assert "existing_model (one choice; default: none)" in listing
    for choice in ("none", "pytorch", "tensorflow", "onnx"):
        assert f"  - {choice}: " in listing.split("existing_model (")[1].split("\n\n")[0]


def test_old_answers_files_still_load(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = tmp_path / "answers.yaml"
    old.write_text("scale: research\ndeploy: [edge-device]\nexperience: pytorch\n")  # no existing_model, an old id
    data = _ask(capsys, "--answers", str(old))
    assert data["answers"]["existing_model"] == "none" and data["answers"]["deploy"] == ["edge-cpu"]
