"""Probe JAX in the interpreter that runs this file; print one JSON result between marker lines.

Usage: PYTHON jax_worker.py, with one JSON request line on stdin:
  {"mode": "probe", "bench": true, "nonce": "..."}   versions, backend, devices, memory policy, then
                                                      (after a "go" line on stdin) a matmul benchmark
  {"mode": "checks", "checks": [{"check": ..., "target": ...}], "nonce": "..."}
It imports only the standard library, jax and fwguide_worker.py (the protocol every worker
shares, beside it), so any Python >= 3.9 runs it, with or without fwguide installed.
Anything JAX prints (a missing GPU plugin, say) goes to stderr.
"""

from __future__ import annotations

import os
import re

import fwguide_worker as common  # beside this file; the runner also puts its folder on PYTHONPATH

FRAMEWORK = "jax"
FRACTIONS = ("XLA_CLIENT_MEM_FRACTION", "XLA_PYTHON_CLIENT_MEM_FRACTION")  # the newer name first
ENV = ("CUDA_VISIBLE_DEVICES", "JAX_PLATFORMS", "XLA_PYTHON_CLIENT_PREALLOCATE", "XLA_PYTHON_CLIENT_ALLOCATOR",
       "XLA_FLAGS", *FRACTIONS)
# The distributions that give jaxlib a device: CUDA, ROCm, TPU and Apple's Metal plugins.
PLUGINS = ("jax-cuda13-plugin", "jax-cuda12-plugin", "jax-rocm7-plugin", "jax-rocm60-plugin", "libtpu", "jax-metal")
PREALLOCATION_FIX = ("set XLA_PYTHON_CLIENT_PREALLOCATE=false to allocate as needed, or XLA_CLIENT_MEM_FRACTION "
                     "(older releases read XLA_PYTHON_CLIENT_MEM_FRACTION) to reserve a smaller share")
FULL_FP32 = ("highest", "float32")  # jax_default_matmul_precision values that keep fp32 matmuls in fp32


def _import_jax():
    # The probe itself must not preallocate a shared GPU's memory; what the user's programs do is read from USER_ENV.
    os.environ["XLA_PYTHON_CLIENT_PREALLOCATE"] = "false"
    import jax

    return jax


def _jaxlib_version(jax, packages):
    return getattr(getattr(jax, "lib", None), "__version__", None) or packages.get("jaxlib") or "?"


def _build(jax, packages):
    jaxlib = "jaxlib %s" % _jaxlib_version(jax, packages)
    for name in PLUGINS:
        if name not in packages:
            continue
        plugin = "%s %s, %s" % (name, packages[name], jaxlib)
        cuda = re.match(r"jax-cuda(\d+)-", name)
        if cuda:
            cudnn = packages.get("nvidia-cudnn-cu%s" % cuda.group(1))
            return {"flavour": "cuda", "label": "CUDA %s, %s" % (cuda.group(1), plugin), "cuda": cuda.group(1),
                    "cudnn": cudnn}
        if name.startswith("jax-rocm"):
            return {"flavour": "rocm", "label": "ROCm, %s" % plugin}
        if name == "libtpu":
            return {"flavour": "tpu", "label": "TPU, %s" % plugin}
        return {"flavour": "metal", "label": "Apple Metal, %s" % plugin}
    return {"flavour": "cpu", "label": "CPU only, %s" % jaxlib}


def _kind(device, build):
    platform = device.platform.lower()
    if platform == "tpu":
        return "tpu"
    version = str(getattr(device.client, "platform_version", "")).lower()
    if "rocm" in version or build["flavour"] == "rocm":
        return "rocm"
    if "cuda" in version or build["flavour"] == "cuda":
        return "cuda"
    return "gpu"  # Apple's Metal plugin, or a platform this worker does not know


def _accelerator(device, build):
    kind = _kind(device, build)
    found = {"kind": kind, "index": device.id, "name": device.device_kind}
    capability = getattr(device, "compute_capability", None)
    if kind == "cuda" and capability:
        cc = common.numbers(capability)
        # below 8.0 bf16 is emulated: slower than fp32, so not "supported"
        found.update(compute_capability=str(capability), bf16=cc >= (8, 0), fp16=cc >= (5, 3))
    elif kind == "tpu":
        found.update(bf16=True)  # TPUs compute matmuls in bf16 natively
    return found


def _devices(jax, build):
    devices, error = [common.cpu_device()], None
    backend = jax.default_backend()  # initialises every platform JAX finds
    if backend != "cpu":
        devices += [_accelerator(d, build) for d in jax.devices()]
    elif build["flavour"] != "cpu":
        error = "jax.default_backend() is 'cpu': the installed %s plugin gave JAX no device" % build["flavour"].upper()
    return devices, error


def _device(jax, kind, index):
    """The JAX device a probed device stands for."""
    if kind == "cpu":
        return jax.devices("cpu")[0]
    return next(d for d in jax.devices() if d.id == index)


def _warm_up(jax, device):
    value = jax.device_put(1.0, _device(jax, device["kind"], device["index"])) + 1.0
    value.block_until_ready()


def _memory(jax, devices):
    """What a program of the user's would do with GPU memory, from the variables the user set (docs.jax.dev,
    GPU memory allocation)."""
    env = common.USER_ENV
    fraction = next((env[name] for name in FRACTIONS if env.get(name)), "")
    try:
        share = "%g%%" % (float(fraction) * 100) if fraction else "75%"
    except ValueError:
        share = "75%"
    if not any(d["kind"] in ("cuda", "rocm") for d in devices):
        return {"grabs_all_memory": None, "fix": PREALLOCATION_FIX,
                "detail": "no GPU visible to JAX; on a GPU it would preallocate %s of its memory when it runs its "
                          "first operation" % share}
    if env.get("XLA_PYTHON_CLIENT_ALLOCATOR", "").lower() == "platform":
        return {"grabs_all_memory": False,
                "detail": "XLA_PYTHON_CLIENT_ALLOCATOR=platform: JAX allocates exactly what it needs and frees it "
                          "(slow)"}
    if env.get("XLA_PYTHON_CLIENT_PREALLOCATE", "").lower() in ("false", "0"):
        return {"grabs_all_memory": False,
                "detail": "preallocation is off (XLA_PYTHON_CLIENT_PREALLOCATE=false): JAX allocates GPU memory as "
                          "needed"}
    return {"grabs_all_memory": True, "fix": PREALLOCATION_FIX,
            "detail": "JAX preallocates %s of each GPU's memory when it runs its first operation" % share}


def _precision(jax):
    return jax.config.jax_default_matmul_precision or "default"


def probe(jax, failure, import_s):
    return common.probe(
        FRAMEWORK, jax, failure, import_s, env=ENV,
        packages=("jax", "jaxlib", "nvidia-cudnn-cu12", "nvidia-cudnn-cu13", *PLUGINS),
        version=lambda jax: jax.__version__, build=_build, devices=_devices, warm_up=_warm_up, memory=_memory,
        tf32=lambda jax: _precision(jax) not in FULL_FP32, backend=lambda jax: jax.default_backend(),
    )


def _matmul_samples(jax, name, dtype, n, seconds):
    kind, _, index = name.partition(":")
    device = _device(jax, kind, int(index or 0))
    first, second = jax.random.split(getattr(jax.random, "key", jax.random.PRNGKey)(0))
    a = jax.device_put(jax.random.normal(first, (n, n)), device).astype(dtype)
    b = jax.device_put(jax.random.normal(second, (n, n)), device).astype(dtype)
    matmul = jax.jit(lambda x, y: x @ y)  # traced again for each precision: the setting is part of its cache key
    last = [a]

    def run():
        last[0] = matmul(a, b)

    def sync():
        # JAX dispatches asynchronously and one device runs its work in order: the last product waits for all
        last[0].block_until_ready()

    return common.measure(run, sync, 2.0 * n ** 3, seconds)


def _set_precision(jax, value):
    """True: fp32 matmuls may use TF32; False: full fp32; otherwise the setting as it was."""
    setting = {True: "tensorfloat32", False: "float32"}.get(value, value) if isinstance(value, bool) else value
    jax.config.update("jax_default_matmul_precision", setting)


def bench(jax, probe_result):
    import jax.numpy as jnp

    return common.bench(
        probe_result,
        device=lambda target: "%s:%d" % (target["kind"], target["index"]),
        dtypes=(jnp.float32, jnp.bfloat16, jnp.float16),
        samples=lambda device, dtype, n, seconds: _matmul_samples(jax, device, dtype, n, seconds),
        tf32_default=lambda target: _precision(jax),
        set_tf32=lambda value: _set_precision(jax, value),
        tf32_note="JAX lets fp32 matmuls run in TF32 on NVIDIA GPUs by default (jax_default_matmul_precision); "
                  "fp32 ran at 'float32' precision, tf32 at 'tensorfloat32'",
    )


# --- live checks -------------------------------------------------------------------------

def check_eager_by_default(jax, target):
    value = (jax.numpy.ones(2) + 1).tolist()
    ok = value == [2.0, 2.0]
    return ("pass" if ok else "fail"), "jnp.ones(2) + 1 gave %s without a session or a trace" % value


def check_function_traces_graph(jax, target):
    def double(x):
        return jax.nn.relu(x) * 2.0

    equations = jax.make_jaxpr(double)(jax.numpy.ones(3)).jaxpr.eqns
    ok = len(equations) >= 2
    return ("pass" if ok else "fail"), "jax.make_jaxpr captured %d operations into a jaxpr" % len(equations)


CHECKS = common.checks_in(globals(), "jax")


if __name__ == "__main__":
    common.serve(FRAMEWORK, "jax", _import_jax, CHECKS, probe, bench)
