"""A stand-in for nvidia-ml-py's `pynvml`, put first on PYTHONPATH by the tests.

This machine has no NVIDIA driver. The stand-in answers with the same names and
error classes as the real library, for the case named in FWGUIDE_FAKE_NVML: one of
CASES below (a GPU generation on a driver: "pascal" is one GTX 1080, compute capability
6.1, on driver 535.104.05 whose newest CUDA is 12.2; "blackwell-r570" an RTX 5090 on a
570 driver, CUDA 12.8), or the name of an NVML error ("LibraryNotFound",
"DriverNotLoaded", "LibRmVersionMismatch") raised by nvmlInit. Default: "h100x2".
"""

import os
from types import SimpleNamespace

GIB = 1 << 30
# case: (driver version, newest CUDA as NVML encodes it, [(name, memory in bytes, compute capability)])
CASES = {
    "h100x2": ("550.54.15", 12040, [("NVIDIA H100 80GB HBM3", 85520809984, (9, 0))] * 2),
    "pascal": ("535.104.05", 12020, [("NVIDIA GeForce GTX 1080", 8 * GIB, (6, 1))]),
    "pascal-r580": ("580.95.05", 13000, [("NVIDIA GeForce GTX 1080", 8 * GIB, (6, 1))]),
    "turing-r535": ("535.104.05", 12020, [("Tesla T4", 16 * GIB, (7, 5))]),
    "turing-r580": ("580.95.05", 13000, [("Tesla T4", 16 * GIB, (7, 5))]),
    "ampere-r535": ("535.104.05", 12020, [("NVIDIA GeForce RTX 3090", 24 * GIB, (8, 6))]),
    "ampere-r580": ("580.95.05", 13000, [("NVIDIA GeForce RTX 3090", 24 * GIB, (8, 6))]),
    "hopper-r580": ("580.95.05", 13000, [("NVIDIA H100 80GB HBM3", 85520809984, (9, 0))]),
    "blackwell-r570": ("570.172.08", 12080, [("NVIDIA GeForce RTX 5090", 32 * GIB, (12, 0))]),
    "blackwell-r580": ("580.95.05", 13000, [("NVIDIA GeForce RTX 5090", 32 * GIB, (12, 0))]),
}
_CASE = os.environ.get("FWGUIDE_FAKE_NVML", "h100x2")
_DRIVER, _CUDA, _GPUS = CASES.get(_CASE, CASES["h100x2"])


class NVMLError(Exception):
    pass


class NVMLError_LibraryNotFound(NVMLError):
    pass


class NVMLError_DriverNotLoaded(NVMLError):
    pass


class NVMLError_LibRmVersionMismatch(NVMLError):
    pass


class NVMLError_NotSupported(NVMLError):
    pass


def nvmlInit():
    if _CASE not in CASES:
        raise globals()[f"NVMLError_{_CASE}"]()


def nvmlShutdown():
    pass


def nvmlSystemGetDriverVersion():
    return _DRIVER


def nvmlSystemGetCudaDriverVersion():
    return _CUDA


def nvmlDeviceGetCount():
    return len(_GPUS)


def nvmlDeviceGetHandleByIndex(index):
    return index


def nvmlDeviceGetName(handle):
    return _GPUS[handle][0].encode()  # releases before 11.5 return bytes


def nvmlDeviceGetMemoryInfo(handle):
    total = _GPUS[handle][1]
    return SimpleNamespace(total=total, free=total, used=0)


def nvmlDeviceGetCudaComputeCapability(handle):
    return _GPUS[handle][2]


def nvmlDeviceGetUUID(handle):
    raise NVMLError_NotSupported()
