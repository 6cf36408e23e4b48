"""Names a rulebook may refer to: live checks fwguide implements, and the probe's facts.

The probe workers implement each check (see fwguide/probe/workers/); a test keeps
the two lists in step.
"""

from __future__ import annotations

from typing import NamedTuple

from fwguide import frameworks
from fwguide.frameworks import DECISION, JAX, PYTORCH, TENSORFLOW

EVERY = frameworks.ids()  # every worker has the generic checks (fwguide_worker.generic_checks)


class CheckSpec(NamedTuple):
    frameworks: tuple[str, ...]  # the frameworks whose workers implement it
    needs_target: bool  # it checks a name a rule gives (`target`)


# Each live check fwguide implements, with what it finds out.
CHECKS: dict[str, CheckSpec] = {
    "has_attr": CheckSpec(EVERY, True),  # a dotted name (module, function, class) exists, e.g. torch.fft.rfft
    "version_at_least": CheckSpec(EVERY, True),  # the installed framework is at least this version
    # a module imports (e.g. torch.utils.tensorboard needs the tensorboard package)
    "module_importable": CheckSpec(EVERY, True),
    # operations run immediately and return concrete values
    "eager_by_default": CheckSpec((PYTORCH.id, TENSORFLOW.id, JAX.id), False),
    # a Python function can be captured as a graph (torch.export / tf.function / jax.make_jaxpr)
    "function_traces_graph": CheckSpec((PYTORCH.id, TENSORFLOW.id, JAX.id), False),
    "keras_is_v3": CheckSpec((TENSORFLOW.id,), False),  # tf.keras is Keras 3 (multi-backend)
    # whether TensorFlow would reserve all GPU memory by default
    "memory_growth_default": CheckSpec((TENSORFLOW.id,), False),
    "built_with_cuda": CheckSpec(DECISION, False),  # the build links CUDA
    "mps_available": CheckSpec(DECISION, False),  # Apple GPU (Metal) is usable

    # Checks that run a small real operation, so that a route whose prerequisite is missing never passes.
    # exports a two-layer model to ONNX with torch.onnx.export (n/a without onnxscript)
    "onnx_export": CheckSpec((PYTORCH.id,), False),
    # registers a Triton kernel with torch.library.triton_op and runs it (n/a without triton or a CUDA GPU)
    "triton_op": CheckSpec((PYTORCH.id,), False),
    # saves a torch.export program to .pt2, loads it back without its class and runs it
    "export_roundtrip": CheckSpec((PYTORCH.id,), False),
    # saves a SavedModel, loads it back without its code and runs it
    "saved_model_roundtrip": CheckSpec((TENSORFLOW.id,), False),
    # exports a Keras model with Model.export and runs the SavedModel's serve function
    "keras_export": CheckSpec((TENSORFLOW.id,), False),
    # converts a tf.function with tf.lite.TFLiteConverter and runs the .tflite model
    "litert_convert": CheckSpec((TENSORFLOW.id,), False),
}

# Prefixes a `has_attr` / `module_importable` target may start with, per framework.
TARGET_ROOTS: dict[str, tuple[str, ...]] = {f.id: f.target_roots for f in frameworks.known()}
# The probe fact that names a GPU only one framework of the decision can use here.
GPU_ONLY_FACT: dict[str, str] = {PYTORCH.id: "gpu-torch-only", TENSORFLOW.id: "gpu-tensorflow-only"}

# The `when` key under which a weight rule names probe facts instead of answers.
FACTS_KEY = "facts"

# Named facts the probe derives about this machine; weight rules may use them as
# `when: {facts: [...]}`.
PROBE_FACTS: dict[str, str] = {
    "gpu-none": "no GPU was found on this machine",
    "gpu-nvidia": "the NVIDIA driver reports at least one GPU",
    **{fact: f"a GPU is usable from {frameworks.title(f)} but not from "
              f"{frameworks.title(next(o for o in DECISION if o != f))} here" for f, fact in GPU_ONLY_FACT.items()},
    "gpu-both": "a GPU is usable from both frameworks here",
    "windows-native": "this is native Windows (not WSL2)",
    "apple-silicon": "this is an Apple Silicon Mac",
    **{f"{f}-missing": f"{frameworks.title(f)} is not installed in the probed environment" for f in DECISION},
}
# Facts the project scan derives from the API map's findings (fwguide.project.legacy.project_facts).
PROJECT_FACTS: dict[str, str] = {
    f"{f}-code-legacy": f"most of the project's {frameworks.title(f)} code uses APIs that need rewriting either way"
    for f in DECISION
}
# Every fact a weight rule may name under `facts`.
FACTS: dict[str, str] = {**PROBE_FACTS, **PROJECT_FACTS}
