"""existing_model from trained-model files in the project folder, by name only: real files, real folders."""

from __future__ import annotations

from pathlib import Path

from fwguide.project import scan


def touch(root: Path, *names: str) -> Path:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\x00not a real model\x00")
    return root


def test_a_tflite_model_suggests_tensorflow_with_its_name_as_evidence(tmp_path: Path) -> None:
    found = scan(touch(tmp_path, "models/bird.tflite", "app.py"))
    assert found.answers["existing_model"] == "tensorflow"
    assert found.evidence["existing_model"] == ["models/bird.tflite (a LiteRT model)"]


def test_each_format_counts_for_its_framework(tmp_path: Path) -> None:
    touch(tmp_path, "a/saved_model.pb", "a/saved_model.pbtxt", "b/clf.keras", "web/model.json",
          "web/group1-shard1of2.bin", "web/group1-shard2of2.bin", "c/model.pt", "c/ckpt.pth", "c/prog.pt2",
          "c/phone.pte", "d/model.safetensors", "e/net.onnx")
    kinds = {(m.path, m.kind) for m in scan(tmp_path).models}
    assert kinds == {("a/saved_model.pb", "tensorflow"), ("b/clf.keras", "tensorflow"),
                     ("web/model.json", "tensorflow"), ("c/model.pt", "pytorch"), ("c/ckpt.pth", "pytorch"),
                     ("c/prog.pt2", "pytorch"), ("c/phone.pte", "pytorch"), ("d/model.safetensors", "pytorch"),
                     ("e/net.onnx", "onnx")}


def test_mixed_kinds_name_all_and_the_most_numerous_is_suggested(tmp_path: Path) -> None:
    found = scan(touch(tmp_path, "m/a.pt", "m/b.pt", "m/c.pth", "export/a.onnx"))
    assert found.answers["existing_model"] == "pytorch"
    evidence = found.evidence["existing_model"]
    assert "export/a.onnx (an ONNX model)" in evidence and "m/a.pt (a PyTorch checkpoint)" in evidence
    assert evidence[-1] == "more PyTorch models (3) than ONNX (1)"


def test_a_tie_is_left_unanswered_and_said_in_the_notes(tmp_path: Path) -> None:
    found = scan(touch(tmp_path, "model.pt", "model.onnx"))
    assert "existing_model" not in found.answers
    assert any(note.startswith("as many ONNX as PyTorch models (1 each): existing_model is left for you to answer")
               for note in found.notes)


def test_many_models_are_counted_not_all_listed(tmp_path: Path) -> None:
    found = scan(touch(tmp_path, *(f"edge/m{i}.tflite" for i in range(7))))
    assert found.evidence["existing_model"][-1] == "4 more TensorFlow models"
    assert len(found.evidence["existing_model"]) == 4


def test_shards_of_one_model_count_once(tmp_path: Path) -> None:
    touch(tmp_path, *(f"llm/model-0000{i}-of-00004.safetensors" for i in range(1, 5)),
          "llm/pytorch_model-00001-of-00002.bin", "llm/pytorch_model-00002-of-00002.bin")
    models = scan(tmp_path).models
    assert [(m.path, m.parts) for m in models] == [("llm/model-00001-of-00004.safetensors", 4),
                                                    ("llm/pytorch_model-00001-of-00002.bin", 2)]


def test_h5_counts_only_beside_keras_or_tensorflow_code(tmp_path: Path) -> None:
    touch(tmp_path, "weights/model.h5")
    (tmp_path / "prep.py").write_text("import h5py\n")
    found = scan(tmp_path)
    assert "existing_model" not in found.answers
    assert any("weights/model.h5: HDF5, not counted" in note for note in found.notes)
    (tmp_path / "train.py").write_text("import keras\n")
    found = scan(tmp_path)
    assert found.answers["existing_model"] == "tensorflow"
    assert found.evidence["existing_model"] == ["weights/model.h5 (a Keras HDF5 model)"]


def test_environment_cache_and_hidden_folders_are_skipped(tmp_path: Path) -> None:
    touch(tmp_path, "node_modules/pkg/model.onnx", ".cache/hub/model.pt", "venv/lib/x.pt", "build/out.tflite",
          "__pycache__/x.pt", "env2/lib/y.pt")
    (tmp_path / "env2" / "pyvenv.cfg").write_text("home = /usr\n")
    assert scan(tmp_path).models == []


def test_a_model_folder_or_a_name_that_only_looks_like_one_is_not_a_model(tmp_path: Path) -> None:
    (tmp_path / "checkpoint.pt").mkdir()
    touch(tmp_path, "web/model.json", "notes.pt.txt")
    assert scan(tmp_path).models == []
