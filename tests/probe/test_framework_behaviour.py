"""What differs per framework comes from its registry entry: JAX probed for real, and each framework's own words
for GPU memory, the Apple GPU and native Windows, worked out from constructed probe facts."""

from __future__ import annotations

import importlib.metadata as metadata
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import msgspec
import pytest

from fwguide import frameworks
from fwguide.probe import load_probe_json, probe_facts
from fwguide.probe.diagnose import diagnose
from fwguide.probe.model import (
    AppleInfo,
    Environment,
    FrameworkReport,
    MachineInfo,
    ProbeReport,
    WorkerBuild,
    WorkerDevice,
    WorkerProbe,
)
from fwguide.probe.report import capabilities
from fwguide.probe.workers import COMMON
from fwguide.rulebook import load
from fwguide.rulebook.names import GPU_ONLY_FACT
from tests.conftest import DATA, run_cli
from tests.helpers.frameworks import each

RECORDED = load_probe_json(DATA / "probe_h100_constructed.json")
replace = msgspec.structs.replace
CPU = WorkerDevice(kind="cpu", name="CPU")
APPLE = replace(RECORDED.machine, os="macos", arch="arm64",
                nvidia=replace(RECORDED.machine.nvidia, status="absent", gpus=[]),
                apple=AppleInfo(apple_silicon=True, chip="Apple M2", macos_version="15.1"))


def _cpu_build(name: str, **fields: Any) -> FrameworkReport:
    return FrameworkReport(framework=name, python="/opt/venv/bin/python", status="ok", version="1.0",
                           build=WorkerBuild(flavour="cpu", label="CPU only"), devices=[CPU], **fields)


def _report(machine: MachineInfo, *reports: FrameworkReport) -> ProbeReport:
    environment = Environment(python="/opt/venv/bin/python", frameworks=list(reports))
    environment = replace(environment, capabilities=capabilities(machine, environment))
    report = replace(RECORDED, machine=machine, environments=[environment],
                     diagnoses=diagnose(machine, [environment], load().install))
    return replace(report, facts=sorted(probe_facts(report)))


# --- JAX, probed for real -------------------------------------------------------------------

@pytest.mark.needs("jax")
def test_probe_gpu_reports_jax_with_its_version_backend_and_a_matmul_figure() -> None:
    # asked in a child: JAX imported here would make the pty tests' fork unsafe
    backend = subprocess.run([sys.executable, "-c", "import jax; print(jax.default_backend())"], capture_output=True,
                             text=True, timeout=120, check=True).stdout.strip()
    proc = run_cli("probe-gpu", "--framework", "jax", "--json", "--refresh", timeout=300)
    assert proc.returncode == 0, proc.stderr
    (found,) = json.loads(proc.stdout)["environments"][0]["frameworks"]
    assert found["framework"] == "jax" and found["status"] == "ok"
    assert found["version"] == metadata.version("jax") and found["packages"]["jaxlib"] == metadata.version("jaxlib")
    assert found["backend"] == backend
    assert f"jaxlib {metadata.version('jaxlib')}" in found["build"]["label"]
    (matmul,) = [m for m in found["bench"] if m["precision"] == "fp32"]
    assert found["bench_status"] == "ok" and 0 < matmul["tflops_median"] <= matmul["tflops_best"] < 50
    assert matmul["samples"] >= 3 and matmul["sizes"] == [1024, 2048]


@pytest.mark.needs("jax")
def test_jax_worker_reports_the_users_memory_settings_not_its_own(tmp_path: Path) -> None:
    # The worker turns preallocation off for itself; a program of the user's would preallocate half of each GPU.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XLA_", "JAX_"))}
    env.update(PYTHONPATH=str(COMMON.parent), XLA_PYTHON_CLIENT_MEM_FRACTION=".5")
    proc = subprocess.run([sys.executable, str(frameworks.JAX.worker)], input='{"mode": "probe", "nonce": "n"}\n',
                          capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env)
    probe = msgspec.convert(json.loads(proc.stdout.splitlines()[1]), WorkerProbe)
    assert probe.env == {"XLA_PYTHON_CLIENT_MEM_FRACTION": ".5"}
    assert probe.memory_growth is not None and "preallocate 50% of its memory" in probe.memory_growth.detail


# --- each framework's own words -------------------------------------------------------------

@pytest.mark.parametrize("name", each(needs_it=False))
def test_apple_silicon_finding_speaks_for_its_own_framework(name: str) -> None:
    known = frameworks.get(name)
    (finding,) = [d for d in _report(APPLE, _cpu_build(name)).diagnoses if d.code == "apple-gpu-unused"]
    others = [f.title for f in frameworks.known() if f.id != name and f.title not in known.apple.fix]
    assert finding.framework == name and not any(title in finding.message for title in others)
    if known.apple.flavour:  # it carries the Apple GPU itself: a build without it is the problem
        assert finding.severity == "problem" and known.apple.unbuilt in finding.message
    else:
        assert finding.severity == "info" and finding.message == known.apple.absent


def test_jax_on_apple_silicon_is_told_about_jax_metal_not_tensorflow() -> None:
    (finding,) = [d for d in _report(APPLE, _cpu_build("jax")).diagnoses if d.code == "apple-gpu-unused"]
    assert "jax-metal" in finding.message and "experimental" in finding.message and "TensorFlow" not in finding.message
    plugin = _cpu_build("jax", packages={"jax-metal": "0.1.1"})
    (warning,) = [d for d in _report(APPLE, plugin).diagnoses if d.code == "apple-gpu-unused"]
    assert warning.severity == "warning" and warning.message.startswith("jax-metal 0.1.1 is installed but gives JAX")


@pytest.mark.parametrize("name", each(needs_it=False))
def test_memory_cell_without_a_gpu_says_what_the_framework_does_by_default(name: str) -> None:
    report = _report(RECORDED.machine, _cpu_build(name))
    (memory,) = [c for c in report.environments[0].capabilities if c.feature.startswith("shares the GPU")]
    cell = memory.frameworks[name]
    assert cell is not None and cell.ok is None and frameworks.get(name).memory.default in cell.reason


@pytest.mark.parametrize("name", each(needs_it=False))
def test_memory_cell_on_a_gpu_follows_the_registry_when_the_worker_says_nothing(name: str) -> None:
    gpu = WorkerDevice(kind="cuda", name="NVIDIA H100 80GB HBM3", compute_capability="9.0", bf16=True, fp16=True)
    report = _report(RECORDED.machine, replace(_cpu_build(name), devices=[CPU, gpu]))
    (memory,) = [c for c in report.environments[0].capabilities if c.feature.startswith("shares the GPU")]
    cell = memory.frameworks[name]
    assert cell is not None and cell.ok is (not frameworks.get(name).memory.up_front)


def test_a_tpu_is_an_accelerator_a_row_of_its_own_and_not_a_gpu() -> None:
    tpu = WorkerDevice(kind="tpu", name="TPU v5 lite", index=0, bf16=True)
    jax = replace(_cpu_build("jax"), build=WorkerBuild(flavour="tpu", label="TPU, libtpu 0.0.20"), devices=[CPU, tpu])
    report = _report(RECORDED.machine, jax)
    rows = {c.feature: c.frameworks["jax"] for c in report.environments[0].capabilities}
    assert rows["Google TPU"] is not None and rows["Google TPU"].ok is True
    assert rows["native bf16 on the GPU"] is not None and rows["native bf16 on the GPU"].ok is None
    without = _report(RECORDED.machine, _cpu_build("jax")).environments[0].capabilities
    assert "Google TPU" not in {c.feature for c in without}


@pytest.mark.parametrize("name", each(needs_it=False, only=frameworks.DECISION))
def test_a_framework_without_native_windows_gpus_counts_as_unable_there_even_when_missing(name: str) -> None:
    windows = replace(RECORDED.machine, os="windows")
    other = next(o for o in frameworks.DECISION if o != name)
    gpu = WorkerDevice(kind="cuda", name="NVIDIA H100 80GB HBM3", compute_capability="9.0", bf16=True, fp16=True)
    missing = FrameworkReport(framework=name, python="/opt/venv/bin/python", status="missing")
    facts = _report(windows, replace(_cpu_build(other), devices=[CPU, gpu]), missing).facts
    assert (GPU_ONLY_FACT[other] in facts) is (not frameworks.get(name).windows_gpu)
