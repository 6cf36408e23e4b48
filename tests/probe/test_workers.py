"""The worker scripts on their own, and the live checks they implement, against the real frameworks."""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import msgspec
import pytest

from fwguide import frameworks
from fwguide.probe.checks import run_checks
from fwguide.probe.model import WorkerBench, WorkerChecks, WorkerProbe
from fwguide.probe.workers import COMMON
from fwguide.rulebook import load
from fwguide.rulebook.names import CHECKS
from fwguide.rulebook.schema import Check
from tests.helpers.frameworks import each


def _script(framework: str) -> Path:
    return frameworks.get(framework).worker


def _load(framework: str) -> ModuleType:
    """The worker as a module, without running it (its framework is imported only by main())."""
    spec = importlib.util.spec_from_file_location(f"worker_{framework}", _script(framework))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(COMMON.parent))  # as the runner does through PYTHONPATH; the protocol takes it off again
    spec.loader.exec_module(module)
    return module


def _run(python: Path | str, framework: str, request: dict, cwd: Path, extra_input: str = "") -> tuple[list[dict], str]:
    request_line = json.dumps({**request, "nonce": "n1"}) + "\n"
    proc = subprocess.run([str(python), str(_script(framework))], input=request_line + extra_input,
                          capture_output=True, text=True, timeout=300, cwd=cwd)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    frames = [json.loads(lines[i + 1]) for i, line in enumerate(lines) if line == "fwguide-frame-begin n1"]
    assert len(lines) == 3 * len(frames), proc.stdout  # nothing but frames reaches stdout
    return frames, proc.stderr


@pytest.mark.parametrize("framework", each(needs_it=False))
def test_worker_implements_exactly_the_checks_named_for_its_framework(framework: str) -> None:
    expected = {name for name, spec in CHECKS.items() if framework in spec.frameworks}
    assert set(_load(framework).CHECKS) == expected


def _non_stdlib_imports(nodes: list[ast.AST]) -> set[str]:
    imported = {alias.name.split(".")[0] for node in nodes if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in nodes if isinstance(node, ast.ImportFrom) and node.module}
    return imported - set(sys.stdlib_module_names)


def _imports_outside_checks(path: Path) -> set[str]:
    """What the file imports beyond the standard library, leaving out the insides of its check_* functions."""
    tree = ast.parse(path.read_text(), feature_version=(3, 9))
    checks = [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef) and node.name.startswith("check_")]
    inside = {id(inner) for check in checks for inner in ast.walk(check)}
    return _non_stdlib_imports([node for node in ast.walk(tree) if id(node) not in inside])


@pytest.mark.parametrize("framework", each(needs_it=False))
def test_worker_is_self_contained_and_runs_on_python_3_9(framework: str) -> None:
    # A check may import what its route needs (onnx, triton) inside itself: a missing one is its answer, n/a.
    assert _imports_outside_checks(_script(framework)) == {frameworks.get(framework).module, COMMON.stem}
    assert _imports_outside_checks(COMMON) == set()


@pytest.mark.parametrize("framework", each(needs_it=False))
def test_worker_runs_by_path_where_fwguide_is_not_installed(framework: str, bare_python: Path, tmp_path: Path) -> None:
    (probe,), _ = _run(bare_python, framework, {"mode": "probe", "bench": True}, tmp_path)
    parsed = msgspec.convert(probe, WorkerProbe)
    assert parsed.installed is False and parsed.framework == framework and parsed.import_error is None


@pytest.mark.needs("tensorflow")
def test_tensorflow_noise_never_reaches_the_result_stream(tmp_path: Path) -> None:
    (probe,), stderr = _run(sys.executable, "tensorflow", {"mode": "probe", "bench": False}, tmp_path)
    parsed = msgspec.convert(probe, WorkerProbe)
    assert parsed.installed and parsed.version and parsed.import_s
    assert "fwguide-frame" not in stderr


@pytest.mark.parametrize("framework", each())
def test_benchmark_waits_for_its_turn_and_measures_a_matmul(framework: str, tmp_path: Path) -> None:
    frames, _ = _run(sys.executable, framework, {"mode": "probe", "bench": True}, tmp_path, extra_input="go\n")
    assert [f["kind"] for f in frames] == ["probe", "bench"]
    (matmul,) = msgspec.convert(frames[1], WorkerBench).results  # a CPU here: fp32 only, at the CPU sizes
    assert matmul.precision == "fp32" and matmul.samples >= 3 and 0 < matmul.tflops_median <= matmul.tflops_best
    frames, _ = _run(sys.executable, framework, {"mode": "probe", "bench": True}, tmp_path)  # no "go": no benchmark
    assert [f["kind"] for f in frames] == ["probe"]


@pytest.mark.parametrize("framework", each())
def test_unknown_check_is_an_error_not_a_crash(framework: str, tmp_path: Path) -> None:
    module = frameworks.get(framework).module
    request = {"mode": "checks", "checks": [{"check": "no_such_check"}, {"check": "has_attr", "target": module}]}
    (answer,), _ = _run(sys.executable, framework, request, tmp_path)
    results = msgspec.convert(answer, WorkerChecks).results
    assert [r.status for r in results] == ["error", "pass"]


@pytest.mark.needs("torch", "tensorflow")
def test_every_builtin_check_runs_without_error_on_the_real_frameworks() -> None:
    checks = [check for category in load().categories for check in category.checks]
    assert {c.framework for c in checks} == set(frameworks.DECISION)
    results = run_checks(checks)
    assert [(r.framework, r.check, r.target) for r in results] == [(c.framework, c.check, c.target) for c in checks]
    errors = [f"{r.framework} {r.check} {r.target}: {r.detail}" for r in results if r.status == "error"]
    assert errors == []
    assert all(r.framework_version for r in results)


@pytest.mark.needs("torch", "tensorflow")
def test_checks_reach_public_api_names_and_report_missing_ones() -> None:
    checks = [
        Check(framework="tensorflow", check="has_attr", target="tensorflow.distribute.MultiWorkerMirroredStrategy"),
        Check(framework="tensorflow", check="has_attr", target="tf.signal.rfft"),
        Check(framework="tensorflow", check="has_attr", target="tf.no_such_function"),
        Check(framework="pytorch", check="has_attr", target="torch.fft.rfft"),
        Check(framework="pytorch", check="version_at_least", target="99.0"),
        Check(framework="pytorch", check="module_importable", target="torch.no_such_module"),
    ]
    statuses = [r.status for r in run_checks(checks)]
    assert statuses == ["pass", "pass", "fail", "pass", "fail", "fail"]


def test_checks_skip_a_framework_that_is_not_installed(bare_python: Path) -> None:
    results = run_checks([Check(framework="pytorch", check="eager_by_default")], python=str(bare_python))
    assert [(r.status, r.detail) for r in results] == [("skip", f"PyTorch is not installed for {bare_python}")]


def test_checks_report_a_broken_worker_as_errors(fake_python) -> None:
    results = run_checks([Check(framework="tensorflow", check="keras_is_v3")], python=str(fake_python("exit 0")),
                         timeout=30)
    assert results[0].status == "error" and "exited without printing a result" in results[0].detail


HANGING_CHECK = """
import time

import fwguide_worker as common


def check_hang(fw, target):
    time.sleep(120)
    return "pass", "too late"


def check_quick(fw, target):
    return "pass", "answered"


if __name__ == "__main__":
    common.serve("standin", "json", lambda: __import__("json"), common.checks_in(globals(), "json"), None, None)
"""


def test_a_check_that_hangs_costs_its_own_time_limit_and_the_next_one_still_runs(tmp_path: Path) -> None:
    worker = tmp_path / "standin_worker.py"
    worker.write_text(HANGING_CHECK)
    request = {"mode": "checks", "checks": [{"check": "hang"}, {"check": "quick"}], "check_seconds": 1, "nonce": "n1"}
    started = time.monotonic()
    proc = subprocess.run([sys.executable, str(worker)], input=json.dumps(request) + "\n", capture_output=True,
                          text=True, timeout=60, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(COMMON.parent)})
    assert time.monotonic() - started < 15, "the hanging check held up the worker"
    answer = msgspec.convert(json.loads(proc.stdout.splitlines()[1]), WorkerChecks)
    assert [(r.status, r.detail) for r in answer.results] == [
        ("error", "no result within 1 s; the check was abandoned"), ("pass", "answered")]
