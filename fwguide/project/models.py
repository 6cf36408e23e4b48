"""Trained-model files in a project folder, told apart by their names alone: no model file is ever opened.

`.tflite`, `saved_model.pb(txt)`, `.keras`, TF.js `model.json` beside its weight shards, and `.h5` when
the project's code uses Keras or TensorFlow count for TensorFlow; `.pt`, `.pth`, `.pt2`, `.pte`,
`.safetensors` and `pytorch_model.bin` for PyTorch; `.onnx` for ONNX. A model split into shards
(`model-00001-of-00004.safetensors`) or a SavedModel folder counts once.

The suggested `existing_model` is the kind with the most models. When two kinds tie for the most,
nothing is suggested (the evidence names both and the person answers): a PyTorch checkpoint beside
its ONNX export says the project holds both, not which one it must ship.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterable, Sequence

import msgspec

from fwguide.safetext import one_line

_KINDS = {"pytorch": "PyTorch", "tensorflow": "TensorFlow", "onnx": "ONNX"}
_SUFFIXES = {
    ".tflite": ("tensorflow", "a LiteRT model"),
    ".keras": ("tensorflow", "a Keras model"),
    ".pt": ("pytorch", "a PyTorch checkpoint"),
    ".pth": ("pytorch", "a PyTorch checkpoint"),
    ".pt2": ("pytorch", "a torch.export program"),
    ".pte": ("pytorch", "an ExecuTorch program"),
    ".safetensors": ("pytorch", "safetensors weights"),
    ".onnx": ("onnx", "an ONNX model"),
}
_NAMES = {
    "saved_model.pb": ("tensorflow", "a TensorFlow SavedModel"),
    "saved_model.pbtxt": ("tensorflow", "a TensorFlow SavedModel"),
    "tf_model.h5": ("tensorflow", "TensorFlow weights in the Hugging Face layout"),
    "pytorch_model.bin": ("pytorch", "a PyTorch checkpoint"),
}
_H5 = (".h5", ".hdf5")  # Keras 2's format, but HDF5 holds data just as often: counted only beside Keras code
_SHARD = r"^(.+)-\d{5}-of-\d{5}(\.[a-z]+)$"  # Hugging Face weight shards
_TFJS_SHARD = r"^group\d+-shard\d+of\d+(?:\.bin)?$"


class ModelFile(msgspec.Struct, frozen=True):
    path: str  # relative to the project's root, printable
    kind: str  # pytorch | tensorflow | onnx | h5 (an HDF5 file: Keras only with evidence)
    what: str  # in words: "a LiteRT model"
    parts: int = 1  # shards of one model


class ModelSuggestion(msgspec.Struct, frozen=True):
    answer: str | None
    evidence: list[str]
    notes: list[str]


def in_folder(folder: str, entries: Iterable[os.DirEntry[str]]) -> list[ModelFile]:
    """The model files among one folder's entries; `folder` (relative to the root: "" or "models/") is shown first."""
    names = {entry.name: entry for entry in entries}
    found: list[ModelFile] = []
    shards: dict[str, list[str]] = {}  # a sharded model's whole name -> its shards' names
    for name, entry in names.items():
        kind = _kind_of(name)
        if kind is None or not _is_file(entry):
            continue
        shard = re.match(_SHARD, name) if "-of-" in name and kind[0] != "h5" else None
        if shard:
            shards.setdefault(shard.group(1) + shard.group(2), []).append(name)
        elif not (name == "saved_model.pbtxt" and "saved_model.pb" in names):  # one SavedModel, either form
            found.append(ModelFile(one_line(folder + name), *kind))
    for whole, parts in sorted(shards.items()):
        kind = _kind_of(whole)
        if kind is not None:
            found.append(ModelFile(one_line(folder + min(parts)), *kind, parts=len(parts)))
    if "model.json" in names and any(re.match(_TFJS_SHARD, name) for name in names):
        found.append(ModelFile(one_line(folder + "model.json"), "tensorflow", "a TF.js model"))
    return found


def _kind_of(name: str) -> tuple[str, str] | None:
    lowered = name.lower()
    if lowered in _NAMES:
        return _NAMES[lowered]
    if lowered.endswith(_H5):
        return "h5", "an HDF5 file"
    shard = re.match(_SHARD, lowered) if "-of-" in lowered else None
    lowered = shard.group(1) + shard.group(2) if shard else lowered
    dot = lowered.rfind(".")  # the suffix as splitext gives it, at a fraction of the cost (every file comes here)
    return (_SUFFIXES.get(lowered[dot:]) if dot > 0 else None) or _NAMES.get(lowered)


def _is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file()
    except OSError:
        return False


def suggest(models: Sequence[ModelFile], keras_code: bool) -> ModelSuggestion:
    """`existing_model` from the models found: the kind with the most, with the evidence for every kind."""
    counted = [m if m.kind != "h5" else msgspec.structs.replace(m, kind="tensorflow", what="a Keras HDF5 model")
               for m in models if m.kind != "h5" or keras_code]
    notes = []
    skipped = [m.path for m in models if m.kind == "h5" and not keras_code]
    if skipped:
        notes.append(f"{_listed(skipped)}: HDF5, not counted as a Keras model (the code imports neither Keras nor "
                     "TensorFlow)")
    if not counted:
        return ModelSuggestion(None, [], notes)
    per_kind = Counter(m.kind for m in counted)
    ranked = sorted(per_kind, key=lambda kind: (-per_kind[kind], kind))
    evidence = [line for kind in ranked for line in _kind_evidence(kind, [m for m in counted if m.kind == kind])]
    if len(ranked) > 1 and per_kind[ranked[0]] == per_kind[ranked[1]]:
        tied = [_KINDS[kind] for kind in ranked if per_kind[kind] == per_kind[ranked[0]]]
        notes.append(f"as many {' as '.join(tied)} models ({per_kind[ranked[0]]} each): existing_model is left for "
                     f"you to answer ({'; '.join(evidence)})")
        return ModelSuggestion(None, [], notes)
    if len(ranked) > 1:
        evidence.append(f"more {_KINDS[ranked[0]]} models ({per_kind[ranked[0]]}) than "
                        + " or ".join(f"{_KINDS[kind]} ({per_kind[kind]})" for kind in ranked[1:]))
    return ModelSuggestion(ranked[0], evidence, notes)


def _kind_evidence(kind: str, models: list[ModelFile]) -> list[str]:
    shown = [f"{m.path} ({m.what}{f', {m.parts} shards' if m.parts > 1 else ''})" for m in models[:3]]
    if len(models) > 3:
        shown.append(f"{len(models) - 3} more {_KINDS[kind]} model{'s' if len(models) > 4 else ''}")
    return shown


def _listed(paths: list[str]) -> str:
    return ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
