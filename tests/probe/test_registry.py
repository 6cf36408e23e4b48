"""A third framework is one worker file and one registry entry: a stand-in is probed, shown and in JSON.

The stand-in is a real module on PYTHONPATH (`fakeflow`), probed by a real worker script
that speaks the shared protocol (fwguide_worker.py) from a folder of its own. fwguide runs
for real in a subprocess that registers the stand-in before building its CLI.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from fwguide import frameworks
from tests.conftest import NEUTRAL_CWD
from tests.helpers.frameworks import shown_by_a_probe

WORKER = '''
import fwguide_worker as common

FRAMEWORK = "fakeflow"


def _import():
    import fakeflow

    return fakeflow


def probe(fw, failure, import_s):
    return common.probe(
        FRAMEWORK, fw, failure, import_s, env=("FAKEFLOW_DEVICE",), packages=("fakeflow",),
        version=lambda fw: fw.__version__, build=lambda fw, packages: {"flavour": "cpu", "label": "CPU only"},
        devices=lambda fw, build: ([common.cpu_device("CPU (stand-in)")], None), warm_up=lambda fw, device: None,
    )


def bench(fw, probe_result):
    return {"kind": "bench", "results": [{"device": "cpu", "precision": "fp32", "size": 64, "sizes": [64],
                                          "tflops_best": 0.5, "tflops_median": 0.4, "samples": 3}]}


if __name__ == "__main__":
    common.serve(FRAMEWORK, "fakeflow", _import, common.checks_in(globals(), "fakeflow"), probe, bench)
'''

LAUNCHER = '''
import sys
from pathlib import Path

from fwguide import frameworks

frameworks.register(frameworks.Framework(
    id="fakeflow", title="FakeFlow", module="fakeflow", worker=Path(sys.argv.pop(1)), aliases=("fakeflow",),
    distributions=("fakeflow",), package_prefixes=("fakeflow",), target_roots=("fakeflow",),
))
from fwguide.cli import main

raise SystemExit(main())
'''


@pytest.fixture
def stand_in(tmp_path: Path):
    """Run fwguide with the stand-in registered; `installed` puts the fakeflow module on PYTHONPATH."""
    site = tmp_path / "site" / "fakeflow"
    site.mkdir(parents=True)
    (site / "__init__.py").write_text('__version__ = "0.7.1"\n')
    workers = tmp_path / "workers"
    workers.mkdir()
    (workers / "fakeflow_worker.py").write_text(WORKER)
    launcher = tmp_path / "launch.py"
    launcher.write_text(LAUNCHER)

    def run(*args: str, installed: bool = True) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "COLUMNS": "120", "PYTHONPATH": str(site.parent) if installed else "",
               "FAKEFLOW_DEVICE": "cpu"}
        return subprocess.run([sys.executable, str(launcher), str(workers / "fakeflow_worker.py"), *args],
                              capture_output=True, text=True, timeout=300, env=env, cwd=NEUTRAL_CWD,
                              stdin=subprocess.DEVNULL)

    return run


def _framework(report: dict, name: str) -> dict:
    return next(f for f in report["environments"][0]["frameworks"] if f["framework"] == name)


def test_stand_in_framework_is_probed_and_in_the_json(stand_in) -> None:
    proc = stand_in("probe-gpu", "--json", "--refresh")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    report = json.loads(proc.stdout)
    assert [f["framework"] for f in report["environments"][0]["frameworks"]] == [*shown_by_a_probe(), "fakeflow"]
    found = _framework(report, "fakeflow")
    assert found["status"] == "ok" and found["version"] == "0.7.1" and found["build"]["label"] == "CPU only"
    assert found["env"] == {"FAKEFLOW_DEVICE": "cpu"} and found["devices"][0]["name"] == "CPU (stand-in)"
    assert found["import_s"] is not None and found["device_init_s"] is not None  # timed by the shared skeleton
    assert found["bench"][0]["tflops_best"] == 0.5 and found["bench_status"] == "ok"
    cells = {c["feature"]: c["frameworks"] for c in report["environments"][0]["capabilities"]}
    assert cells["installed and imports"]["fakeflow"]["ok"] is True
    assert set(cells["installed and imports"]) == {*shown_by_a_probe(), "fakeflow"}


def test_stand_in_framework_is_rendered_beside_the_others(stand_in) -> None:
    proc = stand_in("probe-gpu", "--no-bench", "--framework", "fakeflow")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    frameworks_table = proc.stdout.split("Frameworks in", 1)[1]
    assert "FakeFlow" in frameworks_table and "0.7.1" in frameworks_table
    assert "PyTorch" not in frameworks_table.split("Capabilities")[0]  # only the framework asked for was probed
    markdown = stand_in("probe-gpu", "--no-bench", "--framework", "fakeflow", "--markdown").stdout
    assert re.search(r"^\|\s*\| FakeFlow \| from \|$", markdown, re.MULTILINE) and "0.7.1" in markdown


def test_stand_in_framework_that_is_not_installed_gets_a_diagnosis(stand_in) -> None:
    proc = stand_in("probe-gpu", "--json", "--no-bench", "--framework", "fakeflow", installed=False)
    assert proc.returncode == 1, proc.stderr  # asked for by --framework and not usable
    report = json.loads(proc.stdout)
    assert _framework(report, "fakeflow")["status"] == "missing"
    assert any(d["framework"] == "fakeflow" and "FakeFlow is not installed" in d["message"]
               for d in report["diagnoses"])


def test_stand_in_framework_outside_the_decision_is_left_out_where_it_is_not_installed(stand_in) -> None:
    report = json.loads(stand_in("probe-gpu", "--json", "--no-bench", installed=False).stdout)
    shown = [f["framework"] for f in report["environments"][0]["frameworks"]]
    assert shown == shown_by_a_probe() and "fakeflow" not in shown  # the decision's two are always there
    assert not any(d["framework"] == "fakeflow" for d in report["diagnoses"])


def test_stand_in_framework_is_a_column_of_the_fleet(stand_in, tmp_path: Path) -> None:
    saved = tmp_path / "one.json"
    saved.write_text(stand_in("probe-gpu", "--json", "--no-bench").stdout)
    proc = stand_in("fleet", str(saved), "--json")
    assert proc.returncode in (0, 1) and "Traceback" not in proc.stderr, proc.stderr
    host = json.loads(proc.stdout)["hosts"][0]
    assert host["frameworks"]["fakeflow"]["version"] == "0.7.1"
    assert "FakeFlow" in stand_in("fleet", str(saved)).stdout


def test_registering_a_taken_name_or_a_missing_worker_is_refused(tmp_path: Path) -> None:
    before = frameworks.ids()
    with pytest.raises(ValueError, match="already registered"):
        frameworks.register(frameworks.PYTORCH._replace(id="pytorch2", aliases=("tf",)))
    with pytest.raises(ValueError, match="is not a file"):
        frameworks.register(frameworks.PYTORCH._replace(id="other", aliases=("other",), worker=tmp_path / "nope.py"))
    assert frameworks.ids() == before
