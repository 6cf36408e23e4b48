"""`ask`'s next step fits this machine and the probed environment, through real `fwguide` processes.

This machine has no NVIDIA GPU; the stand-in NVML (tests/probe/fake_nvml/) says so explicitly
("LibraryNotFound": no driver), or reports a Pascal GPU where one is needed. The frameworks are
this environment's real CPU builds; `bare_python` is a fresh virtual environment with neither.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import run_cli

FAKE_NVML = Path(__file__).resolve().parent / "fake_nvml"
OWN_PIP_FIRST = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
BOTH_INSTALLED = pytest.mark.skipif(
    importlib.util.find_spec("torch") is None or importlib.util.find_spec("tensorflow") is None,
    reason="needs torch and tensorflow installed")
TENSORFLOW_WINS = ("--set", "deploy=edge-tpu")  # a Coral Edge TPU runs only LiteRT models: a hard constraint


def _ask(*args: str, cache: Path, nvml: str = "LibraryNotFound", env: dict[str, str] | None = None) -> dict:
    full = {"PYTHONPATH": str(FAKE_NVML), "FWGUIDE_FAKE_NVML": nvml, "FWGUIDE_CACHE_DIR": str(cache),
            "PATH": OWN_PIP_FIRST, **(env or {})}
    proc = run_cli("ask", "--no-input", "--json", *args, env=full, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize(("extra", "framework"), [((), "pytorch"), (TENSORFLOW_WINS, "tensorflow")])
def test_nvidia_answers_on_a_machine_without_an_nvidia_gpu_are_for_the_training_machine(
        extra: tuple[str, ...], framework: str, tmp_path: Path) -> None:
    data = _ask("--set", "hardware=nvidia-gpu", *extra, cache=tmp_path)
    step = data["next_step"]
    assert data["recommendation"] == framework == step["framework"]
    assert step["where"] == "training-machine" and step["python"] is None and step["installed"] is False
    assert "--force-reinstall" not in step["command"] and "uninstall" not in step["command"]
    assert not step["replaces"] and "the probe found no NVIDIA GPU here" in step["note"]
    assert step["command"] == {"pytorch": "pip install torch",
                               "tensorflow": "pip install 'tensorflow[and-cuda]'"}[framework]


@pytest.mark.needs("torch", "tensorflow")
def test_nvidia_answers_on_a_machine_with_the_gpu_replace_the_cpu_build_here(tmp_path: Path) -> None:
    step = _ask("--set", "hardware=nvidia-gpu", cache=tmp_path, nvml="pascal")["next_step"]
    assert step["where"] == "this-environment" and step["python"] and os.path.samefile(step["python"], sys.executable)
    assert step["command"] == ('pip install "torch==2.14.*" --index-url https://download.pytorch.org/whl/cu126 '
                               "--force-reinstall")


@BOTH_INSTALLED
@pytest.mark.parametrize(("extra", "framework", "words"), [((), "pytorch", "PyTorch 2.13.0 (CPU)"),
                                                          (TENSORFLOW_WINS, "tensorflow", "TensorFlow 2.21.0 (CPU)")])
def test_cpu_answers_with_the_framework_installed_need_no_command(extra: tuple[str, ...], framework: str,
                                                                  words: str, tmp_path: Path) -> None:
    data = _ask("--set", "hardware=cpu", *extra, cache=tmp_path)
    step = data["next_step"]
    assert data["recommendation"] == framework
    assert step["installed"] is True and step["command"] is None and step["where"] == "this-environment"
    assert step["note"].startswith(f"{words} is already installed in ")
    assert os.path.samefile(step["python"], sys.executable)


def test_another_interpreter_gets_its_own_pip(bare_python: Path, tmp_path: Path) -> None:
    step = _ask("--python", str(bare_python), "--set", "hardware=cpu", cache=tmp_path)["next_step"]
    assert step["python"] == str(bare_python) and step["where"] == "this-environment" and not step["installed"]
    assert step["command"] == f"{bare_python} -m pip install torch --index-url https://download.pytorch.org/whl/cpu"


def test_the_activated_environment_gets_its_own_pip_when_its_pip_is_not_first_on_path(bare_python: Path,
                                                                                      tmp_path: Path) -> None:
    env = {"VIRTUAL_ENV": str(bare_python.parent.parent), "CONDA_PREFIX": ""}
    step = _ask("--set", "hardware=cpu", cache=tmp_path, env=env)["next_step"]
    assert step["python"] == str(bare_python) and step["command"].startswith(f"{bare_python} -m pip install torch")


def test_an_interpreter_whose_pip_comes_first_on_path_gets_plain_pip(bare_python: Path, tmp_path: Path) -> None:
    scripts = tmp_path / "bin"
    scripts.mkdir()
    pip = scripts / "pip"  # the launcher pip writes into a virtual environment: its shebang names the interpreter
    pip.write_text(f"#!{bare_python}\nimport sys\nfrom pip._internal.cli.main import main\nsys.exit(main())\n")
    pip.chmod(0o755)
    env = {"PATH": f"{scripts}{os.pathsep}{OWN_PIP_FIRST}"}
    step = _ask("--python", str(bare_python), "--set", "hardware=cpu", cache=tmp_path, env=env)["next_step"]
    assert step["command"] == "pip install torch --index-url https://download.pytorch.org/whl/cpu"


def test_an_interpreter_path_with_a_space_is_quoted_for_the_shell(tmp_path: Path) -> None:
    folder = tmp_path / "my envs" / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True, timeout=120)
    python = folder / "bin" / "python"
    step = _ask("--python", str(python), "--set", "hardware=cpu", cache=tmp_path)["next_step"]
    assert step["command"].startswith(f"{shlex.quote(str(python))} -m pip install torch")
    assert shlex.split(step["command"])[0] == str(python)


def test_tpu_answers_name_the_tpu_vm_route(tmp_path: Path) -> None:
    step = _ask("--set", "hardware=tpu", *TENSORFLOW_WINS, cache=tmp_path)["next_step"]
    assert step["where"] == "training-machine" and step["compute"] == "tpu"
    assert "tensorflow-tpu" in step["command"] and "tensorflow-cpu" not in step["command"]


def test_without_a_probe_nothing_is_known_about_this_machine() -> None:
    proc = run_cli("ask", "--no-probe", "--no-input", "--json", "--set", "hardware=nvidia-gpu")
    step = json.loads(proc.stdout)["next_step"]
    assert step["where"] == "this-environment" and step["python"] is None and step["installed"] is False
    assert step["command"] == "pip install torch" and "nothing was probed" in step["assumed"][0]


def test_probe_gpu_fixes_for_another_interpreter_run_its_pip(bare_python: Path, tmp_path: Path) -> None:
    env = {"PYTHONPATH": str(FAKE_NVML), "FWGUIDE_FAKE_NVML": "pascal", "FWGUIDE_CACHE_DIR": str(tmp_path),
           "PATH": OWN_PIP_FIRST}
    proc = run_cli("probe-gpu", "--json", "--no-bench", "--python", str(bare_python), "--framework", "torch",
                   env=env, timeout=300)
    (missing,) = [d for d in json.loads(proc.stdout)["diagnoses"] if d["code"] == "not-installed"]
    assert missing["command"] == (f'{bare_python} -m pip install "torch==2.14.*" '
                                  "--index-url https://download.pytorch.org/whl/cu126")
    assert missing["fix"] == f"install it: {missing['command']}"
