"""Probe PyTorch in the interpreter that runs this file; print one JSON result between marker lines.

Usage: PYTHON torch_worker.py, with one JSON request line on stdin:
  {"mode": "probe", "bench": true, "nonce": "..."}   versions, devices, then (after a "go"
                                                      line on stdin) a matmul benchmark
  {"mode": "checks", "checks": [{"check": ..., "target": ...}], "nonce": "..."}
It imports only the standard library and torch, so any Python >= 3.9 runs it, with or
without fwguide installed. Everything torch prints goes to stderr.
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

FRAMEWORK = "pytorch"
PROTOCOL = 1
CPU_SIZES = (1024, 2048)
GPU_SIZES = (2048, 4096, 8192)
SECONDS_PER_SIZE = {"cpu": 0.3, "gpu": 0.25}

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


def _import_torch():
    """(torch, None) or (None, (kind, message)); kind is "missing" or "error"."""
    try:
        import torch
    except ModuleNotFoundError as exc:
        if exc.name == "torch":
            return None, ("missing", _first_line(exc))
        return None, ("error", _first_line(exc))
    except Exception as exc:  # a broken install fails with anything: OSError for a missing .so, RuntimeError
        return None, ("error", _first_line(exc))
    return torch, None


def _cudnn_version(raw):
    # cuDNN 9 encodes major*10000 + minor*100 + patch; earlier releases major*1000 + minor*100 + patch
    if not raw:
        return None
    major, rest = (raw // 10000, raw % 10000) if raw >= 90000 else (raw // 1000, raw % 1000)
    return "%d.%d.%d" % (major, rest // 100, rest % 100)


def _build(torch):
    cuda = getattr(torch.version, "cuda", None)
    hip = getattr(torch.version, "hip", None)
    mps = getattr(torch.backends, "mps", None)
    if hip:
        rocm = ".".join(str(hip).split(".")[:2])
        return {"flavour": "rocm", "label": "ROCm " + rocm, "rocm": rocm}
    if cuda:
        cudnn = None
        if torch.backends.cudnn.is_available():
            cudnn = _cudnn_version(torch.backends.cudnn.version())
        return {"flavour": "cuda", "label": "CUDA " + cuda, "cuda": cuda, "cudnn": cudnn}
    if mps is not None and mps.is_built():
        return {"flavour": "mps", "label": "MPS (Apple Metal)"}
    return {"flavour": "cpu", "label": "CPU only"}


def _cpu_device(torch):
    capability = getattr(getattr(torch.backends, "cpu", None), "get_cpu_capability", lambda: "")()
    name = "CPU (%s)" % capability if capability else "CPU"
    return {"kind": "cpu", "index": 0, "name": name}


def _gpu_devices(torch, build):
    kind = "rocm" if build["flavour"] == "rocm" else "cuda"
    devices = []
    for index in range(torch.cuda.device_count()):
        props = torch.cuda.get_device_properties(index)
        cc = (props.major, props.minor)
        if kind == "rocm":
            bf16 = bool(torch.cuda.is_bf16_supported())
            capability = getattr(props, "gcnArchName", None)
        else:
            bf16 = cc >= (8, 0)  # below 8.0 bf16 is emulated: slower than fp32, so not "supported"
            capability = "%d.%d" % cc
        devices.append({
            "kind": kind, "index": index, "name": props.name, "memory_gib": round(props.total_memory / 2 ** 30, 2),
            "compute_capability": capability, "bf16": bf16, "fp16": kind == "rocm" or cc >= (5, 3),
        })
    return devices


def _mps_device(torch):
    memory = None
    if hasattr(torch, "mps") and hasattr(torch.mps, "recommended_max_memory"):
        memory = round(torch.mps.recommended_max_memory() / 2 ** 30, 2)
    try:
        torch.ones(1, device="mps", dtype=torch.bfloat16)
        bf16 = True
    except (RuntimeError, TypeError):  # bf16 on mps needs macOS 14
        bf16 = False
    return {"kind": "mps", "index": 0, "name": "Apple GPU (Metal)", "memory_gib": memory, "bf16": bf16, "fp16": True}


def _sync(torch, device):
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    elif device == "mps":
        torch.mps.synchronize()


def _devices(torch, build, result):
    """Fill devices, accelerator_error and device_init_s; the first accelerator is initialised and timed."""
    devices = [_cpu_device(torch)]
    accelerator = None
    if build["flavour"] in ("cuda", "rocm"):
        if torch.cuda.is_available():
            devices += _gpu_devices(torch, build)
            accelerator = "cuda:0"
        else:
            result["accelerator_error"] = "torch.cuda.is_available() is False"
    elif build["flavour"] == "mps":
        if torch.backends.mps.is_available():
            devices.append(_mps_device(torch))
            accelerator = "mps"
        else:
            result["accelerator_error"] = "torch.backends.mps.is_available() is False"
    started = time.perf_counter()
    torch.zeros(1, device=accelerator or "cpu").add_(1)
    _sync(torch, accelerator or "cpu")
    result["device_init_s"] = round(time.perf_counter() - started, 4)
    result["devices"] = devices


def _tf32_enabled(torch):
    matmul = torch.backends.cuda.matmul
    if hasattr(matmul, "fp32_precision"):
        return matmul.fp32_precision == "tf32"
    return bool(matmul.allow_tf32)


def _set_tf32(torch, enabled):
    matmul = torch.backends.cuda.matmul
    if hasattr(matmul, "fp32_precision"):
        matmul.fp32_precision = "tf32" if enabled else "ieee"
    else:
        matmul.allow_tf32 = enabled


def _package_versions(names):
    from importlib import metadata

    found = {}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except Exception:  # not installed, or broken metadata: simply not reported
            pass
    return found


def probe(torch, failure, import_s):
    result = {
        "kind": "probe", "protocol": PROTOCOL, "framework": FRAMEWORK,
        "python": {"version": platform.python_version(), "executable": sys.executable, "machine": platform.machine()},
        "installed": failure is None or failure[0] != "missing",
        "import_error": failure[1] if failure and failure[0] == "error" else None,
        "env": {k: v for k, v in os.environ.items() if k in ("CUDA_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES")},
    }
    if torch is None:
        return result
    result["import_s"] = round(import_s, 4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result["version"] = torch.__version__
        build = _build(torch)
        result["build"] = build
        try:
            _devices(torch, build, result)
        except Exception as exc:  # a device that fails to initialise is a finding, not a crash
            result["devices"] = [_cpu_device(torch)]
            result["accelerator_error"] = _first_line(exc)
        if build["flavour"] == "cuda":
            result["tf32_default"] = _tf32_enabled(torch)
    result["packages"] = _package_versions(("torchvision", "torchaudio", "triton", "nvidia-cudnn-cu12"))
    result["warnings"] = [str(w.message).strip().splitlines()[0] for w in caught if str(w.message).strip()][:5]
    if result.get("accelerator_error") and result["warnings"]:
        result["accelerator_error"] += ": " + result["warnings"][0]
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


def bench(torch, probe_result):
    accelerators = [d for d in probe_result.get("devices", []) if d["kind"] != "cpu"]
    target = accelerators[0] if accelerators else probe_result["devices"][0]
    device = {"cuda": "cuda:%d" % target["index"], "rocm": "cuda:%d" % target["index"]}.get(target["kind"], target["kind"])
    plans = [("fp32", torch.float32, False)]
    tf32_note = ""
    if target["kind"] == "cuda":
        tf32_note = "torch leaves TF32 off for fp32 matmuls by default; fp32 ran with it off, tf32 with it on"
        if _numbers(target.get("compute_capability") or "0") >= (8, 0):  # TF32 tensor cores start at 8.0
            plans.append(("tf32", torch.float32, True))
    if accelerators and target.get("bf16"):
        plans.append(("bf16", torch.bfloat16, None))
    if accelerators and target.get("fp16"):
        plans.append(("fp16", torch.float16, None))
    sizes = GPU_SIZES if accelerators else CPU_SIZES
    seconds = SECONDS_PER_SIZE["gpu" if accelerators else "cpu"]
    results = []
    default_tf32 = _tf32_enabled(torch) if target["kind"] == "cuda" else None
    try:
        for precision, dtype, tf32 in plans:
            if tf32 is not None and target["kind"] == "cuda":
                _set_tf32(torch, tf32)
            per_size = {}
            for n in sizes:
                a = torch.randn(n, n, device=device, dtype=dtype)
                b = torch.randn(n, n, device=device, dtype=dtype)
                out = torch.empty(n, n, device=device, dtype=dtype)
                per_size[n] = _measure(lambda: torch.matmul(a, b, out=out), lambda: _sync(torch, device),
                                       2.0 * n ** 3, seconds)
                del a, b, out
            best_n = max(per_size, key=lambda n: max(per_size[n]))
            results.append({
                "device": device, "precision": precision, "size": best_n, "sizes": list(sizes),
                "tflops_best": round(max(per_size[best_n]), 4), "tflops_median": round(statistics.median(per_size[best_n]), 4),
                "samples": sum(len(s) for s in per_size.values()),
            })
    except Exception as exc:  # out of memory, an unsupported dtype: keep what was measured
        return {"kind": "bench", "results": results, "tf32_note": tf32_note, "error": _first_line(exc)}
    finally:
        if default_tf32 is not None:
            _set_tf32(torch, default_tf32)
    return {"kind": "bench", "results": results, "tf32_note": tf32_note}


# --- live checks -------------------------------------------------------------------------

def _numbers(version):
    return tuple(int(part) for part in re.findall(r"\d+", version.split("+")[0])[:3])


def check_has_attr(torch, target):
    # Walk attributes from the root and import a submodule only where an attribute is missing:
    # importing the longest prefix first can pick an internal package that shadows the public
    # API (tensorflow.distribute is not tf.distribute).
    parts = target.split(".")
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


def check_module_importable(torch, target):
    try:
        importlib.import_module(target)
    except ImportError as exc:
        return "fail", _first_line(exc)
    return "pass", "%s imports" % target


def check_version_at_least(torch, target):
    have, want = _numbers(torch.__version__), _numbers(target)
    ok = have + (0,) * (3 - len(have)) >= want + (0,) * (3 - len(want))
    return ("pass" if ok else "fail"), "torch %s %s %s" % (torch.__version__, ">=" if ok else "<", target)


def check_eager_by_default(torch, target):
    value = (torch.ones(2) + 1).tolist()
    ok = value == [2.0, 2.0]
    return ("pass" if ok else "fail"), "torch.ones(2) + 1 gave %s at once" % value


def check_function_traces_graph(torch, target):
    class Double(torch.nn.Module):
        def forward(self, x):
            return torch.relu(x) * 2

    exported = torch.export.export(Double(), (torch.ones(3),))
    calls = [n for n in exported.graph.nodes if n.op == "call_function"]
    ok = len(calls) >= 2
    return ("pass" if ok else "fail"), "torch.export captured %d operations into a graph" % len(calls)


def check_built_with_cuda(torch, target):
    cuda = getattr(torch.version, "cuda", None)
    return ("pass", "built with CUDA %s" % cuda) if cuda else ("fail", "this build has no CUDA (%s)" % _build(torch)["label"])


def check_mps_available(torch, target):
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "pass", "the mps device is usable"
    built = mps is not None and mps.is_built()
    return "fail", "mps is %s" % ("built in but not usable here (needs Apple Silicon and macOS 12.3+)" if built else "not built into this torch")


CHECKS = {
    "has_attr": check_has_attr,
    "module_importable": check_module_importable,
    "version_at_least": check_version_at_least,
    "eager_by_default": check_eager_by_default,
    "function_traces_graph": check_function_traces_graph,
    "built_with_cuda": check_built_with_cuda,
    "mps_available": check_mps_available,
}


def run_checks(torch, failure, checks):
    result = {
        "kind": "checks", "protocol": PROTOCOL, "framework": FRAMEWORK,
        "installed": failure is None or failure[0] != "missing",
        "import_error": failure[1] if failure and failure[0] == "error" else None,
        "version": getattr(torch, "__version__", None), "results": [],
    }
    if torch is None:
        return result
    for item in checks:
        function = CHECKS.get(item.get("check"))
        if function is None:
            result["results"].append({"status": "error", "detail": "unknown check %r" % item.get("check")})
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                status, detail = function(torch, item.get("target"))
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
    torch, failure = _import_torch()
    import_s = time.perf_counter() - started
    if request.get("mode") == "checks":
        _emit(stream, nonce, run_checks(torch, failure, request.get("checks", [])))
        return
    result = probe(torch, failure, import_s)
    _emit(stream, nonce, result)
    if torch is not None and request.get("bench") and sys.stdin.readline().strip() == "go":
        _emit(stream, nonce, bench(torch, result))


if __name__ == "__main__":
    main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # the result is out: skip the framework's slow (and sometimes crashing) interpreter teardown
