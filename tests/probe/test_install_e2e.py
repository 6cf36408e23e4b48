"""The issue's done-when cases through real `fwguide` subprocesses, with stand-ins for the NVIDIA tools.

The stand-in `pynvml` (tests/probe/fake_nvml/, first on PYTHONPATH) reports a GPU generation on a
driver: a GTX 1080 (Pascal, compute capability 6.1) whose driver's newest CUDA is 12.2, an RTX 5090
(Blackwell, 12.0) on a 570 driver (CUDA 12.8), an RTX 3090 (Ampere) on a 580 driver (CUDA 13.0); the
frameworks are this environment's real CPU builds (torch +cpu and tensorflow-cpu). fwguide's own
environment comes first on PATH, so its `pip` is the plain one.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.probe.conftest import framework

FAKE_NVML = Path(__file__).resolve().parent / "fake_nvml"
OWN_PIP_FIRST = {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
PASCAL = {"PYTHONPATH": str(FAKE_NVML), "FWGUIDE_FAKE_NVML": "pascal", **OWN_PIP_FIRST}
CU126 = 'pip install "torch==2.14.*" --index-url https://download.pytorch.org/whl/cu126'


@pytest.fixture(scope="module")
def pascal_report() -> dict:
    proc = run_cli("probe-gpu", "--json", "--no-bench", "--refresh", env=PASCAL, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _probe(case: str, cache: Path) -> dict:
    env = {"PYTHONPATH": str(FAKE_NVML), "FWGUIDE_FAKE_NVML": case, "FWGUIDE_CACHE_DIR": str(cache), **OWN_PIP_FIRST}
    proc = run_cli("probe-gpu", "--json", "--no-bench", "--refresh", env=env, timeout=300)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def _finding(report: dict, name: str, code: str = "cpu-only-build") -> dict:
    (found,) = [d for d in report["diagnoses"] if d["framework"] == name and d["code"] == code]
    return found


def _fix(report: dict, name: str) -> str:
    return _finding(report, name)["fix"]


@pytest.mark.needs("torch", "tensorflow")
def test_pascal_on_a_cuda_12_2_driver_gets_cu126_pinned_to_torch_2_14_replacing_the_cpu_torch(
        pascal_report: dict) -> None:
    assert pascal_report["machine"]["nvidia"]["cuda_driver_version"] == "12.2"
    assert framework(pascal_report, "pytorch")["build"]["flavour"] == "cpu"
    fix = _fix(pascal_report, "pytorch")
    assert f"{CU126} --force-reinstall" in fix
    assert "6.1, Pascal" in fix and "12.2" in fix


@pytest.mark.needs("torch", "tensorflow")
def test_pascal_tensorflow_fix_removes_tensorflow_cpu(pascal_report: dict) -> None:
    assert framework(pascal_report, "tensorflow")["packages"].get("tensorflow-cpu")
    assert "pip uninstall -y tensorflow-cpu && pip install 'tensorflow[and-cuda]'" in _fix(pascal_report, "tensorflow")


@pytest.mark.needs("torch", "tensorflow")
def test_fix_commands_stand_whole_on_their_own_line_at_80_columns(pascal_report: dict) -> None:
    torch_fix = _finding(pascal_report, "pytorch")
    assert torch_fix["command"] == f"{CU126} --force-reinstall"
    proc = run_cli("probe-gpu", "--no-bench", env={**PASCAL, "COLUMNS": "80"}, timeout=300)
    assert max(len(line) for line in proc.stdout.splitlines()) <= 80  # folded by fwguide, never by the terminal
    # a command too long for the line folds between words with a shell continuation: copied, it runs whole
    lines = [line.strip() for line in proc.stdout.replace(" \\\n", " ").splitlines()]
    commands = [" ".join(line.split()) for line in lines]
    assert torch_fix["command"] in commands  # its own line(s), nothing else on them
    assert "pip uninstall -y tensorflow-cpu && pip install 'tensorflow[and-cuda]'" in commands
    fix_line = next(line for line in lines if line.startswith("fix: install a CUDA build (the package index"))
    assert "pip install" not in fix_line  # the words explain, the command line acts


def test_pascal_is_never_offered_cu128_or_a_cuda_13_build(pascal_report: dict) -> None:
    fixes = " ".join(d["fix"] for d in pascal_report["diagnoses"])
    assert not re.search(r"cu128|cu13\d|whl/cu13", fixes)
    assert "pip install torch --force-reinstall" not in fixes  # the package index's build is CUDA 13


@pytest.mark.parametrize(("case", "command"), [
    ("pascal-r580", f"{CU126} --force-reinstall"),
    ("turing-r535", f"{CU126} --force-reinstall"),
    ("turing-r580", "pip install torch --force-reinstall"),
    ("ampere-r535", f"{CU126} --force-reinstall"),
    ("hopper-r580", "pip install torch --force-reinstall"),
    ("blackwell-r580", "pip install torch --force-reinstall"),
])
@pytest.mark.needs("torch", "tensorflow")
def test_each_gpu_generation_and_driver_gets_the_torch_build_the_table_gives(case: str, command: str,
                                                                             tmp_path: Path) -> None:
    env = {"PYTHONPATH": str(FAKE_NVML), "FWGUIDE_FAKE_NVML": case, "FWGUIDE_CACHE_DIR": str(tmp_path), **OWN_PIP_FIRST}
    proc = run_cli("probe-gpu", "--json", "--no-bench", "--framework", "torch", env=env, timeout=300)
    report = json.loads(proc.stdout)
    assert _finding(report, "pytorch")["command"] == command


@pytest.fixture(scope="module")
def blackwell_report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return _probe("blackwell-r570", tmp_path_factory.mktemp("blackwell"))


@pytest.mark.needs("torch", "tensorflow")
def test_blackwell_on_a_570_driver_gets_cu128_pinned_to_2_11_or_a_driver_update_never_cu126(
        blackwell_report: dict) -> None:
    nvidia = blackwell_report["machine"]["nvidia"]
    assert nvidia["cuda_driver_version"] == "12.8" and nvidia["gpus"][0]["compute_capability"] == "12.0"
    torch_fix = _finding(blackwell_report, "pytorch")
    assert torch_fix["command"] == ('pip install "torch==2.11.*" --index-url https://download.pytorch.org/whl/cu128 '
                                    "--force-reinstall")
    assert "update the NVIDIA driver to the 580 series or newer" in torch_fix["fix"]
    assert "pip install torch --force-reinstall" in torch_fix["fix"]  # the current release, once the driver has CUDA 13
    assert "cu126" not in torch_fix["command"]
    assert not re.search(r"whl/cu126", " ".join(d.get("command", "") for d in blackwell_report["diagnoses"]))


@pytest.mark.needs("torch", "tensorflow")
def test_blackwell_tensorflow_is_told_its_cuda_builds_have_no_sm_120_kernels(blackwell_report: dict) -> None:
    finding = _finding(blackwell_report, "tensorflow", "gpu-too-new-for-build")
    assert finding["severity"] == "problem"
    assert "sm_120" in finding["message"] and "CUDA 12.5" in finding["message"]
    assert "tensorflow/tensorflow/issues/89272" in finding["message"]
    assert "run TensorFlow on the CPU here" in finding["fix"] and not finding.get("command")
    codes = {d["code"] for d in blackwell_report["diagnoses"] if d["framework"] == "tensorflow"}
    assert "cpu-only-build" not in codes


@pytest.mark.needs("torch", "tensorflow")
def test_ampere_on_a_cuda_13_driver_gets_the_package_index_wheel(tmp_path: Path) -> None:
    report = _probe("ampere-r580", tmp_path)
    assert report["machine"]["nvidia"]["cuda_driver_version"] == "13.0"
    assert _finding(report, "pytorch")["command"] == "pip install torch --force-reinstall"
    assert _finding(report, "tensorflow")["command"] == \
        "pip uninstall -y tensorflow-cpu && pip install 'tensorflow[and-cuda]'"


def _bare_venv(bare_python: Path) -> Path:
    return bare_python.parent.parent


def test_activated_virtual_env_is_probed_when_fwguide_runs_from_another(bare_python: Path) -> None:
    env = {"VIRTUAL_ENV": str(_bare_venv(bare_python)), "CONDA_PREFIX": ""}
    proc = run_cli("probe-gpu", "--json", "--no-bench", env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    (environment,) = json.loads(proc.stdout)["environments"]
    assert environment["python"] == str(bare_python)
    assert environment["chosen_by"].startswith("VIRTUAL_ENV")
    assert {f["status"] for f in environment["frameworks"]} == {"missing"}


@pytest.mark.needs("torch", "tensorflow")
def test_fwguide_s_own_environment_is_probed_when_it_is_the_activated_one() -> None:
    env = {"VIRTUAL_ENV": sys.prefix, "CONDA_PREFIX": ""}
    proc = run_cli("probe-gpu", "--json", "--no-bench", "--framework", "torch", env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    (environment,) = json.loads(proc.stdout)["environments"]
    assert os.path.samefile(environment["python"], sys.executable)
    assert environment["chosen_by"] == "VIRTUAL_ENV, fwguide's own environment"


def test_screen_names_the_probed_environment(bare_python: Path) -> None:
    env = {"VIRTUAL_ENV": str(_bare_venv(bare_python)), "CONDA_PREFIX": ""}
    proc = run_cli("probe-gpu", "--no-bench", env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert f"Frameworks in {bare_python} (VIRTUAL_ENV, the activated environment;" in " ".join(proc.stdout.split())


@pytest.mark.needs("torch", "tensorflow")
def test_markdown_report_for_an_issue(tmp_path: Path) -> None:
    nvcc = tmp_path / "nvcc"
    nvcc.write_text("#!/bin/sh\necho 'Cuda compilation tools, release 12.4, V12.4.131'\n")
    nvcc.chmod(0o755)
    env = {**PASCAL, "PATH": f"{tmp_path}:{os.environ['PATH']}"}
    proc = run_cli("probe-gpu", "--markdown", "--no-bench", "--refresh", env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.startswith("### fwguide probe-gpu report")
    assert "| driver's newest CUDA | 12.2 | NVML |" in out
    shown = str(nvcc).replace("_", r"\_")  # Markdown escapes the underscores of outside text
    assert f"| system CUDA toolkit | 12.4.131 ({shown}) | nvcc --version, found via PATH |" in out
    assert "| GPU 0 | NVIDIA GeForce GTX 1080, 8.0 GiB, compute capability 6.1 | NVML |" in out
    version_row = next(line for line in out.splitlines() if line.startswith("| version |"))
    assert "2.13.0+cpu" in version_row and "2.21.0" in version_row and r"torch.\_\_version\_\_" in version_row
    assert "|   | PyTorch | TensorFlow |" in out
    assert "- **problem** PyTorch:" in out and "whl/cu126" in out


def test_json_and_markdown_together_is_bad_usage() -> None:
    proc = run_cli("probe-gpu", "--json", "--markdown")
    assert proc.returncode == 2 and "cannot be combined" in proc.stderr and "Traceback" not in proc.stderr


def test_cached_results_say_how_old_they_are_on_screen_and_in_json(bare_python: Path, tmp_path: Path) -> None:
    env = {"FWGUIDE_CACHE_DIR": str(tmp_path)}
    first = run_cli("probe-gpu", "--json", "--python", str(bare_python), env=env)
    assert first.returncode == 0, first.stderr
    fresh = json.loads(first.stdout)
    assert fresh["machine"]["cache_note"] == ""
    assert {f["cache_note"] for f in fresh["environments"][0]["frameworks"]} == {""}
    again = json.loads(run_cli("probe-gpu", "--json", "--python", str(bare_python), env=env).stdout)
    note = "cached 0 min ago; --refresh to probe again"
    assert again["machine"]["cache_note"] == note
    assert {f["cache_note"] for f in again["environments"][0]["frameworks"]} == {note}
    screen = run_cli("probe-gpu", "--python", str(bare_python), env=env).stdout
    assert "(cached 0 min ago; --refresh to probe again)" in " ".join(screen.split())


@pytest.mark.parametrize("variable", ["CUDA_VISIBLE_DEVICES", "LD_LIBRARY_PATH"])
def test_environment_that_changes_discovery_is_part_of_the_cache_key(bare_python: Path, tmp_path: Path,
                                                                      variable: str) -> None:
    env = {"FWGUIDE_CACHE_DIR": str(tmp_path)}
    assert run_cli("probe-gpu", "--json", "--python", str(bare_python), env=env).returncode == 0
    changed = json.loads(run_cli("probe-gpu", "--json", "--python", str(bare_python),
                                 env={**env, variable: "/elsewhere" if variable == "LD_LIBRARY_PATH" else "0"}).stdout)
    assert changed["machine"]["cache_note"] == ""
    assert {f["cached"] for f in changed["environments"][0]["frameworks"]} == {False}


@pytest.mark.needs("torch", "tensorflow")
def test_ask_next_step_comes_from_the_probe_of_this_machine(pascal_report: dict, tmp_path: Path) -> None:
    saved = tmp_path / "probe.json"
    saved.write_text(json.dumps(pascal_report))
    proc = run_cli("ask", "--probe-json", str(saved), "--no-input", "--json", "--set", "hardware=nvidia-gpu",
                   "--set", "os=linux", "--set", "scale=research", "--set", "model_family=vision", env=OWN_PIP_FIRST)
    assert proc.returncode == 0, proc.stderr
    step = json.loads(proc.stdout)["next_step"]
    assert step["framework"] == "pytorch" and step["where"] == "this-environment" and not step["installed"]
    assert step["command"] == f"{CU126} --force-reinstall"
    assert step["replaces"] and not step["assumed"] and step["last_release"] == "2.14"


def test_ask_without_a_probe_says_what_it_assumed() -> None:
    proc = run_cli("ask", "--no-probe", "--no-input", "--json", "--set", "hardware=nvidia-gpu", "--set", "os=linux",
                   "--set", "scale=research")
    step = json.loads(proc.stdout)["next_step"]
    assert step["command"] == "pip install torch"
    assert "compute capability 7.5" in step["assumed"][0] and "cu126" in step["assumed"][0]
    screen = run_cli("ask", "--no-probe", "--no-input", "--set", "hardware=nvidia-gpu", "--set", "os=linux",
                     "--set", "scale=research").stdout
    assert "Assumed a GPU of compute capability 7.5 or newer" in screen
