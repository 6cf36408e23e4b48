"""Probe PyTorch in the interpreter that runs this file; print one JSON result between marker lines.

Usage: PYTHON torch_worker.py, with one JSON request line on stdin:
  {"mode": "probe", "bench": true, "nonce": "..."}   versions, devices, then (after a "go"
                                                      line on stdin) a matmul benchmark
  {"mode": "checks", "checks": [{"check": ..., "target": ...}], "nonce": "..."}
It imports only the standard library, torch and fwguide_worker.py (the protocol every
worker shares), so any Python >= 3.9 runs it, with or without fwguide installed. Everything
torch prints goes to stderr.
"""

from __future__ import annotations

import importlib.util
import io
import os
import tempfile

import fwguide_worker as common  # beside this file; the runner also puts its folder on PYTHONPATH

FRAMEWORK = "pytorch"


def _import_torch():
    import torch

    return torch


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
    return common.cpu_device("CPU (%s)" % capability if capability else "CPU")


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


def _device_name(device):
    return "cuda:%d" % device["index"] if device["kind"] in ("cuda", "rocm") else device["kind"]


def _sync(torch, device):
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    elif device == "mps":
        torch.mps.synchronize()


def _devices(torch, build):
    devices, error = [_cpu_device(torch)], None
    if build["flavour"] in ("cuda", "rocm"):
        if torch.cuda.is_available():
            devices += _gpu_devices(torch, build)
        else:
            error = "torch.cuda.is_available() is False"
    elif build["flavour"] == "mps":
        if torch.backends.mps.is_available():
            devices.append(_mps_device(torch))
        else:
            error = "torch.backends.mps.is_available() is False"
    return devices, error


def _warm_up(torch, device):
    name = _device_name(device)
    torch.zeros(1, device=name).add_(1)
    _sync(torch, name)


def _memory(torch, devices):
    if not any(d["kind"] in ("cuda", "rocm", "mps") for d in devices):
        return None  # nothing to take memory from: the registry says what it would do
    return {"grabs_all_memory": False, "detail": "PyTorch takes GPU memory as it needs it (caching allocator)"}


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


def probe(torch, failure, import_s):
    return common.probe(
        FRAMEWORK, torch, failure, import_s, env=("CUDA_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES"),
        packages=("torch", "torchvision", "torchaudio", "triton", "nvidia-cudnn-cu12"),
        version=lambda torch: torch.__version__, build=lambda torch, packages: _build(torch),
        devices=_devices, warm_up=_warm_up, memory=_memory, tf32=_tf32_enabled, cpu=_cpu_device,
    )


def _matmul_samples(torch, device, dtype, n, seconds):
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    out = torch.empty(n, n, device=device, dtype=dtype)
    return common.measure(lambda: torch.matmul(a, b, out=out), lambda: _sync(torch, device), 2.0 * n ** 3, seconds)


def bench(torch, probe_result):
    return common.bench(
        probe_result,
        device=_device_name,
        dtypes=(torch.float32, torch.bfloat16, torch.float16),
        samples=lambda device, dtype, n, seconds: _matmul_samples(torch, device, dtype, n, seconds),
        tf32_default=lambda target: _tf32_enabled(torch) if target["kind"] == "cuda" else None,
        set_tf32=lambda enabled: _set_tf32(torch, enabled),
        tf32_note="torch leaves TF32 off for fp32 matmuls by default; fp32 ran with it off, tf32 with it on",
    )


# --- live checks -------------------------------------------------------------------------

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
    if cuda:
        return "pass", "built with CUDA %s" % cuda
    return "fail", "this build has no CUDA (%s)" % _build(torch)["label"]


def check_mps_available(torch, target):
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "pass", "the mps device is usable"
    built = mps is not None and mps.is_built()
    if built:
        return "fail", "mps is built in but not usable here (needs Apple Silicon and macOS 12.3+)"
    return "fail", "mps is not built into this torch"


def _two_layers(torch):
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2)).eval()


def check_export_roundtrip(torch, target):
    model, x = _two_layers(torch), torch.ones(1, 4)
    saved = io.BytesIO()
    torch.export.save(torch.export.export(model, (x,)), saved)
    saved.seek(0)
    loaded = torch.export.load(saved).module()
    same = bool(torch.allclose(loaded(x), model(x)))
    return ("pass" if same else "fail"), "saved a %d-byte .pt2 program, loaded it without the model's class and ran " \
        "it: %s output" % (saved.getbuffer().nbytes, "the same" if same else "a different")


def check_onnx_export(torch, target):
    # The default exporter (torch.export-based since PyTorch 2.9) is written with onnxscript, which brings onnx.
    for needed in ("onnxscript", "onnx"):
        if importlib.util.find_spec(needed) is None:
            return "n/a", "%s not installed: pip install onnxscript (torch.onnx.export needs it)" % needed
    model, x = _two_layers(torch), torch.ones(1, 4)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "two_layers.onnx")
        try:
            torch.onnx.export(model, (x,), path)
        except Exception as exc:  # the route is there but broken: a real failure
            return "fail", "torch.onnx.export failed: %s" % common.first_line(exc)
        import onnx

        graph = onnx.load(path)
        onnx.checker.check_model(graph)
        operators = sorted({node.op_type for node in graph.graph.node})
        detail = "torch.onnx.export wrote a valid ONNX graph (%s)" % ", ".join(operators)
        if importlib.util.find_spec("onnxruntime") is None:
            return "pass", detail
        import onnxruntime

        session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
        (output,) = session.run(None, {session.get_inputs()[0].name: x.numpy()})
    same = bool(torch.allclose(torch.from_numpy(output), model(x), atol=1e-5))
    return ("pass" if same else "fail"), "%s; ONNX Runtime %s ran it: %s output" % (
        detail, onnxruntime.__version__, "the same" if same else "a different")


def _add_one(x_pointer, out_pointer, count, BLOCK: tl.constexpr):  # tl: bound by check_triton_op
    offsets = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    inside = offsets < count
    tl.store(out_pointer + offsets, tl.load(x_pointer + offsets, mask=inside) + 1, mask=inside)


def check_triton_op(torch, target):
    if importlib.util.find_spec("triton") is None:
        return "n/a", "triton not installed (CUDA builds of torch on Linux bring it): no Triton kernel can run here"
    if not torch.cuda.is_available():
        return "n/a", "no CUDA GPU usable here: a Triton kernel needs one"
    global tl  # the kernel's source names it, as Triton kernels do
    import triton
    import triton.language as tl
    kernel = triton.jit(_add_one)

    def add_one(x):
        out = torch.empty_like(x)
        torch.library.wrap_triton(kernel)[(triton.cdiv(x.numel(), 256),)](x, out, x.numel(), BLOCK=256)
        return out

    operator = torch.library.triton_op("fwguide_probe::add_one", add_one, mutates_args=(),
                                       schema="(Tensor x) -> Tensor")
    x = torch.arange(1000, device="cuda", dtype=torch.float32)
    same = bool(torch.equal(operator(x), x + 1))
    return ("pass" if same else "fail"), "a Triton kernel registered with torch.library.triton_op ran on %s (triton " \
        "%s): %s result" % (torch.cuda.get_device_name(0), triton.__version__, "the right" if same else "a wrong")


CHECKS = common.checks_in(globals(), "torch")


if __name__ == "__main__":
    common.serve(FRAMEWORK, "torch", _import_torch, CHECKS, probe, bench)
