"""A stand-in for nvidia-ml-py's `pynvml`, put first on PYTHONPATH by the tests.

This machine has no NVIDIA driver. The stand-in answers with the same names and
error classes as the real library, for the case named in FWGUIDE_FAKE_NVML:
"h100x2" (two H100 SXM, driver 550.54.15, CUDA 12.4), "pascal" (one GTX 1080, compute
capability 6.1, driver 535.104.05 whose newest CUDA is 12.2) or the name of an NVML error
("LibraryNotFound", "DriverNotLoaded", "LibRmVersionMismatch") raised by nvmlInit.
"""

import os
from types import SimpleNamespace

_CASE = os.environ.get("FWGUIDE_FAKE_NVML", "h100x2")
_PASCAL = _CASE == "pascal"


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
    if _CASE not in ("h100x2", "pascal"):
        raise globals()[f"NVMLError_{_CASE}"]()


def nvmlShutdown():
    pass


def nvmlSystemGetDriverVersion():
    return "535.104.05" if _PASCAL else "550.54.15"


def nvmlSystemGetCudaDriverVersion():
    return 12020 if _PASCAL else 12040


def nvmlDeviceGetCount():
    return 1 if _PASCAL else 2


def nvmlDeviceGetHandleByIndex(index):
    return index


def nvmlDeviceGetName(handle):
    return b"NVIDIA GeForce GTX 1080" if _PASCAL else b"NVIDIA H100 80GB HBM3"  # releases before 11.5 return bytes


def nvmlDeviceGetMemoryInfo(handle):
    total = 8589934592 if _PASCAL else 85520809984
    return SimpleNamespace(total=total, free=total, used=0)


def nvmlDeviceGetCudaComputeCapability(handle):
    return (6, 1) if _PASCAL else (9, 0)


def nvmlDeviceGetUUID(handle):
    raise NVMLError_NotSupported()
