"""A stand-in for nvidia-ml-py's `pynvml`, put first on PYTHONPATH by the tests.

This machine has no NVIDIA driver. The stand-in answers with the same names and
error classes as the real library, for the case named in FWGUIDE_FAKE_NVML:
"h100x2" (two H100 SXM, driver 550.54.15, CUDA 12.4) or the name of an NVML error
("LibraryNotFound", "DriverNotLoaded", "LibRmVersionMismatch") raised by nvmlInit.
"""

import os
from types import SimpleNamespace

_CASE = os.environ.get("FWGUIDE_FAKE_NVML", "h100x2")


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
    if _CASE != "h100x2":
        raise globals()[f"NVMLError_{_CASE}"]()


def nvmlShutdown():
    pass


def nvmlSystemGetDriverVersion():
    return "550.54.15"


def nvmlSystemGetCudaDriverVersion():
    return 12040


def nvmlDeviceGetCount():
    return 2


def nvmlDeviceGetHandleByIndex(index):
    return index


def nvmlDeviceGetName(handle):
    return b"NVIDIA H100 80GB HBM3"  # releases before 11.5 return bytes


def nvmlDeviceGetMemoryInfo(handle):
    return SimpleNamespace(total=85520809984, free=85520809984, used=0)


def nvmlDeviceGetCudaComputeCapability(handle):
    return (9, 0)


def nvmlDeviceGetUUID(handle):
    raise NVMLError_NotSupported()
