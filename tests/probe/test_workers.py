"""The worker scripts on their own, and the live checks they implement, against the real frameworks."""

from __future__ import annotations

import ast
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import msgspec
import pytest

from fwguide.probe.checks import run_checks
from fwguide.probe.model import WorkerChecks, WorkerProbe
from fwguide import frameworks
from fwguide.probe.workers import COMMON
from fwguide.rulebook import load
from fwguide.rulebook.names import CHECKS
from fwguide.rulebook.schema import Check

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
    proc = subprocess.run([str(python), str(_script(framework))], input=json.dumps({**request, "nonce": "n1"}) + "\n" + extra_input,
                          capture_output=True, text=True, timeout=300, cwd=cwd)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    frames = [json.loads(lines[i + 1]) for i, line in enumerate(lines) if line == "fwguide-frame-begin n1"]
    assert len(lines) == 3 * len(frames), proc.stdout  # nothing but frames reaches stdout
    return frames, proc.stderr


@pytest.mark.parametrize("framework", ["pytorch", "tensorflow"])
def test_worker_implements_exactly_the_checks_named_for_its_framework(framework: str) -> None:
    expected = {name for name, spec in CHECKS.items() if framework in spec.frameworks}
    assert set(_load(framework).CHECKS) == expected


def _non_stdlib_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), feature_version=(3, 9))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    return imported - set(sys.stdlib_module_names)


@pytest.mark.parametrize("framework", ["pytorch", "tensorflow"])
def test_worker_is_self_contained_and_runs_on_python_3_9(framework: str) -> None:
    assert _non_stdlib_imports(_script(framework)) == {frameworks.get(framework).module, COMMON.stem}
    assert _non_stdlib_imports(COMMON) == set()


@pytest.mark.parametrize("framework", ["pytorch", "tensorflow"])
def test_worker_runs_by_path_where_fwguide_is_not_installed(framework: str, bare_python: Path, tmp_path: Path) -> None:
    (probe,), _ = _run(bare_python, framework, {"mode": "probe", "bench": True}, tmp_path)
    parsed = msgspec.convert(probe, WorkerProbe)
    assert parsed.installed is False and parsed.framework == framework and parsed.import_error is None


def test_tensorflow_noise_never_reaches_the_result_stream(tmp_path: Path) -> None:
    (probe,), stderr = _run(sys.executable, "tensorflow", {"mode": "probe", "bench": False}, tmp_path)
    parsed = msgspec.convert(probe, WorkerProbe)
    assert parsed.installed and parsed.version and parsed.import_s
    assert "fwguide-frame" not in stderr


def test_benchmark_waits_for_its_turn(tmp_path: Path) -> None:
    frames, _ = _run(sys.executable, "pytorch", {"mode": "probe", "bench": True}, tmp_path, extra_input="go\n")
    assert [f["kind"] for f in frames] == ["probe", "bench"]
    frames, _ = _run(sys.executable, "pytorch", {"mode": "probe", "bench": True}, tmp_path)  # no "go": no benchmark
    assert [f["kind"] for f in frames] == ["probe"]


def test_unknown_check_is_an_error_not_a_crash(tmp_path: Path) -> None:
    request = {"mode": "checks", "checks": [{"check": "no_such_check"}, {"check": "has_attr", "target": "torch.flip"}]}
    (answer,), _ = _run(sys.executable, "pytorch", request, tmp_path)
    results = msgspec.convert(answer, WorkerChecks).results
    assert [r.status for r in results] == ["error", "pass"]


def test_every_builtin_check_runs_without_error_on_the_real_frameworks() -> None:
    checks = [check for category in load().categories for check in category.checks]
    assert {c.framework for c in checks} == {"pytorch", "tensorflow"}
    results = run_checks(checks)
    assert [(r.framework, r.check, r.target) for r in results] == [(c.framework, c.check, c.target) for c in checks]
    errors = [f"{r.framework} {r.check} {r.target}: {r.detail}" for r in results if r.status == "error"]
    assert errors == []
    assert all(r.framework_version for r in results)


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
