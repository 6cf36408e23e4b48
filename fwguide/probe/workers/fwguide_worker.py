"""What every framework worker does the same way: the request loop, result frames, checks, timing.

A worker imports it as `fwguide_worker`: it sits beside the built-in workers, and the
runner puts its folder on the PYTHONPATH of every worker it starts, so a worker kept
elsewhere finds it too. It imports only the standard library and runs on any Python >= 3.9.
A worker supplies what differs: its framework's import, the parts of its probe (`probe` here runs
them in one order for every framework), of its benchmark (`bench`) and its checks (functions named
check_<name>, gathered by checks_in).
On import it takes the workers' folders off sys.path: they hold workers, never a framework.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import platform
import re
import statistics
import sys
import threading
import time
import warnings

PROTOCOL = 1
_HERE = os.path.dirname(os.path.abspath(__file__))
if sys.path and sys.argv and os.path.abspath(sys.path[0] or ".") == os.path.dirname(os.path.abspath(sys.argv[0])):
    sys.path.pop(0)  # the running worker's own folder
sys.path[:] = [p for p in sys.path if not p or os.path.abspath(p) != _HERE]
CPU_SIZES = (1024, 2048)
GPU_SIZES = (2048, 4096, 8192)
SECONDS_PER_SIZE = {"cpu": 0.3, "gpu": 0.25}
CHECK_SECONDS = 30.0  # a check that runs a real operation gets this long unless the request says otherwise
# The variables as the user set them: a worker may change some before importing its framework (the
# probe must not reserve a shared GPU's memory), and reports what the user's programs would see.
USER_ENV = dict(os.environ)


# --- the request loop and its result frames ---------------------------------------------

def _result_stream():
    """Keep the real stdout for the result; point fd 1 at stderr so nothing else reaches it."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    return os.fdopen(saved, "w", encoding="utf-8")


def _text_safe(value):
    """Strings with bytes that are not UTF-8 (an environment variable, a path) as \\xNN escapes: valid JSON text."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
            return value
        except UnicodeEncodeError:
            try:
                return value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            except UnicodeEncodeError:
                return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {_text_safe(k): _text_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_text_safe(v) for v in value]
    return value


def _emit(stream, nonce, payload):
    try:
        text = json.dumps(_text_safe(payload), allow_nan=False)
    except (TypeError, ValueError) as exc:
        text = json.dumps({"kind": "error", "error": "unserialisable result: %s" % exc})
    stream.write("fwguide-frame-begin %s\n%s\nfwguide-frame-end %s\n" % (nonce, text, nonce))
    stream.flush()


def first_line(exc):
    text = str(exc).strip()
    return "%s: %s" % (type(exc).__name__, text.splitlines()[0]) if text else type(exc).__name__


def import_framework(module, importer):
    """(framework, None) or (None, (kind, message)); kind is "missing" or "error"."""
    try:
        return importer(), None
    except ModuleNotFoundError as exc:
        if exc.name == module:
            return None, ("missing", first_line(exc))
        return None, ("error", first_line(exc))
    except Exception as exc:  # a broken install fails with anything: OSError for a missing .so, RuntimeError
        return None, ("error", first_line(exc))


def _import_status(failure):
    return {
        "installed": failure is None or failure[0] != "missing",
        "import_error": failure[1] if failure and failure[0] == "error" else None,
    }


def serve(framework, module, importer, checks, probe, bench):
    """Answer the one request on stdin, then leave at once.

    importer() imports `module` (the framework) and returns it; checks maps a check name
    to check(fw, target); probe(fw, failure, import_s) and bench(fw, probe_result) build
    the probe and benchmark results.
    """
    _answer(framework, module, importer, checks, probe, bench)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # the result is out: skip the framework's slow (and sometimes crashing) interpreter teardown


def _answer(framework, module, importer, checks, probe, bench):
    stream = _result_stream()
    try:
        request = json.loads(sys.stdin.readline() or "{}")
    except ValueError:
        request = {}
    nonce = str(request.get("nonce", ""))
    started = time.perf_counter()
    fw, failure = import_framework(module, importer)
    import_s = time.perf_counter() - started
    if request.get("mode") == "checks":
        seconds = float(request.get("check_seconds") or CHECK_SECONDS)
        _emit(stream, nonce, run_checks(framework, checks, fw, failure, request.get("checks", []), seconds))
        return
    result = probe(fw, failure, import_s)
    _emit(stream, nonce, result)
    if fw is not None and request.get("bench") and sys.stdin.readline().strip() == "go":
        _emit(stream, nonce, bench(fw, result))


# --- the probe ---------------------------------------------------------------------------

def probe_header(framework, failure, env_names):
    """The start of a probe result: the interpreter, whether the framework imported, the variables it sees."""
    return {
        "kind": "probe", "protocol": PROTOCOL, "framework": framework,
        "python": {"version": platform.python_version(), "executable": sys.executable, "machine": platform.machine()},
        **_import_status(failure),
        "env": {k: v for k, v in USER_ENV.items() if k in env_names},
    }


def cpu_device(name="CPU"):
    return {"kind": "cpu", "index": 0, "name": name}


def probe(framework, fw, failure, import_s, *, env, packages, version, build, devices, warm_up, memory=None,
          tf32=None, backend=None, cpu=lambda fw: cpu_device()):
    """A probe result in the same order for every framework, from the framework's own parts.

    env: the variables to report; packages: the distributions whose versions to report;
    version(fw); build(fw, packages) -> {"flavour", "label", ...}; devices(fw, build) ->
    (devices, accelerator_error), the CPU first; warm_up(fw, device) runs a first operation on
    the first accelerator (else the CPU) and waits for it, timed with devices() as device_init_s;
    memory(fw, devices) -> how it takes GPU memory, or None; tf32(fw) -> whether fp32 matmuls use
    TF32 by default (asked of a CUDA build); backend(fw) -> the platform it runs on by default;
    cpu(fw) -> the CPU device to report when the devices fail.
    """
    result = probe_header(framework, failure, env)
    if fw is None:
        return result
    result["import_s"] = round(import_s, 4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        found = package_versions(packages)
        result.update(version=version(fw), packages=found)
        kind = build(fw, found)
        result["build"] = kind
        started = time.perf_counter()
        try:
            listed, error = devices(fw, kind)
            accelerators = [d for d in listed if d["kind"] != "cpu"]
            warm_up(fw, accelerators[0] if accelerators else listed[0])
            result["device_init_s"] = round(time.perf_counter() - started, 4)
        except Exception as exc:  # a device that fails to initialise is a finding, not a crash
            listed, error = [cpu(fw)], first_line(exc)
        result["devices"] = listed
        if error:
            result["accelerator_error"] = error
        policy = memory(fw, listed) if memory else None
        if policy:
            result["memory_growth"] = policy
        if tf32 and (kind["flavour"] == "cuda" or any(d["kind"] == "cuda" for d in listed)):
            result["tf32_default"] = bool(tf32(fw))
        if backend:
            result["backend"] = backend(fw)
    result["warnings"] = warning_lines(caught)
    if result.get("accelerator_error") and result["warnings"]:
        result["accelerator_error"] += ": " + result["warnings"][0]
    return result


def warning_lines(caught):
    """The first line of each of the first five non-empty warnings recorded."""
    return [str(w.message).strip().splitlines()[0] for w in caught if str(w.message).strip()][:5]


def package_versions(names):
    from importlib import metadata

    found = {}
    for name in names:
        with contextlib.suppress(Exception):  # not installed, or broken metadata: simply not reported
            found[name] = metadata.version(name)
    return found


def numbers(version):
    return tuple(int(part) for part in re.findall(r"\d+", str(version).split("+")[0])[:3])


# --- the benchmark -----------------------------------------------------------------------

def measure(run, sync, flops, seconds):
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


def bench(probe_result, *, device, dtypes, samples, tf32_default, set_tf32, tf32_note):
    """Matmul TFLOPS per precision on the first accelerator the probe found, else on the CPU.

    device(target) names the probed device for the framework; dtypes are its (float32,
    bfloat16, float16); samples(device, dtype, n, seconds) measures one n x n matmul;
    tf32_default(target) is the TF32 switch as found, None where it is not to be touched,
    and set_tf32(enabled) flips it; tf32_note says what the framework does by default.
    """
    accelerators = [d for d in probe_result.get("devices", []) if d["kind"] != "cpu"]
    target = accelerators[0] if accelerators else probe_result["devices"][0]
    name = device(target)
    float32, bfloat16, float16 = dtypes
    plans = [("fp32", float32, False)]
    note = ""
    if target["kind"] == "cuda":
        note = tf32_note
        if numbers(target.get("compute_capability") or "0") >= (8, 0):  # TF32 tensor cores start at 8.0
            plans.append(("tf32", float32, True))
    if accelerators and target.get("bf16"):
        plans.append(("bf16", bfloat16, None))
    if accelerators and target.get("fp16"):
        plans.append(("fp16", float16, None))
    sizes = GPU_SIZES if accelerators else CPU_SIZES
    seconds = SECONDS_PER_SIZE["gpu" if accelerators else "cpu"]
    results = []
    default_tf32 = tf32_default(target)
    try:
        for precision, dtype, tf32 in plans:
            if tf32 is not None and default_tf32 is not None:
                set_tf32(tf32)
            per_size = {n: samples(name, dtype, n, seconds) for n in sizes}
            # Reported at the largest size, the same for every framework, so their rows compare.
            n = sizes[-1]
            results.append({
                "device": name, "precision": precision, "size": n, "sizes": list(sizes),
                "tflops_best": round(max(per_size[n]), 4), "tflops_median": round(statistics.median(per_size[n]), 4),
                "samples": sum(len(s) for s in per_size.values()),
            })
    except Exception as exc:  # out of memory, an unsupported dtype: keep what was measured
        return {"kind": "bench", "results": results, "tf32_note": note, "error": first_line(exc)}
    finally:
        if default_tf32 is not None:
            set_tf32(default_tf32)
    return {"kind": "bench", "results": results, "tf32_note": note}


# --- live checks -------------------------------------------------------------------------

def generic_checks(module, module_path=None):
    """has_attr, module_importable and version_at_least for the framework imported as `module`.

    module_path(target) splits a dotted target into importable names (to resolve an alias
    such as tf.); by default it splits on dots.
    """
    split = module_path or (lambda target: target.split("."))

    def has_attr(fw, target):
        # Walk attributes from the root and import a submodule only where an attribute is missing:
        # importing the longest prefix first can pick an internal package that shadows the public
        # API (tensorflow.distribute is not tf.distribute).
        parts = split(target)
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
                    ".".join(parts[:index]), name, module_name, first_line(exc))
        return "pass", "%s is a %s" % (target, type(obj).__name__)

    def module_importable(fw, target):
        try:
            importlib.import_module(".".join(split(target)))
        except ImportError as exc:
            return "fail", first_line(exc)
        return "pass", "%s imports" % target

    def version_at_least(fw, target):
        have, want = numbers(fw.__version__), numbers(target)
        ok = have + (0,) * (3 - len(have)) >= want + (0,) * (3 - len(want))
        return ("pass" if ok else "fail"), "%s %s %s %s" % (module, fw.__version__, ">=" if ok else "<", target)

    return {"has_attr": has_attr, "module_importable": module_importable, "version_at_least": version_at_least}


def checks_in(namespace, module, module_path=None):
    """A worker's check table: the generic checks, and each function of `namespace` named check_<name>."""
    found = {name[len("check_"):]: value for name, value in namespace.items()
             if name.startswith("check_") and callable(value)}
    return {**generic_checks(module, module_path), **found}


def run_checks(framework, table, fw, failure, checks, seconds=CHECK_SECONDS):
    """Run each requested check from `table`, each within `seconds`; an unknown, broken or slow check is an
    error, and the others still run."""
    result = {
        "kind": "checks", "protocol": PROTOCOL, "framework": framework, **_import_status(failure),
        "version": getattr(fw, "__version__", None), "results": [],
    }
    if fw is None:
        return result
    for item in checks:
        function = table.get(item.get("check"))
        if function is None:
            result["results"].append({"status": "error", "detail": "unknown check %r" % item.get("check")})
            continue
        status, detail = _within(seconds, function, fw, item.get("target"))
        result["results"].append({"status": status, "detail": detail})
    return result


def _within(seconds, function, fw, target):
    """function(fw, target) run in a thread of its own, so that one that hangs costs `seconds`, not the run."""
    outcome = []

    def run():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                outcome.append(function(fw, target))
        except Exception as exc:  # a check that breaks is reported as an error, the others still run
            outcome.append(("error", first_line(exc)))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if not outcome:
        return "error", "no result within %g s; the check was abandoned" % seconds
    return outcome[0]
