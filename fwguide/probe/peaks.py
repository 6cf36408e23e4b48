"""Published peaks (rules/devices.yaml) beside measured matmul throughput."""

from __future__ import annotations

import re
from collections.abc import Sequence

from fwguide.probe.model import Matmul, WorkerMatmul
from fwguide.rulebook.schema import DevicePeak


# A name that goes on with one of these words is another product: "RTX 4090 Laptop GPU", "RTX 3080 Ti".
VARIANT_WORDS = frozenset({"ti", "super", "d", "laptop", "mobile", "max-q", "pro", "max", "ultra"})


def _matches(pattern: str, name: str) -> bool:
    for found in re.finditer(re.escape(pattern.lower()), name):
        before, after = name[:found.start()], name[found.end():]
        if before[-1:].isalnum() or after[:1].isalnum():
            continue  # "L4" is not in "L40S"
        following = after.lstrip(" -_").split(" ")[0]
        if following not in VARIANT_WORDS:
            return True
    return False


def find_peak(devices: Sequence[DevicePeak], device_name: str) -> DevicePeak | None:
    """The entry whose longest `match` piece occurs in the name as whole words ("H100 PCIe" beats "H100")."""
    name = device_name.lower()
    best: DevicePeak | None = None
    best_length = 0
    for device in devices:
        for pattern in device.match:
            if len(pattern) > best_length and _matches(pattern, name):
                best, best_length = device, len(pattern)
    return best


def with_peak(measured: WorkerMatmul, device_name: str, devices: Sequence[DevicePeak], is_cpu: bool) -> Matmul:
    """The measurement, with the device's published peak for its precision and the share reached."""
    entry = None if is_cpu else find_peak(devices, device_name)
    peak = entry.peaks.get(measured.precision) if entry else None
    return Matmul(
        device=measured.device, device_name=device_name, precision=measured.precision, size=measured.size,
        sizes=measured.sizes, tflops_best=measured.tflops_best, tflops_median=measured.tflops_median,
        samples=measured.samples, peak_tflops=peak,
        share_of_peak=round(measured.tflops_best / peak, 4) if peak else None,
        peak_device=entry.name if entry else None,
    )
