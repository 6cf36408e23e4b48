"""The install command chosen from the machine: GPU generation, driver, OS, CPU architecture, what is installed.

`choose_install` is pure, so these run it on the built-in install table directly: together they
walk the compatibility table (GPU generation x driver x wheel index x last release). The
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
INDEX = "https://download.pytorch.org/whl"
CU126 = f'pip install "torch==2.14.*" --index-url {INDEX}/cu126'
CU128 = f'pip install "torch==2.11.*" --index-url {INDEX}/cu128'
GENERATIONS = {"maxwell": "5.2", "pascal": "6.1", "volta": "7.0", "turing": "7.5", "ampere": "8.6", "ada": "8.9",
               "hopper": "9.0", "blackwell": "12.0", "blackwell-datacenter": "10.0"}
OLD_DRIVER, CUDA_12_8_DRIVER, NEW_DRIVER = "12.2", "12.8", "13.0"


def _choose(framework: str, **facts):
    choice = choose_install(TABLE, framework, **facts)
    assert choice is not None
    return choice


# (GPU generation, driver's newest CUDA) -> the PyTorch command on Linux and on Windows
TABLE_CASES = [
    ("maxwell", OLD_DRIVER, CU126, CU126),
    ("pascal", OLD_DRIVER, CU126, CU126),
    ("pascal", NEW_DRIVER, CU126, CU126),
    ("volta", NEW_DRIVER, CU126, CU126),
    ("turing", OLD_DRIVER, CU126, CU126),
    ("turing", NEW_DRIVER, "pip install torch", f"pip install torch --index-url {INDEX}/cu130"),
    ("ampere", OLD_DRIVER, CU126, CU126),
    ("ampere", NEW_DRIVER, "pip install torch", f"pip install torch --index-url {INDEX}/cu130"),
    ("ada", CUDA_12_8_DRIVER, CU126, CU126),
    ("hopper", "12.4", CU126, CU126),
    ("hopper", NEW_DRIVER, "pip install torch", f"pip install torch --index-url {INDEX}/cu130"),
    ("blackwell", CUDA_12_8_DRIVER, CU128, CU128),
    ("blackwell-datacenter", CUDA_12_8_DRIVER, CU128, CU128),
    ("blackwell", NEW_DRIVER, "pip install torch", f"pip install torch --index-url {INDEX}/cu130"),
]


@pytest.mark.parametrize(("generation", "driver", "linux", "windows"), TABLE_CASES)
def test_every_gpu_generation_on_old_and_new_drivers_gets_a_build_with_its_kernels(
        generation: str, driver: str, linux: str, windows: str) -> None:
    capability = GENERATIONS[generation]
    for os_name, expected in (("linux", linux), ("windows", windows)):
        choice = _choose("pytorch", os=os_name, compute="cuda", cuda_driver=driver, compute_capability=capability)
        assert choice.command == expected, (os_name, generation, driver, choice)
        assert not choice.warnings and not choice.assumed


def test_pascal_gpu_on_a_cuda_12_2_driver_gets_cu126_pinned_to_its_last_release_over_the_cpu_build() -> None:
    choice = _choose("pytorch", os="linux", compute="cuda", cuda_driver="12.2", compute_capability="6.1",
                     installed=CPU_TORCH)
    assert choice.command == f"{CU126} --force-reinstall"
    assert choice.last_release == "2.14" and choice.index_url == f"{INDEX}/cu126"
    assert "7.5+" in choice.because[0] and "6.1, Pascal" in choice.because[0] and "12.2" in choice.because[0]
    assert "torch 2.13.0+cpu" in choice.replaces and not choice.assumed and not choice.warnings
    assert "2.14 is the last release" in choice.note


def test_blackwell_on_a_driver_without_cuda_13_is_never_offered_cu126() -> None:
    choice = _choose("pytorch", os="linux", compute="cuda", cuda_driver="12.8", compute_capability="12.0",
                     installed=CPU_TORCH)
    assert choice.command == f"{CU128} --force-reinstall" and "cu126" not in choice.command
    reasons = " ".join(choice.because)
    assert "driver for CUDA 13.0+ (this one goes up to 12.8)" in reasons
    assert "update the NVIDIA driver to the 580 series or newer" in reasons
    assert "pip install torch --force-reinstall" in reasons
    assert "CUDA 12.6 build (cu126) has no kernels for compute capability 12.0, Blackwell (it stops at 9.0)" in reasons


def test_a_driver_too_old_for_any_build_is_told_to_update() -> None:
    choice = _choose("pytorch", os="linux", compute="cuda", cuda_driver="11.4", compute_capability="8.0")
    assert choice.command.endswith("/whl/cu126")
    assert any("update the NVIDIA driver" in w and "11.4" in w and "525 series" in w for w in choice.warnings)


def test_a_gpu_older_than_every_build_keeps_the_most_inclusive_one_and_says_so() -> None:
    choice = _choose("pytorch", os="linux", compute="cuda", cuda_driver="12.2", compute_capability="3.7")
    assert choice.command == CU126
    assert any("compute capability 3.7, Kepler" in w and "5.0+" in w for w in choice.warnings)


def test_without_a_probe_the_command_says_what_it_assumed() -> None:
    choice = _choose("pytorch", os="linux", compute="cuda")
    assert choice.command == "pip install torch"
    (assumed,) = choice.assumed
    assert "compute capability 7.5" in assumed and "CUDA 13.0" in assumed and "580 series" in assumed
    assert "nothing was probed" in assumed
    assert assumed.endswith(CU126)


def test_tensorflow_cuda_fix_removes_tensorflow_cpu_first() -> None:
    choice = _choose("tensorflow", os="linux", compute="cuda", cuda_driver="12.2", compute_capability="6.1",
                     installed=CPU_TF)
    assert choice.command == "pip uninstall -y tensorflow-cpu && pip install 'tensorflow[and-cuda]'"
    assert "tensorflow-cpu 2.21.0 is removed first" in choice.replaces


def test_tensorflow_with_the_same_distribution_is_not_uninstalled() -> None:
    installed = InstalledBuild(package="tensorflow", version="2.21.0", flavour="cuda", cuda="12.5.1")
    choice = _choose("tensorflow", os="linux", compute="cuda", cuda_driver="12.4", installed=installed)
    assert choice.command == "pip install 'tensorflow[and-cuda]'" and not choice.replaces


@pytest.mark.parametrize("capability", ["10.0", "12.0"])
def test_tensorflow_on_blackwell_gets_the_cpu_build_since_no_cuda_build_has_its_kernels(capability: str) -> None:
    for os_name in ("linux", "windows"):
        choice = _choose("tensorflow", os=os_name, compute="cuda", cuda_driver="13.0", compute_capability=capability,
                         installed=CPU_TF)
        assert (choice.compute, choice.fallback_from, choice.command) == ("cpu", "cuda", "pip install tensorflow-cpu")
        assert "no TensorFlow CUDA build has kernels for this GPU" in choice.because[0]
        assert "tensorflow/tensorflow/issues/89272" in choice.because[0] and not choice.replaces


def test_no_command_in_any_machine_shape_uses_retired_builds() -> None:
    """cu128 only pinned to 2.11 and only for Blackwell; cu126 only pinned to 2.14 and never for Blackwell;
    AMD never rocm6.x (ends at torch 2.9); TensorFlow never a CUDA build on Blackwell."""
    shapes = itertools.product(("pytorch", "tensorflow"), ("linux", "windows", "macos"), ("cuda", "rocm", "mps", "cpu"),
                               (None, "x86_64", "arm64"), (None, "11.8", "12.2", "12.8", "13.0"),
                               (None, "6.1", "7.0", "8.9", "12.0"))
    for framework, os_name, compute, arch, driver, capability in shapes:
        choice = _choose(framework, os=os_name, compute=compute, arch=arch, cuda_driver=driver,
                         compute_capability=capability)
        command = choice.command
        assert "rocm6" not in command, choice
        if "cu128" in command:
            assert '"torch==2.11.*"' in command and capability == "12.0", choice
        if "cu126" in command:
            assert '"torch==2.14.*"' in command and capability != "12.0", choice
        if framework == "tensorflow" and capability == "12.0":
            assert "and-cuda" not in command, choice
        if framework == "tensorflow" and compute == "rocm" and os_name == "linux":
            assert "repo.radeon.com" in command


def test_tensorflow_on_amd_names_amds_repository_with_the_rocm_release() -> None:
    choice = _choose("tensorflow", os="linux", compute="rocm", rocm_version="7.0.0-38", installed=CPU_TF)
    assert choice.command == ("pip uninstall -y tensorflow-cpu && pip install tensorflow-rocm "
                              "-f https://repo.radeon.com/rocm/manylinux/rocm-rel-7.0/ --upgrade")
    assert not choice.warnings
    unknown = _choose("tensorflow", os="linux", compute="rocm")
    assert "<ROCm version>" in unknown.command and any("ROCm release" in a for a in unknown.assumed)
    assert "rocm_tensorflow" in unknown.note and "6.1 to 7.x" in unknown.note


def test_tensorflow_on_rocm_10_is_told_the_repo_radeon_route_stops_at_rocm_7() -> None:
    choice = _choose("tensorflow", os="linux", compute="rocm", rocm_version="10.0.0")
    assert any("ROCm 10.0.0" in w and "7.x and older" in w for w in choice.warnings)


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


@pytest.mark.parametrize("compute", ["mps", "cpu"])
def test_macos_13_is_told_current_pytorch_needs_macos_14(compute: str) -> None:
    old = _choose("pytorch", os="macos", compute=compute, arch="arm64", macos_version="13.6.1")
    assert any("macOS 13.6.1" in w and "macOS 14.0 or newer" in w for w in old.warnings)
    assert not _choose("pytorch", os="macos", compute=compute, arch="arm64", macos_version="14.4").warnings
    assert not _choose("pytorch", os="macos", compute=compute, arch="arm64").warnings  # not known: nothing claimed


def test_tensorflow_on_a_mac_falls_back_to_the_cpu_build_and_says_why() -> None:
    choice = _choose("tensorflow", os="macos", compute="mps", arch="arm64")
    assert choice.compute == "cpu" and choice.fallback_from == "mps" and "tensorflow-metal" in choice.note


@pytest.mark.parametrize(("framework", "command"), [
    ("pytorch", "pip install torch-tpu"),
    ("tensorflow", 'pip install "tensorflow-tpu==2.18.*" -f https://storage.googleapis.com/libtpu-tf-releases/index.html'),
    ("jax", 'pip install "jax[tpu]"'),
])
def test_tpu_answers_get_the_tpu_vm_route_never_tensorflow_cpu(framework: str, command: str) -> None:
    for os_name in ("linux", "windows", "macos"):  # the TPU VM runs Linux whatever the desktop
        choice = _choose(framework, os=os_name, compute="tpu")
        assert choice.compute == "tpu" and choice.os == "linux" and choice.command == command
        assert "tensorflow-cpu" not in choice.command and "TPU VM, not here" in choice.note


def test_every_entry_records_what_it_was_checked_against() -> None:
    for option in TABLE:
        assert option.checked is not None and option.checked.version and option.package, option.command
    assert _choose("pytorch", os="linux", compute="cpu").checked == "PyTorch 2.15.0 on 2026-12-07"
    assert _choose("tensorflow", os="linux", compute="cpu").checked == "TensorFlow 2.21.0 on 2026-12-07"


def test_every_retired_build_pins_its_last_release_and_names_its_index() -> None:
    cuda = [o for o in TABLE if o.framework == "pytorch" and o.compute == "cuda"]
    for option in cuda:
        assert option.min_compute_capability and option.min_driver_cuda and option.cuda, option.variant
        if option.last_release:
            assert f'"torch=={option.last_release}.*"' in option.command and option.index_url in option.command
    assert {o.last_release for o in cuda if o.index_url.endswith("/cu126")} == {"2.14"}
    assert {o.max_compute_capability for o in cuda if o.index_url.endswith("/cu126")} == {"9.0"}
    assert {o.last_release for o in cuda if o.index_url.endswith("/cu128")} == {"2.11"}


def test_installed_frameworks_newer_than_the_table_are_flagged() -> None:
    assert newer_than_checked(TABLE, {"pytorch": "2.13.0+cpu", "tensorflow": "2.21.0"}) == []
    (warning,) = newer_than_checked(TABLE, {"pytorch": "2.16.0", "tensorflow": "2.21.0"})
    assert "PyTorch 2.16.0 is installed, newer than 2.15.0" in warning
