"""Probe TensorFlow in the interpreter that runs this file; print one JSON result between marker lines.

Usage: PYTHON tensorflow_worker.py, with one JSON request line on stdin:
  {"mode": "probe", "bench": true, "nonce": "..."}   versions, devices, memory policy, then
                                                      (after a "go" line on stdin) a matmul benchmark
  {"mode": "checks", "checks": [{"check": ..., "target": ...}], "nonce": "..."}
It imports only the standard library and tensorflow, so any Python >= 3.9 runs it, with
or without fwguide installed. TensorFlow's C++ logs are silenced; anything else it
prints goes to stderr.
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import re
import statistics
import sys
import time
import warnings

FRAMEWORK = "tensorflow"
PROTOCOL = 1
CPU_SIZES = (1024, 2048)
GPU_SIZES = (2048, 4096, 8192)
SECONDS_PER_SIZE = {"cpu": 0.3, "gpu": 0.25}
GROWTH_FIX = ("call tf.config.experimental.set_memory_growth(gpu, True) for each GPU before first use, "
              "or set TF_FORCE_GPU_ALLOW_GROWTH=true")

_here = os.path.dirname(os.path.abspath(__file__))
if sys.path and os.path.abspath(sys.path[0] or ".") == _here:
    sys.path.pop(0)  # this folder holds other workers, never the framework


def _result_stream():
    """Keep the real stdout for the result; point fd 1 at stderr so nothing else reaches it."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    return os.fdopen(saved, "w", encoding="utf-8")


def _emit(stream, nonce, payload):
    try:
        text = json.dumps(payload, allow_nan=False)
    except (TypeError, ValueError) as exc:
        text = json.dumps({"kind": "error", "error": "unserialisable result: %s" % exc})
    stream.write("fwguide-frame-begin %s\n%s\nfwguide-frame-end %s\n" % (nonce, text, nonce))
    stream.flush()


def _first_line(exc):
    text = str(exc).strip()
    return "%s: %s" % (type(exc).__name__, text.splitlines()[0]) if text else type(exc).__name__


def _import_tensorflow():
    """(tf, None) or (None, (kind, message)); kind is "missing" or "error"."""
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    try:
        import tensorflow as tf
    except ModuleNotFoundError as exc:
        if exc.name == "tensorflow":
            return None, ("missing", _first_line(exc))
        return None, ("error", _first_line(exc))
    except Exception as exc:  # a broken install fails with anything: OSError for a missing .so, RuntimeError
        return None, ("error", _first_line(exc))
    return tf, None


def _package_versions(names):
    from importlib import metadata

    found = {}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except Exception:  # not installed, or broken metadata: simply not reported
            pass
    return found


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


def _numbers(version):
    return tuple(int(part) for part in re.findall(r"\d+", str(version).split("+")[0])[:3])


def _memory_growth(tf, gpus):
    forced = os.environ.get("TF_FORCE_GPU_ALLOW_GROWTH", "").lower() == "true"
    if not gpus:
        default = "memory growth forced on by TF_FORCE_GPU_ALLOW_GROWTH" if forced else \
            "on a GPU it would reserve nearly all of its memory (memory growth is off by default)"
        return {"grabs_all_memory": None, "detail": "no GPU visible to TensorFlow; " + default, "fix": "" if forced else GROWTH_FIX}
    configured = [tf.config.experimental.get_memory_growth(gpu) for gpu in gpus]
    if forced or all(configured):
        return {"grabs_all_memory": False, "detail": "memory growth is on: TensorFlow allocates GPU memory as needed"}
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


def _devices(tf, build, result):
    """Fill devices, memory_growth and device_init_s; the first GPU is initialised and timed."""
    gpus = tf.config.list_physical_devices("GPU")
    result["memory_growth"] = _memory_growth(tf, gpus)
    for gpu in gpus:
        # the probe itself must not take a shared GPU's whole memory
        tf.config.experimental.set_memory_growth(gpu, True)
    devices = [{"kind": "cpu", "index": 0, "name": "CPU"}] + _gpu_devices(tf, gpus, build)
    if build["flavour"] in ("cuda", "rocm") and not gpus:
        result["accelerator_error"] = "tf.config.list_physical_devices('GPU') is empty"
    started = time.perf_counter()
    with tf.device("/GPU:0" if gpus else "/CPU:0"):
        (tf.constant(1.0) + 1.0).numpy()
    result["device_init_s"] = round(time.perf_counter() - started, 4)
    result["devices"] = devices
    if any(d["kind"] == "cuda" for d in devices):
        result["tf32_default"] = bool(tf.config.experimental.tensor_float_32_execution_enabled())


def probe(tf, failure, import_s):
    result = {
        "kind": "probe", "protocol": PROTOCOL, "framework": FRAMEWORK,
        "python": {"version": platform.python_version(), "executable": sys.executable, "machine": platform.machine()},
        "installed": failure is None or failure[0] != "missing",
        "import_error": failure[1] if failure and failure[0] == "error" else None,
        "env": {k: v for k, v in os.environ.items()
                if k in ("CUDA_VISIBLE_DEVICES", "TF_FORCE_GPU_ALLOW_GROWTH", "TF_USE_LEGACY_KERAS")},
    }
    if tf is None:
        return result
    result["import_s"] = round(import_s, 4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        packages = _package_versions(("keras", "tf-keras", "tensorflow-metal", "nvidia-cudnn-cu12"))
        result.update(version=tf.__version__, packages=packages)
        build = _build(tf, packages)
        result["build"] = build
        try:
            _devices(tf, build, result)
        except Exception as exc:  # a device that fails to initialise is a finding, not a crash
            result["devices"] = [{"kind": "cpu", "index": 0, "name": "CPU"}]
            result["accelerator_error"] = _first_line(exc)
    result["warnings"] = [str(w.message).strip().splitlines()[0] for w in caught if str(w.message).strip()][:5]
    return result


def _measure(run, sync, flops, seconds):
    """TFLOPS per timed batch: warm up, size batches to ~50 ms, synchronise around each."""
    run()
    run()
    sync()
    started = time.perf_counter()
    run()
    sync()
    reps = max(1, min(1000, int(0.05 / max(time.perf_counter() - started, 1e-6))))
    samples = []
    deadline = time.perf_counter() + seconds
    while len(samples) < 3 or (len(samples) < 25 and time.perf_counter() < deadline):
        started = time.perf_counter()
        for _ in range(reps):
            run()
        sync()
        samples.append(flops * reps / (time.perf_counter() - started) / 1e12)
    return samples


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

        return _measure(run, sync, 2.0 * n ** 3, seconds)


def bench(tf, probe_result):
    accelerators = [d for d in probe_result.get("devices", []) if d["kind"] != "cpu"]
    target = accelerators[0] if accelerators else probe_result["devices"][0]
    device = "/GPU:%d" % target["index"] if accelerators else "/CPU:0"
    plans = [("fp32", tf.float32, False)]
    tf32_note = ""
    if target["kind"] == "cuda":
        tf32_note = "TensorFlow turns TF32 on for fp32 matmuls by default; fp32 ran with it off, tf32 with it on"
        if _numbers(target.get("compute_capability") or "0") >= (8, 0):  # TF32 tensor cores start at 8.0
            plans.append(("tf32", tf.float32, True))
    if accelerators and target.get("bf16"):
        plans.append(("bf16", tf.bfloat16, None))
    if accelerators and target.get("fp16"):
        plans.append(("fp16", tf.float16, None))
    sizes = GPU_SIZES if accelerators else CPU_SIZES
    seconds = SECONDS_PER_SIZE["gpu" if accelerators else "cpu"]
    default_tf32 = tf.config.experimental.tensor_float_32_execution_enabled()
    results = []
    try:
        for precision, dtype, tf32 in plans:
            if tf32 is not None:
                tf.config.experimental.enable_tensor_float_32_execution(tf32)
            per_size = {n: _matmul_samples(tf, device, dtype, n, seconds) for n in sizes}
            best_n = max(per_size, key=lambda n: max(per_size[n]))
            results.append({
                "device": device, "precision": precision, "size": best_n, "sizes": list(sizes),
                "tflops_best": round(max(per_size[best_n]), 4), "tflops_median": round(statistics.median(per_size[best_n]), 4),
                "samples": sum(len(s) for s in per_size.values()),
            })
    except Exception as exc:  # out of memory, an unsupported dtype: keep what was measured
        return {"kind": "bench", "results": results, "tf32_note": tf32_note, "error": _first_line(exc)}
    finally:
        tf.config.experimental.enable_tensor_float_32_execution(default_tf32)
    return {"kind": "bench", "results": results, "tf32_note": tf32_note}


# --- live checks -------------------------------------------------------------------------

def _module_path(target):
    parts = target.split(".")
    return ["tensorflow"] + parts[1:] if parts[0] == "tf" else parts


def check_has_attr(tf, target):
    # Walk attributes from the root and import a submodule only where an attribute is missing:
    # importing the longest prefix first can pick an internal package that shadows the public
    # API (tensorflow.distribute is not tf.distribute).
    parts = _module_path(target)
    obj = importlib.import_module(parts[0])
    for index, name in enumerate(parts[1:], start=1):
        if hasattr(obj, name):
            obj = getattr(obj, name)
            continue
        module_name = ".".join(parts[:index + 1])
        try:
            obj = importlib.import_module(module_name)
        except ImportError as exc:
            return "fail", "%s has no attribute %r (importing %s failed: %s)" % (
                ".".join(parts[:index]), name, module_name, _first_line(exc))
    return "pass", "%s is a %s" % (target, type(obj).__name__)


def check_module_importable(tf, target):
    try:
        importlib.import_module(".".join(_module_path(target)))
    except ImportError as exc:
        return "fail", _first_line(exc)
    return "pass", "%s imports" % target


def check_version_at_least(tf, target):
    have, want = _numbers(tf.__version__), _numbers(target)
    ok = have + (0,) * (3 - len(have)) >= want + (0,) * (3 - len(want))
    return ("pass" if ok else "fail"), "tensorflow %s %s %s" % (tf.__version__, ">=" if ok else "<", target)


def check_eager_by_default(tf, target):
    value = (tf.constant(1) + 1).numpy()
    ok = tf.executing_eagerly() and int(value) == 2
    return ("pass" if ok else "fail"), "tf.executing_eagerly() is %s; tf.constant(1) + 1 gave %s" % (tf.executing_eagerly(), value)


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
    growth = _memory_growth(tf, gpus)
    if growth["grabs_all_memory"] is None:
        forced = os.environ.get("TF_FORCE_GPU_ALLOW_GROWTH", "").lower() == "true"
        return ("fail" if forced else "pass"), growth["detail"]
    return ("pass" if growth["grabs_all_memory"] else "fail"), "%d GPU(s): %s" % (len(gpus), growth["detail"])


def check_built_with_cuda(tf, target):
    info = tf.sysconfig.get_build_info()
    if info.get("is_cuda_build"):
        return "pass", "built with CUDA %s and cuDNN %s" % (info.get("cuda_version"), info.get("cudnn_version"))
    return "fail", "this build has no CUDA"


def check_mps_available(tf, target):
    if sys.platform != "darwin":
        return "fail", "not a Mac: TensorFlow uses Apple GPUs only through the tensorflow-metal plugin on macOS"
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        return "pass", "the tensorflow-metal plugin gives TensorFlow %d GPU device(s)" % len(gpus)
    return "fail", "no Metal GPU device: the tensorflow-metal plugin is missing or failed to load"


CHECKS = {
    "has_attr": check_has_attr,
    "module_importable": check_module_importable,
    "version_at_least": check_version_at_least,
    "eager_by_default": check_eager_by_default,
    "function_traces_graph": check_function_traces_graph,
    "keras_is_v3": check_keras_is_v3,
    "memory_growth_default": check_memory_growth_default,
    "built_with_cuda": check_built_with_cuda,
    "mps_available": check_mps_available,
}


def run_checks(tf, failure, checks):
    result = {
        "kind": "checks", "protocol": PROTOCOL, "framework": FRAMEWORK,
        "installed": failure is None or failure[0] != "missing",
        "import_error": failure[1] if failure and failure[0] == "error" else None,
        "version": getattr(tf, "__version__", None), "results": [],
    }
    if tf is None:
        return result
    for item in checks:
        function = CHECKS.get(item.get("check"))
        if function is None:
            result["results"].append({"status": "error", "detail": "unknown check %r" % item.get("check")})
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                status, detail = function(tf, item.get("target"))
        except Exception as exc:  # a check that breaks is reported as an error, the others still run
            status, detail = "error", _first_line(exc)
        result["results"].append({"status": status, "detail": detail})
    return result


def main():
    stream = _result_stream()
    try:
        request = json.loads(sys.stdin.readline() or "{}")
    except ValueError:
        request = {}
    nonce = str(request.get("nonce", ""))
    started = time.perf_counter()
    tf, failure = _import_tensorflow()
    import_s = time.perf_counter() - started
    if request.get("mode") == "checks":
        _emit(stream, nonce, run_checks(tf, failure, request.get("checks", [])))
        return
    result = probe(tf, failure, import_s)
    _emit(stream, nonce, result)
    if tf is not None and request.get("bench") and sys.stdin.readline().strip() == "go":
        _emit(stream, nonce, bench(tf, result))


if __name__ == "__main__":
    main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # the result is out: skip the framework's slow (and sometimes crashing) interpreter teardown
