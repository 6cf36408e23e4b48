"""The machine without any framework: OS, CPU, RAM, and the GPUs its drivers report.

Every query may fail; a failure becomes "not available" with a reason, never an
exception. No GPU and no driver is a normal, clean result.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import platform
import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import msgspec

from fwguide.probe.model import AmdInfo, AppleInfo, CudaToolkit, MachineInfo, NvidiaDriver, NvidiaGpu

VISIBILITY_VARIABLES = ("CUDA_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES")
_PROC_NVIDIA = Path("/proc/driver/nvidia")


def os_id() -> str:
    known = {"linux": "linux", "win32": "windows", "darwin": "macos"}
    return known.get(sys.platform, platform.system().lower() or sys.platform)


def is_wsl() -> bool:
    return sys.platform == "linux" and "microsoft" in platform.release().lower()


def _run(args: list[str], timeout: float = 10.0) -> str | None:
    """A tool's output (nvidia-smi, nvcc), or None; it runs in its own process group, killed whole on any stop."""
    from fwguide.probe.children import WorkerFailure, run_capped

    try:
        proc = run_capped(args, timeout)
    except (OSError, WorkerFailure):
        return None
    return proc.stdout.strip() if proc.code == 0 else None


def _read(path: Path | str) -> str | None:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _os_name() -> str:
    if sys.platform == "linux":
        release = _read("/etc/os-release") or ""
        match = re.search(r'^PRETTY_NAME="?([^"\n]+)"?', release, re.MULTILINE)
        distro = match.group(1) if match else "Linux"
        return f"{distro}, kernel {platform.release()}" + (" (WSL2)" if is_wsl() else "")
    if sys.platform == "darwin":
        return f"macOS {platform.mac_ver()[0]}"
    return platform.platform(terse=True)


def _cpu_name() -> str:
    if sys.platform == "linux":
        match = re.search(r"^model name\s*:\s*(.+)$", _read("/proc/cpuinfo") or "", re.MULTILINE)
        if match:
            return match.group(1).strip()
    elif sys.platform == "darwin":
        name = _run(["sysctl", "-n", "machdep.cpu.brand_string"], timeout=5)
        if name:
            return name
    elif sys.platform == "win32":
        try:
            import winreg

            key = winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, r"HARDWARE\DESCRIPTION\System\CentralProcessor\0")
            return str(winreg.QueryValueEx(key, "ProcessorNameString")[0]).strip()
        except OSError:
            pass
    return platform.processor() or platform.machine() or "unknown CPU"


def _ram_gib() -> float | None:
    try:
        if sys.platform == "win32":
            import ctypes

            class MemoryStatus(ctypes.Structure):
                _fields_ = [("length", ctypes.c_ulong), ("load", ctypes.c_ulong), ("total", ctypes.c_ulonglong),
                            ("avail", ctypes.c_ulonglong), ("page_total", ctypes.c_ulonglong),
                            ("page_avail", ctypes.c_ulonglong), ("virtual_total", ctypes.c_ulonglong),
                            ("virtual_avail", ctypes.c_ulonglong), ("extended", ctypes.c_ulonglong)]

            status = MemoryStatus()
            status.length = ctypes.sizeof(MemoryStatus)
            ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status))
            total = status.total
        else:
            total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (OSError, ValueError, AttributeError):
        return None
    return round(total / 2**30, 1)


# --- NVIDIA --------------------------------------------------------------------------------

# NVML's failures, mapped to what they mean for the user and what fixes them.
_NVML_ERRORS: dict[str, tuple[Literal["absent", "error"], str, str]] = {
    "NVMLError_LibraryNotFound": ("absent", "no NVIDIA driver found (its NVML library is not installed)", ""),
    "NVMLError_DriverNotLoaded": (
        "error", "the NVIDIA driver is installed but its kernel module is not loaded",
        "load it (sudo modprobe nvidia) or reinstall the driver, then reboot"),
    "NVMLError_LibRmVersionMismatch": (
        "error", "the NVIDIA driver's library and kernel module have different versions",
        "reboot: this happens after a driver update"),
    "NVMLError_FunctionNotFound": (
        "error", "the NVIDIA driver lacks a function nvidia-ml-py calls", "upgrade nvidia-ml-py or the driver"),
    "NVMLError_NoPermission": (
        "error", "no permission to query the NVIDIA driver",
        "check the permissions of /dev/nvidia*; in a container, start it with GPU access (--gpus all)"),
}


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def cuda_version_text(encoded: int) -> str:
    """NVML's CUDA driver version as text: 12040 -> "12.4"."""
    return f"{encoded // 1000}.{encoded % 1000 // 10}"


def _nvml_gpu(pynvml: Any, index: int) -> NvidiaGpu:
    handle = pynvml.nvmlDeviceGetHandleByIndex(index)

    def ask(query: str, convert: Callable[[Any], Any]) -> Any:  # a field may be unsupported on this GPU or driver
        try:
            return convert(getattr(pynvml, query)(handle))
        except pynvml.NVMLError:
            return None

    return NvidiaGpu(
        index=index,
        name=ask("nvmlDeviceGetName", _text) or "unknown NVIDIA GPU",
        memory_gib=ask("nvmlDeviceGetMemoryInfo", lambda m: round(m.total / 2**30, 2)),
        compute_capability=ask("nvmlDeviceGetCudaComputeCapability", lambda cc: f"{cc[0]}.{cc[1]}"),
        uuid=ask("nvmlDeviceGetUUID", _text),
    )


def query_nvml() -> NvidiaDriver:
    try:
        import pynvml
    except ImportError as exc:
        return NvidiaDriver(status="error", reason=f"nvidia-ml-py is not importable: {exc}",
                            hint="pip install nvidia-ml-py")
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError as exc:
        status, reason, hint = _NVML_ERRORS.get(type(exc).__name__, ("error", f"NVML failed: {exc}", ""))
        return NvidiaDriver(status=status, reason=reason, hint=hint, source="NVML")
    try:
        driver = cuda = None
        try:
            driver = _text(pynvml.nvmlSystemGetDriverVersion())
            cuda = cuda_version_text(pynvml.nvmlSystemGetCudaDriverVersion())
        except pynvml.NVMLError:
            pass
        gpus = [_nvml_gpu(pynvml, index) for index in range(pynvml.nvmlDeviceGetCount())]
    except pynvml.NVMLError as exc:
        return NvidiaDriver(status="error", reason=f"NVML failed while listing GPUs: {exc}", source="NVML")
    finally:
        with contextlib.suppress(pynvml.NVMLError):
            pynvml.nvmlShutdown()
    return NvidiaDriver(status="ok", source="NVML", driver_version=driver, cuda_driver_version=cuda, gpus=gpus)


def query_nvidia_smi() -> NvidiaDriver | None:
    """The same facts from the nvidia-smi tool, when NVML could not be loaded from Python."""
    if shutil.which("nvidia-smi") is None:
        return None
    fields = ["index", "name", "memory.total", "driver_version", "compute_cap", "uuid"]
    text = _run(["nvidia-smi", f"--query-gpu={','.join(fields)}", "--format=csv,noheader,nounits"])
    if text is None:  # drivers before 510 do not know compute_cap
        fields.remove("compute_cap")
        text = _run(["nvidia-smi", f"--query-gpu={','.join(fields)}", "--format=csv,noheader,nounits"])
    if text is None:
        return NvidiaDriver(status="error", reason="nvidia-smi is installed but failed", source="nvidia-smi")
    gpus: list[NvidiaGpu] = []
    driver: str | None = None
    for line in filter(None, text.splitlines()):
        cells = [cell.strip() for cell in line.split(",")]
        row = dict(zip(fields, cells, strict=False))  # a row of another length (a comma in a name) keeps what lines up
        driver = row.get("driver_version")
        memory = row.get("memory.total", "")
        index = row.get("index", "")
        gpus.append(NvidiaGpu(
            # not isdigit(): "¹" is a digit to it
            index=int(index) if re.fullmatch(r"[0-9]{1,6}", index) else len(gpus),
            name=row.get("name", "unknown NVIDIA GPU"),
            memory_gib=round(float(memory) / 1024, 2) if re.fullmatch(r"[0-9]{1,9}(?:\.[0-9]{1,9})?", memory) else None,
            compute_capability=row["compute_cap"] if re.fullmatch(r"[0-9]{1,3}\.[0-9]{1,3}", row.get("compute_cap", ""))
            else None, uuid=row.get("uuid"),
        ))
    header = _run(["nvidia-smi"]) or ""
    match = re.search(r"CUDA Version:[ \t]*([0-9]{1,4}\.[0-9]{1,4})", header)
    return NvidiaDriver(status="ok", source="nvidia-smi", driver_version=driver,
                        cuda_driver_version=match.group(1) if match else None, gpus=gpus)


def visible_indices(value: str | None, gpus: list[NvidiaGpu]) -> set[int]:
    """Which driver GPUs CUDA_VISIBLE_DEVICES leaves visible (indices or GPU-UUID prefixes).

    CUDA stops reading the list at the first entry it cannot resolve, and so does this.
    MIG instances cannot be mapped back to a GPU here, so they leave every GPU visible.
    """
    if value is None:
        return {g.index for g in gpus}
    visible: set[int] = set()
    for entry in (e.strip() for e in value.split(",")):
        if entry.startswith("MIG-"):
            return {g.index for g in gpus}
        if re.fullmatch(r"[0-9]{1,6}", entry) and any(g.index == int(entry) for g in gpus):
            visible.add(int(entry))
            continue
        matches = [g for g in gpus if entry.startswith("GPU-") and (g.uuid or "").startswith(entry)]
        if len(matches) != 1:
            break
        visible.add(matches[0].index)
    return visible


def nvidia_driver() -> NvidiaDriver:
    driver = query_nvml()
    if driver.status == "absent" or not driver.source:  # NVML could not be loaded: the tool may still work
        fallback = query_nvidia_smi()
        if fallback is not None:
            driver = fallback
        elif not driver.source:
            driver = NvidiaDriver(status="absent", hint=driver.hint,
                                  reason=f"no NVIDIA driver could be asked ({driver.reason}; no nvidia-smi on PATH)")
    if driver.gpus:
        shown = visible_indices(os.environ.get("CUDA_VISIBLE_DEVICES"), driver.gpus)
        gpus = [msgspec.structs.replace(g, visible=g.index in shown) for g in driver.gpus]
        driver = msgspec.structs.replace(driver, gpus=gpus)
    return driver


# --- AMD and Apple ---------------------------------------------------------------------------

def amd_info() -> AmdInfo:
    if sys.platform != "linux":
        return AmdInfo()
    gpus = []
    for card in sorted(Path("/sys/class/drm").glob("card[0-9]*")):
        if not re.fullmatch(r"card\d+", card.name):
            continue
        device = card / "device"
        is_amd = (_read(device / "vendor") or "").strip() == "0x1002"
        if not is_amd or not (_read(device / "class") or "").startswith("0x03"):  # 0x03: a display controller
            continue
        name = (_read(device / "product_name") or "").strip()
        gpus.append(name or f"AMD GPU (device {(_read(device / 'device') or '?').strip()})")
    version = (_read("/opt/rocm/.info/version") or "").strip().splitlines()
    return AmdInfo(rocm_driver=Path("/dev/kfd").exists(), rocm_version=version[0] if version else None, gpus=gpus)


def _rosetta() -> bool:
    """This Python runs translated (x86_64) on an Apple Silicon Mac."""
    return _run(["sysctl", "-n", "sysctl.proc_translated"], timeout=5) == "1"


def apple_silicon(rosetta: bool | None = None) -> bool:
    """Whether this is an Apple Silicon Mac, also when this Python runs under Rosetta (`rosetta`, when already
    asked)."""
    if sys.platform != "darwin":
        return False
    return platform.machine() == "arm64" or (_rosetta() if rosetta is None else rosetta)


def apple_info() -> AppleInfo:
    if sys.platform != "darwin":
        return AppleInfo()
    rosetta = _rosetta()
    silicon = apple_silicon(rosetta)
    chip = _run(["sysctl", "-n", "machdep.cpu.brand_string"], timeout=5) if silicon else None
    return AppleInfo(apple_silicon=silicon, chip=chip, rosetta=rosetta, macos_version=platform.mac_ver()[0] or None)


# --- the CUDA toolkit -------------------------------------------------------------------------

def _nvcc_candidates() -> list[tuple[str, str]]:
    """Where an nvcc may be, with how it was found: PATH first, as a build would find it."""
    name = "nvcc.exe" if sys.platform == "win32" else "nvcc"
    found = [(shutil.which("nvcc") or "", "PATH")]
    found += [(str(Path(os.environ[v]) / "bin" / name), v) for v in ("CUDA_HOME", "CUDA_PATH") if os.environ.get(v)]
    if sys.platform == "linux":
        found.append(("/usr/local/cuda/bin/nvcc", "/usr/local/cuda"))
    return [(path, how) for path, how in found if path]


def cuda_toolkit() -> CudaToolkit | None:
    """The system CUDA toolkit's nvcc and its release, if there is one (no framework uses it to run)."""
    for path, how in _nvcc_candidates():
        if not os.access(path, os.X_OK):
            continue
        text = _run([path, "--version"], timeout=10) or ""
        match = re.search(r"release ([\d.]+)(?:, V([\d.]+))?", text)
        if match:
            return CudaToolkit(version=match.group(2) or match.group(1), path=path, source=how)
    return None


def machine_info() -> MachineInfo:
    return MachineInfo(
        os=os_id(), os_name=_os_name(), arch=platform.machine(), wsl=is_wsl(), cpu=_cpu_name(),
        cores=os.cpu_count(), ram_gib=_ram_gib(), nvidia=nvidia_driver(), amd=amd_info(), apple=apple_info(),
        visible_devices={k: os.environ[k] for k in VISIBILITY_VARIABLES if k in os.environ},
        cuda_toolkit=cuda_toolkit(),
        examined_at=datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat(),
    )


# --- cheap facts -------------------------------------------------------------------------------

def quick_nvidia_count() -> int:
    """How many NVIDIA GPUs the driver has, from /proc where it can (instant), else NVML."""
    if sys.platform == "linux" and not is_wsl():
        try:
            return sum(1 for _ in (_PROC_NVIDIA / "gpus").iterdir())
        except OSError:
            return 0
    return len(nvidia_driver().gpus)


def driver_signature() -> str:
    """Text that changes whenever the GPU drivers, the devices they expose or the boot change; costs no subprocess."""
    parts: list[str] = [sys.platform, platform.machine()]
    if sys.platform == "linux":
        parts.append(_read("/proc/sys/kernel/random/boot_id") or "")
        parts.append(_read(_PROC_NVIDIA / "version") or "")
        with contextlib.suppress(OSError):
            parts += sorted(n for n in os.listdir("/dev") if n.startswith(("nvidia", "kfd", "dxg")))
        parts.append(_read("/sys/module/amdgpu/version") or "")
    else:
        system = Path(os.environ.get("SYSTEMROOT", r"C:\Windows")) / "System32"
        macos = Path("/System/Library/CoreServices/SystemVersion.plist")
        for path in (system / "nvml.dll", system / "nvcuda.dll", macos):
            try:
                stat = path.stat()
                parts.append(f"{path}:{stat.st_size}:{stat.st_mtime_ns}")
            except OSError:
                parts.append(f"{path}:-")
    parts += [f"{k}={os.environ[k]}" for k in VISIBILITY_VARIABLES if k in os.environ]
    return "\n".join(parts)
