"""`probe-gpu` against the real frameworks installed here: both workers, in parallel, in the schema."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import msgspec
import pytest

from fwguide import frameworks
from fwguide.probe import load_probe_json
from fwguide.probe.model import ProbeReport
from fwguide.rulebook.names import PROBE_FACTS
from tests.conftest import run_cli
from tests.helpers.frameworks import each, shown_by_a_probe
from tests.probe.conftest import framework


@pytest.mark.needs("torch", "tensorflow")
def test_every_installed_framework_reports_in_the_schema(real_probe: dict) -> None:
    report = msgspec.convert(real_probe, ProbeReport)  # every key and type as the schema says
    assert report.schema_version == 1
    assert [f.framework for f in report.environments[0].frameworks] == shown_by_a_probe()
    for found in report.environments[0].frameworks:
        assert found.status == "ok", found.reason
        assert found.version and found.build is not None and found.import_s and found.import_s > 0
        assert found.devices[0].kind == "cpu"
        assert found.bench_status == "ok"
        assert set(report.facts) <= set(PROBE_FACTS)


@pytest.mark.parametrize("name", each())
def test_framework_versions_are_the_installed_ones(real_probe: dict, name: str) -> None:
    import importlib.metadata as metadata

    distribution = next(d for d in frameworks.get(name).distributions if _has(d))
    assert framework(real_probe, name)["version"] == metadata.version(distribution)


def _has(distribution: str) -> bool:
    import importlib.metadata as metadata

    try:
        return bool(metadata.version(distribution))
    except metadata.PackageNotFoundError:
        return False


@pytest.mark.needs("tensorflow")
def test_tensorflow_names_its_distribution_and_keras(real_probe: dict) -> None:
    import importlib.metadata as metadata

    packages = framework(real_probe, "tensorflow")["packages"]
    assert any(name in packages for name in frameworks.TENSORFLOW.distributions)
    assert packages["keras"] == metadata.version("keras")


@pytest.mark.needs("torch", "tensorflow")
def test_cpu_machine_is_a_clean_result(real_probe: dict) -> None:
    machine = real_probe["machine"]
    assert machine["nvidia"]["status"] == "absent" and machine["nvidia"]["gpus"] == []
    assert machine["cores"] and machine["ram_gib"] and machine["cpu"]
    assert [d for d in real_probe["diagnoses"] if d["severity"] == "problem"] == []
    assert real_probe["facts"] == ["gpu-none"]


@pytest.mark.needs("tensorflow")
def test_tensorflow_memory_policy_is_reported_without_a_gpu(real_probe: dict) -> None:
    growth = framework(real_probe, "tensorflow")["memory_growth"]
    assert growth["grabs_all_memory"] is None
    assert "reserve nearly all" in growth["detail"] and "set_memory_growth" in growth["fix"]


@pytest.mark.parametrize("name", each())
def test_cpu_benchmark_gives_tflops_without_a_peak(real_probe: dict, name: str) -> None:
    (matmul,) = framework(real_probe, name)["bench"]
    assert matmul["precision"] == "fp32" and matmul["sizes"] == [1024, 2048]
    assert 0 < matmul["tflops_median"] <= matmul["tflops_best"] < 50
    assert matmul["peak_tflops"] is None and matmul["share_of_peak"] is None


def test_saved_json_loads_back(real_probe: dict, tmp_path: Path) -> None:
    saved = tmp_path / "probe.json"
    saved.write_text(json.dumps(real_probe))
    assert load_probe_json(saved).to_json_dict() == real_probe


@pytest.mark.needs("torch", "tensorflow")
def test_rich_view_shows_every_section() -> None:
    proc = run_cli("probe-gpu", "--no-bench")
    assert proc.returncode == 0, proc.stderr
    for heading in ("Machine", "Frameworks in", "Capabilities", "Diagnosis", "No problems found."):
        assert heading in proc.stdout
    table = proc.stdout.split("Frameworks in", 1)[1].split("Capabilities")[0]
    assert all(frameworks.title(name) in table for name in shown_by_a_probe())
    assert "Traceback" not in proc.stderr and proc.stderr == ""


@pytest.mark.needs("torch", "tensorflow")
def test_framework_flag_probes_only_that_framework() -> None:
    proc = run_cli("probe-gpu", "--json", "--framework", "torch", "--no-bench")
    assert proc.returncode == 0, proc.stderr
    frameworks = json.loads(proc.stdout)["environments"][0]["frameworks"]
    assert [f["framework"] for f in frameworks] == ["pytorch"]


def test_workers_run_in_parallel(fake_python, bare_python: Path) -> None:
    # each worker takes 2 s before it starts; one after the other would need over 4 s
    slow = fake_python(f'sleep 2; exec "{bare_python}" "$@"')
    started = time.monotonic()
    proc = run_cli("probe-gpu", "--json", "--refresh", "--python", str(slow))
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr
    assert {f["status"] for f in json.loads(proc.stdout)["environments"][0]["frameworks"]} == {"missing"}
    assert elapsed < 3.8


def test_the_cli_process_itself_never_imports_a_framework(tmp_path: Path) -> None:
    for refresh in (["--refresh"], []):  # a fresh probe and a cached one
        argv = [sys.executable, "-X", "importtime", "-m", "fwguide", "probe-gpu", "--no-bench", *refresh]
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
                              env={**os.environ, "FWGUIDE_CACHE_DIR": str(tmp_path)})
        assert proc.returncode == 0, proc.stderr[-2000:]
        modules = {line.split("|")[-1].strip().split(".")[0] for line in proc.stderr.splitlines()
                   if line.startswith("import time:")}
        assert "fwguide" in modules and not modules & {"keras", *(f.module for f in frameworks.known())}
