"""Probe TensorFlow in the interpreter that runs this file; print one JSON result between marker lines.

Usage: PYTHON tensorflow_worker.py, with one JSON request line on stdin:
  {"mode": "probe", "bench": true, "nonce": "..."}   versions, devices, memory policy, then
                                                      (after a "go" line on stdin) a matmul benchmark
  {"mode": "checks", "checks": [{"check": ..., "target": ...}], "nonce": "..."}
It imports only the standard library, tensorflow and fwguide_worker.py (the protocol every worker
shares, beside it), so any Python >= 3.9 runs it, with or without fwguide installed.
TensorFlow's C++ logs are silenced; anything else it prints goes to stderr.
"""

from __future__ import annotations

import os
import sys
import tempfile

import fwguide_worker as common  # beside this file; the runner also puts its folder on PYTHONPATH

FRAMEWORK = "tensorflow"
GROWTH_FIX = ("call tf.config.experimental.set_memory_growth(gpu, True) for each GPU before first use, "
              "or set TF_FORCE_GPU_ALLOW_GROWTH=true")


def _import_tensorflow():
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"  # read when TensorFlow loads: silences its C++ logs
    # The probe itself must not reserve a shared GPU's memory; what the user's programs do is read from USER_ENV.
    os.environ["TF_FORCE_GPU_ALLOW_GROWTH"] = "true"
    import tensorflow as tf

    return tf


def _build(tf, packages):
    info = tf.sysconfig.get_build_info()
    if info.get("is_rocm_build"):
        rocm = str(info.get("rocm_version") or "")
        return {"flavour": "rocm", "label": ("ROCm " + rocm).strip(), "rocm": rocm or None}
    if info.get("is_cuda_build"):
        cuda, cudnn = info.get("cuda_version"), info.get("cudnn_version")
        return {"flavour": "cuda", "label": "CUDA %s" % cuda, "cuda": str(cuda) if cuda else None,
                "cudnn": str(cudnn) if cudnn else None}
    if "tensorflow-metal" in packages:
        return {"flavour": "metal", "label": "CPU build + tensorflow-metal %s" % packages["tensorflow-metal"]}
    return {"flavour": "cpu", "label": "CPU only"}


def _memory_growth(gpus):
    """What a program of the user's would do with GPU memory, from the variables the user set."""
    forced = common.USER_ENV.get("TF_FORCE_GPU_ALLOW_GROWTH", "").lower() == "true"
    if not gpus:
        default = "memory growth forced on by TF_FORCE_GPU_ALLOW_GROWTH" if forced else \
            "on a GPU it would reserve nearly all of its memory (memory growth is off by default)"
        return {"grabs_all_memory": None, "detail": "no GPU visible to TensorFlow; " + default,
                "fix": "" if forced else GROWTH_FIX}
    if forced:
        return {"grabs_all_memory": False,
                "detail": "memory growth is on (TF_FORCE_GPU_ALLOW_GROWTH=true): TensorFlow allocates GPU memory as "
                          "needed"}
    return {"grabs_all_memory": True, "fix": GROWTH_FIX,
            "detail": "TensorFlow reserves nearly all memory of each GPU it initialises (memory growth is off)"}


def _gpu_devices(tf, gpus, build):
    devices = []
    for index, gpu in enumerate(gpus):
        details = tf.config.experimental.get_device_details(gpu)
        cc = details.get("compute_capability")
        kind = {"rocm": "rocm", "cuda": "cuda"}.get(build["flavour"], "gpu")
        devices.append({
            "kind": kind, "index": index, "name": details.get("device_name") or gpu.name,
            "compute_capability": "%d.%d" % tuple(cc) if cc else None,
            "bf16": tuple(cc) >= (8, 0) if cc else None,  # below 8.0 bf16 is emulated
            "fp16": tuple(cc) >= (5, 3) if cc else True,
        })
    return devices


def _devices(tf, build):
    gpus = tf.config.list_physical_devices("GPU")
    error = None
    if build["flavour"] in ("cuda", "rocm") and not gpus:
        error = "tf.config.list_physical_devices('GPU') is empty"
    return [common.cpu_device()] + _gpu_devices(tf, gpus, build), error


def _warm_up(tf, device):
    with tf.device("/CPU:0" if device["kind"] == "cpu" else "/GPU:%d" % device["index"]):
        (tf.constant(1.0) + 1.0).numpy()


def probe(tf, failure, import_s):
    # Which distribution provides TensorFlow decides how to replace it (tensorflow-cpu is not tensorflow).
    return common.probe(
        FRAMEWORK, tf, failure, import_s,
        env=("CUDA_VISIBLE_DEVICES", "TF_FORCE_GPU_ALLOW_GROWTH", "TF_USE_LEGACY_KERAS"),
        packages=("tensorflow", "tensorflow-cpu", "tensorflow-rocm", "tensorflow-macos", "keras", "tf-keras",
                  "tensorflow-metal", "nvidia-cudnn-cu12"),
        version=lambda tf: tf.__version__, build=_build, devices=_devices, warm_up=_warm_up,
        memory=lambda tf, devices: _memory_growth([d for d in devices if d["kind"] != "cpu"]),
        tf32=lambda tf: tf.config.experimental.tensor_float_32_execution_enabled(),
    )


def _matmul_samples(tf, device, dtype, n, seconds):
    with tf.device(device):
        a = tf.cast(tf.random.normal((n, n)), dtype)
        b = tf.cast(tf.random.normal((n, n)), dtype)
        last = [a]

        def run():
            last[0] = tf.linalg.matmul(a, b)

        def sync():
            # ops on one device run in order, so fetching one element of the last product waits for all of them
            last[0][0, 0].numpy()

        return common.measure(run, sync, 2.0 * n ** 3, seconds)


def bench(tf, probe_result):
    return common.bench(
        probe_result,
        device=lambda target: "/CPU:0" if target["kind"] == "cpu" else "/GPU:%d" % target["index"],
        dtypes=(tf.float32, tf.bfloat16, tf.float16),
        samples=lambda device, dtype, n, seconds: _matmul_samples(tf, device, dtype, n, seconds),
        tf32_default=lambda target: tf.config.experimental.tensor_float_32_execution_enabled(),
        set_tf32=lambda enabled: tf.config.experimental.enable_tensor_float_32_execution(enabled),
        tf32_note="TensorFlow turns TF32 on for fp32 matmuls by default; fp32 ran with it off, tf32 with it on",
    )


# --- live checks -------------------------------------------------------------------------

def _module_path(target):
    parts = target.split(".")
    return ["tensorflow"] + parts[1:] if parts[0] == "tf" else parts


def check_eager_by_default(tf, target):
    value = (tf.constant(1) + 1).numpy()
    ok = tf.executing_eagerly() and int(value) == 2
    detail = "tf.executing_eagerly() is %s; tf.constant(1) + 1 gave %s" % (tf.executing_eagerly(), value)
    return ("pass" if ok else "fail"), detail


def check_function_traces_graph(tf, target):
    def double(x):
        return tf.nn.relu(x) * 2.0

    graph = tf.function(double).get_concrete_function(tf.TensorSpec([3], tf.float32)).graph
    operations = [op.type for op in graph.get_operations()]
    ok = "Relu" in operations
    return ("pass" if ok else "fail"), "tf.function traced %d operations into a graph" % len(operations)


def check_keras_is_v3(tf, target):
    keras = tf.keras
    version = keras.version() if hasattr(keras, "version") else getattr(keras, "__version__", "unknown")
    ok = str(version).startswith("3.")
    return ("pass" if ok else "fail"), "tf.keras is Keras %s" % version


def check_memory_growth_default(tf, target):
    gpus = tf.config.list_physical_devices("GPU")
    growth = _memory_growth(gpus)
    if growth["grabs_all_memory"] is None:  # nothing to reserve without a GPU: the check cannot apply
        return "n/a", growth["detail"]
    return ("pass" if growth["grabs_all_memory"] else "fail"), "%d GPU(s): %s" % (len(gpus), growth["detail"])


def check_built_with_cuda(tf, target):
    info = tf.sysconfig.get_build_info()
    if info.get("is_cuda_build"):
        return "pass", "built with CUDA %s and cuDNN %s" % (info.get("cuda_version"), info.get("cudnn_version"))
    return "fail", "this build has no CUDA"


def check_mps_available(tf, target):
    if sys.platform != "darwin":
        return "n/a", "not a Mac: TensorFlow uses Apple GPUs only through the tensorflow-metal plugin on macOS"
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        return "pass", "the tensorflow-metal plugin gives TensorFlow %d GPU device(s)" % len(gpus)
    if not common.package_versions(("tensorflow-metal",)):
        return "n/a", ("TensorFlow reaches the Apple GPU only through Apple's tensorflow-metal plugin, "
                       "not installed here")
    return "fail", "no Metal GPU device: the installed tensorflow-metal plugin failed to load"


def _doubled_relu(tf, shape):
    return tf.function(lambda x: tf.nn.relu(x) * 2.0, input_signature=[tf.TensorSpec(shape, tf.float32)],
                       autograph=False)


def check_saved_model_roundtrip(tf, target):
    module = tf.Module()
    module.double = _doubled_relu(tf, [None, 3])
    x = tf.constant([[1.0, -1.0, 2.0]])
    with tempfile.TemporaryDirectory() as folder:
        tf.saved_model.save(module, folder)
        loaded = tf.saved_model.load(folder)  # no Python class: the graph and weights only
        value = loaded.double(x).numpy().tolist()
    ok = value == [[2.0, 0.0, 4.0]]
    return ("pass" if ok else "fail"), "saved a SavedModel, loaded it without its code and ran it: %s" % value


def check_keras_export(tf, target):
    keras = tf.keras
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(2)])
    x = tf.ones((1, 4))
    with tempfile.TemporaryDirectory() as folder:
        model.export(folder, verbose=False)
        restored = tf.saved_model.load(folder)  # kept: its variables live as long as it does
        served = restored.serve(x).numpy()
    same = bool(abs(served - model(x).numpy()).max() < 1e-5)
    return ("pass" if same else "fail"), "Model.export wrote a SavedModel whose serve function gave %s output" % (
        "the model's" if same else "a different")


def check_litert_convert(tf, target):
    function = _doubled_relu(tf, [1, 3])
    converter = tf.lite.TFLiteConverter.from_concrete_functions([function.get_concrete_function()], function)
    flat = converter.convert()
    interpreter = tf.lite.Interpreter(model_content=flat)
    interpreter.allocate_tensors()
    given, wanted = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    interpreter.set_tensor(given["index"], tf.constant([[1.0, -1.0, 2.0]]).numpy())
    interpreter.invoke()
    value = interpreter.get_tensor(wanted["index"]).tolist()
    ok = value == [[2.0, 0.0, 4.0]]
    return ("pass" if ok else "fail"), "tf.lite converted a function to a %d-byte .tflite model that ran: %s" % (
        len(flat), value)


CHECKS = common.checks_in(globals(), "tensorflow", _module_path)


if __name__ == "__main__":
    common.serve(FRAMEWORK, "tensorflow", _import_tensorflow, CHECKS, probe, bench)
