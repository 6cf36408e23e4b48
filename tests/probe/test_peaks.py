"""Published peaks: the devices table and how measured figures are set beside it."""

from __future__ import annotations

import pytest

from fwguide.probe.model import Matmul, WorkerMatmul
from fwguide.probe.report import find_peak, with_peak
from fwguide.rulebook import load

DEVICES = load().devices


@pytest.mark.parametrize(("name", "entry"), [
    ("NVIDIA H100 80GB HBM3", "H100 SXM"),
    ("NVIDIA H100 PCIe", "H100 PCIe"),
    ("NVIDIA H100 NVL", "H100 NVL"),
    ("NVIDIA H200", "H200 SXM"),
    ("NVIDIA H200 NVL", "H200 NVL"),
    ("NVIDIA A100-SXM4-80GB", "A100"),
    ("NVIDIA A100 80GB PCIe", "A100"),
    ("NVIDIA L4", "L4"),
    ("Tesla T4", "T4"),
    ("NVIDIA GeForce RTX 3090", "GeForce RTX 3090"),
    ("NVIDIA GeForce RTX 4090", "GeForce RTX 4090"),
    ("NVIDIA GeForce RTX 5090", "GeForce RTX 5090"),
    ("Apple M1 Pro GPU", "Apple M1 Pro GPU"),
    ("Apple M2 GPU", "Apple M2 GPU"),
])
def test_driver_names_find_their_entry(name: str, entry: str) -> None:
    found = find_peak(DEVICES, name)
    assert found is not None and found.name == entry


@pytest.mark.parametrize("name", ["NVIDIA L40S", "NVIDIA GeForce RTX 3090 Ti", "NVIDIA GeForce RTX 4090 Laptop GPU",
                                  "NVIDIA GeForce RTX 4080 SUPER", "Apple M2 Max GPU", "NVIDIA T400"])
def test_other_products_get_no_peak(name: str) -> None:
    assert find_peak(DEVICES, name) is None


def test_the_table_covers_the_promised_devices() -> None:
    names = {d.name for d in DEVICES}
    for wanted in ("H100 SXM", "H100 PCIe", "H200 SXM", "A100", "L4", "T4", "GeForce RTX 3090", "GeForce RTX 4090",
                   "GeForce RTX 5090", "Apple M1 GPU", "Apple M2 GPU"):
        assert wanted in names
    for device in DEVICES:
        assert device.source.startswith("https://") and device.peaks.get("fp32")


def test_peaks_are_dense_not_sparse() -> None:
    # with sparsity a datasheet doubles the tensor figures; dense tensor math is at most ~16x fp32 (Hopper bf16)
    for device in DEVICES:
        for precision in ("tf32", "bf16", "fp16"):
            if precision in device.peaks:
                assert device.peaks[precision] <= 16 * device.peaks["fp32"], device.name
        if "tf32" in device.peaks and "bf16" in device.peaks:
            assert device.peaks["bf16"] == pytest.approx(2 * device.peaks["tf32"], rel=0.01), device.name


def test_measurement_is_shown_as_a_share_of_the_peak() -> None:
    measured = WorkerMatmul(device="cuda:0", precision="bf16", size=8192, sizes=[2048, 4096, 8192],
                            tflops_best=742.05, tflops_median=730.0, samples=12)
    shown = with_peak(measured, "NVIDIA H100 80GB HBM3", DEVICES, is_cpu=False)
    assert isinstance(shown, Matmul)
    assert shown.peak_tflops == 989.4 and shown.share_of_peak == pytest.approx(0.75, abs=0.001)
    assert shown.peak_device == "H100 SXM"


def test_cpu_and_unknown_devices_get_no_share() -> None:
    measured = WorkerMatmul(device="cpu", precision="fp32", size=2048, sizes=[1024, 2048], tflops_best=0.2,
                            tflops_median=0.19, samples=9)
    assert with_peak(measured, "CPU (AVX512)", DEVICES, is_cpu=True).share_of_peak is None
    assert with_peak(measured, "Tesla T4", DEVICES, is_cpu=True).peak_tflops is None  # a CPU never borrows a GPU's peak
    tf32 = WorkerMatmul(device="cuda:0", precision="tf32", size=4096, sizes=[4096], tflops_best=5.0,
                        tflops_median=5.0, samples=3)
    assert with_peak(tf32, "Tesla T4", DEVICES, is_cpu=False).peak_tflops is None  # Turing has no TF32
