"""The install command chosen from the machine: GPU generation, driver, OS, CPU architecture, what is installed.

`choose_install` is pure, so these run it on the built-in install table directly; the
end-to-end cases (a stand-in NVML driver, real CPU builds installed) are in test_install_e2e.py.
"""

from __future__ import annotations

import itertools

import pytest

from fwguide.install import InstalledBuild, choose_install, newer_than_checked
from fwguide.rulebook import load

TABLE = load().install
CPU_TORCH = InstalledBuild(package="torch", version="2.13.0+cpu", flavour="cpu")
CPU_TF = InstalledBuild(package="tensorflow-cpu", version="2.21.0", flavour="cpu")


def _choose(framework: str, **facts):
    choice = choose_install(TABLE, framework, **facts)
    assert choice is not None
    return choice


def test_pascal_gpu_on_a_cuda_12_2_driver_gets_cu126_over_the_cpu_build() -> None:
    choice = _choose("pytorch", os="linux", compute="cuda", cuda_driver="12.2", compute_capability="6.1",
                     installed=CPU_TORCH)
    assert choice.command == "pip install torch --index-url https://download.pytorch.org/whl/cu126 --force-reinstall"
    assert "7.5+" in choice.because[0] and "6.1, Pascal" in choice.because[0] and "12.2" in choice.because[0]
    assert "torch 2.13.0+cpu" in choice.replaces and not choice.assumed and not choice.warnings


def test_turing_on_a_cuda_13_driver_gets_the_package_index_build() -> None:
    choice = _choose("pytorch", os="linux", compute="cuda", cuda_driver="13.0", compute_capability="7.5")
    assert choice.command == "pip install torch" and not choice.because and not choice.assumed


@pytest.mark.parametrize(("driver", "capability"), [("12.4", "9.0"), ("13.2", "7.0"), ("12.2", "6.1")])
def test_old_driver_or_pre_turing_gpu_never_gets_a_cuda_13_build(driver: str, capability: str) -> None:
    for os_name in ("linux", "windows"):
        choice = _choose("pytorch", os=os_name, compute="cuda", cuda_driver=driver, compute_capability=capability)
        assert choice.command.endswith("/whl/cu126"), (os_name, driver, capability, choice.command)


def test_a_driver_too_old_for_any_build_is_told_to_update() -> None:
    choice = _choose("pytorch", os="linux", compute="cuda", cuda_driver="11.4", compute_capability="8.0")
    assert choice.command.endswith("/whl/cu126")
    assert choice.warnings and "update the NVIDIA driver" in choice.warnings[0] and "11.4" in choice.warnings[0]


def test_without_a_probe_the_command_says_what_it_assumed() -> None:
    choice = _choose("pytorch", os="linux", compute="cuda")
    assert choice.command == "pip install torch"
    (assumed,) = choice.assumed
    assert "compute capability 7.5" in assumed and "CUDA 13.0" in assumed and "nothing was probed" in assumed
    assert assumed.endswith("pip install torch --index-url https://download.pytorch.org/whl/cu126")


def test_tensorflow_cuda_fix_removes_tensorflow_cpu_first() -> None:
    choice = _choose("tensorflow", os="linux", compute="cuda", cuda_driver="12.2", compute_capability="6.1",
                     installed=CPU_TF)
    assert choice.command == "pip uninstall -y tensorflow-cpu && pip install 'tensorflow[and-cuda]'"
    assert "tensorflow-cpu 2.21.0 is removed first" in choice.replaces


def test_tensorflow_with_the_same_distribution_is_not_uninstalled() -> None:
    installed = InstalledBuild(package="tensorflow", version="2.21.0", flavour="cuda", cuda="12.5.1")
    choice = _choose("tensorflow", os="linux", compute="cuda", cuda_driver="12.4", installed=installed)
    assert choice.command == "pip install 'tensorflow[and-cuda]'" and not choice.replaces


def test_no_command_in_any_machine_shape_uses_retired_builds() -> None:
    """Windows+NVIDIA never cu128 (ended with torch 2.11); AMD never rocm6.x (ends at torch 2.9)."""
    shapes = itertools.product(("pytorch", "tensorflow"), ("linux", "windows", "macos"), ("cuda", "rocm", "mps", "cpu"),
                               (None, "x86_64", "arm64"), (None, "11.8", "12.2", "13.0"), (None, "6.1", "7.0", "8.9"))
    for framework, os_name, compute, arch, driver, capability in shapes:
        choice = _choose(framework, os=os_name, compute=compute, arch=arch, cuda_driver=driver,
                         compute_capability=capability)
        assert "cu128" not in choice.command and "rocm6" not in choice.command, choice
        if framework == "tensorflow" and compute == "rocm" and os_name == "linux":
            assert "repo.radeon.com" in choice.command


def test_tensorflow_on_amd_names_amds_repository_with_the_rocm_release() -> None:
    choice = _choose("tensorflow", os="linux", compute="rocm", rocm_version="7.0.0-38", installed=CPU_TF)
    assert choice.command == ("pip uninstall -y tensorflow-cpu && pip install tensorflow-rocm "
                              "-f https://repo.radeon.com/rocm/manylinux/rocm-rel-7.0/ --upgrade")
    unknown = _choose("tensorflow", os="linux", compute="rocm")
    assert "<ROCm version>" in unknown.command and any("ROCm release" in a for a in unknown.assumed)


def test_pytorch_on_amd_gets_a_rocm_7_build() -> None:
    choice = _choose("pytorch", os="linux", compute="rocm", installed=CPU_TORCH)
    assert "/whl/rocm7." in choice.command and choice.command.endswith("--force-reinstall")


def test_intel_mac_gets_the_last_releases_that_have_wheels() -> None:
    assert _choose("pytorch", os="macos", compute="cpu", arch="x86_64").command == "pip install torch==2.2.2"
    assert _choose("tensorflow", os="macos", compute="cpu", arch="x86_64").command == "pip install tensorflow==2.16.2"
    apple = _choose("pytorch", os="macos", compute="mps", arch="arm64")
    assert apple.command == "pip install torch" and "macOS 14" in apple.note and not apple.assumed
    unknown = _choose("pytorch", os="macos", compute="mps")
    assert unknown.assumed == ["assumed an Apple Silicon Mac; on an Intel Mac: pip install torch==2.2.2"]


def test_tensorflow_on_a_mac_falls_back_to_the_cpu_build_and_says_why() -> None:
    choice = _choose("tensorflow", os="macos", compute="mps", arch="arm64")
    assert choice.compute == "cpu" and choice.fallback_from == "mps" and "tensorflow-metal" in choice.note


def test_every_entry_records_what_it_was_checked_against() -> None:
    for option in TABLE:
        assert option.checked is not None and option.checked.version and option.package, option.command
    assert "PyTorch 2.14.1 on 2026-12-03" == _choose("pytorch", os="linux", compute="cpu").checked


def test_installed_frameworks_newer_than_the_table_are_flagged() -> None:
    assert newer_than_checked(TABLE, {"pytorch": "2.13.0+cpu", "tensorflow": "2.21.0"}) == []
    (warning,) = newer_than_checked(TABLE, {"pytorch": "2.16.0", "tensorflow": "2.21.0"})
    assert "PyTorch 2.16.0 is installed, newer than 2.14.1" in warning
