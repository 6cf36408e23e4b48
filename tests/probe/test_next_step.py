"""The next step from plain facts about this machine and environment (fwguide.install.step is pure).

The same rules through real `ask` processes are in test_next_step_e2e.py.
"""

from __future__ import annotations

import pytest

from fwguide.install import EnvironmentFacts, InstalledBuild, MachineFacts, for_interpreter, next_step
from fwguide.rulebook import load
from fwguide.rulebook.schema import Compute

TABLE = load().install
PYTHON = "/home/me/proj/.venv/bin/python"
CPU_TORCH = InstalledBuild(package="torch", version="2.13.0+cpu", flavour="cpu")
CPU_TF = InstalledBuild(package="tensorflow-cpu", version="2.21.0", flavour="cpu")
LAPTOP = MachineFacts(os="linux", arch="x86_64")
AMPERE = MachineFacts(os="linux", arch="x86_64", cuda_driver="13.0", compute_capability="8.6",
                      platforms=frozenset({"cpu", "cuda"}))
BLACKWELL = MachineFacts(os="linux", arch="x86_64", cuda_driver="12.8", compute_capability="12.0",
                         platforms=frozenset({"cpu", "cuda"}))


def _step(framework: str, compute: Compute, machine: MachineFacts, installed: InstalledBuild | None,
          pip_runs_here: bool | None = True, os: str = "linux"):
    environment = EnvironmentFacts(python=PYTHON, pip_runs_here=pip_runs_here, installed=installed)
    step = next_step(TABLE, framework, os=os, compute=compute, machine=machine, environment=environment)
    assert step is not None
    return step


@pytest.mark.parametrize(("framework", "installed"), [("pytorch", CPU_TORCH), ("tensorflow", CPU_TF)])
def test_gpu_answers_on_a_machine_without_that_gpu_are_for_the_training_machine(framework: str,
                                                                                 installed: InstalledBuild) -> None:
    step = _step(framework, "cuda", LAPTOP, installed)
    assert step.where == "training-machine" and step.python is None and not step.installed
    assert step.command is not None and "--force-reinstall" not in step.command and "uninstall" not in step.command
    assert not step.replaces and "the probe found no NVIDIA GPU here" in step.note and "stays as it is" in step.note
    assert any("the training machine was not probed" in a for a in step.assumed)


def test_the_training_machine_command_is_not_written_for_this_interpreter() -> None:
    step = _step("pytorch", "cuda", LAPTOP, CPU_TORCH, pip_runs_here=False)
    assert step.command == "pip install torch"


def test_answers_for_another_os_are_for_that_machine() -> None:
    step = _step("pytorch", "cpu", LAPTOP, CPU_TORCH, os="windows")
    assert step.where == "training-machine" and "describe a Windows machine and this one runs Linux" in step.note


def test_tpu_answers_are_never_for_this_machine_and_never_tensorflow_cpu() -> None:
    step = _step("tensorflow", "tpu", LAPTOP, CPU_TF)
    assert step.where == "training-machine" and step.compute == "tpu"
    assert step.command is not None and step.command.startswith('pip install "tensorflow-tpu==2.18.*"')


def test_a_cpu_build_with_cpu_answers_is_already_installed() -> None:
    step = _step("pytorch", "cpu", LAPTOP, CPU_TORCH)
    assert step.installed and step.command is None and step.where == "this-environment" and step.python == PYTHON
    assert step.note == f"PyTorch 2.13.0 (CPU) is already installed in {PYTHON}: nothing to install."


def test_a_gpu_build_runs_on_the_cpu_too_so_cpu_answers_never_replace_it() -> None:
    cuda = InstalledBuild(package="torch", version="2.15.0", flavour="cuda", cuda="13.2", sees=("cuda",))
    step = _step("pytorch", "cpu", AMPERE, cuda)
    assert step.installed and step.command is None and "(CUDA 13.2)" in step.note


def test_a_cuda_build_that_uses_this_gpu_is_already_installed() -> None:
    cuda = InstalledBuild(package="torch", version="2.14.1", flavour="cuda", cuda="13.0", sees=("cuda",))
    assert _step("pytorch", "cuda", AMPERE, cuda).installed  # CUDA 13.0 where the index has 13.2: it still works


def test_a_cuda_build_without_kernels_for_this_gpu_is_replaced() -> None:
    cu126 = InstalledBuild(package="torch", version="2.14.1+cu126", flavour="cuda", cuda="12.6", sees=("cuda",))
    step = _step("pytorch", "cuda", BLACKWELL, cu126)
    assert not step.installed and step.where == "this-environment"
    assert step.command == ('pip install "torch==2.11.*" --index-url https://download.pytorch.org/whl/cu128 '
                            "--force-reinstall")


def test_a_cpu_build_on_a_gpu_machine_with_gpu_answers_is_replaced_here() -> None:
    step = _step("pytorch", "cuda", AMPERE, CPU_TORCH, pip_runs_here=False)
    assert step.where == "this-environment" and step.python == PYTHON
    assert step.command == f"{PYTHON} -m pip install torch --force-reinstall"


def test_a_build_that_fails_to_import_is_not_installed() -> None:
    broken = InstalledBuild(package="torch", version="2.13.0+cpu", flavour="cpu", works=False)
    step = _step("pytorch", "cpu", LAPTOP, broken)
    assert not step.installed and step.command is not None


def test_without_a_probe_the_step_comes_from_the_answers_alone() -> None:
    step = next_step(TABLE, "pytorch", os="linux", compute="cuda")
    assert step is not None and step.where == "this-environment" and step.python is None
    assert step.command == "pip install torch" and "nothing was probed" in step.assumed[0]


@pytest.mark.parametrize(("command", "python", "os_name", "expected"), [
    ("pip install torch", "/p/bin/python", "linux", "/p/bin/python -m pip install torch"),
    ("pip install torch", "/my envs/bin/python", "linux", "'/my envs/bin/python' -m pip install torch"),
    ("pip install torch", r"C:\My Envs\python.exe", "windows", r'"C:\My Envs\python.exe" -m pip install torch'),
    ("pip uninstall -y tensorflow-cpu && pip install 'tensorflow[and-cuda]'", "/p/python", "linux",
     "/p/python -m pip uninstall -y tensorflow-cpu && /p/python -m pip install 'tensorflow[and-cuda]'"),
    ("wsl --install, then inside WSL2: pip install 'tensorflow[and-cuda]'", "/p/python", "windows",
     "wsl --install, then inside WSL2: pip install 'tensorflow[and-cuda]'"),
])
def test_commands_for_another_interpreter_run_its_pip(command: str, python: str, os_name: str, expected: str) -> None:
    assert for_interpreter(command, python, False, os_name) == expected
    assert for_interpreter(command, python, True, os_name) == command
    assert for_interpreter(command, python, None, os_name) == command  # cannot be told: the plain form
