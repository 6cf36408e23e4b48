"""The API map is rulebook data: schema-checked, overlaid by id, validated, and true to the installed frameworks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fwguide import frameworks
from fwguide.rulebook import check, load
from tests.conftest import run_cli


def test_the_built_in_map_is_valid_and_covers_the_apis_the_contract_names() -> None:
    rulebook, problems = check()
    assert problems == []
    ids = {entry.id for entry in rulebook.apis}
    assert {"tf-estimator", "tensorflow-estimator", "tf-contrib", "tf-compat-v1-session", "tf-compat-v1-placeholder",
            "tf-compat-v1-graph-mode", "tf-compat-v1-data-iterators", "tf-keras-legacy", "tf-use-legacy-keras",
            "tf-lite-interpreter", "tensorflow-addons", "tf-hub", "tfx-estimator-trainer", "torchscript-script",
            "torchscript-trace", "torch-xla", "torchserve-handler", "torch-onnx-legacy-exporter", "torchtext",
            "torchdata-datapipes"} <= ids
    for entry in rulebook.apis:
        assert entry.source.startswith("https://"), entry.id
        if entry.status == "removed":
            assert entry.since and entry.last, entry.id


def test_rules_validate_names_each_broken_api_entry(tmp_path: Path) -> None:
    team = tmp_path / "team.yaml"
    team.write_text("""\
apis:
  - id: old-thing
    api: old
    framework: mxnet
    match: {attribute: ["9.bad"], literal: [ab]}
    status: removed
    effort: rewrite
    replacement: new thing
    since: "1.0"
    source: not-a-url
  - id: twice
    api: twice
    framework: tensorflow
    match: {module: [tensorflow.estimator], argument: dynamo}
    status: deprecated
    effort: huge
    source: https://example.org
""")
    proc = run_cli("rules", "validate", str(team))
    assert proc.returncode == 2
    for expected in ("team.yaml:4: framework: unknown framework 'mxnet'",
                     "team.yaml:5: match.attribute[0]: expected a dotted Python name",
                     "team.yaml:5: match.literal[0]: expected a word of at least 4",
                     "team.yaml:10: source: expected a URL",
                     "last: a removed API needs the version it was removed in (since) and the last version",
                     "team.yaml:16: effort: got 'huge'"):
        assert expected in proc.stdout + proc.stderr, expected
    fixed = team.read_text().replace("effort: huge", "effort: rewrite")
    team.write_text(fixed)
    proc = run_cli("rules", "validate", str(team))
    assert "'tensorflow.estimator' is already matched by 'tf-estimator'" in proc.stdout + proc.stderr
    assert "match.argument: expected name=value" in proc.stdout + proc.stderr


def _present(framework: str, paths: list[str]) -> dict[str, bool]:
    """Which dotted paths the installed framework has, asked in a child process (one framework per process)."""
    module = frameworks.get(framework).module
    code = (f"import importlib, json, sys\nroot = importlib.import_module({module!r})\nfound = {{}}\n"
            "for path in json.loads(sys.argv[1]):\n    node = root\n    try:\n"
            "        for part in path.split('.')[1:]:\n            node = getattr(node, part)\n"
            "        found[path] = True\n    except AttributeError:\n        found[path] = False\n"
            "print(json.dumps({'version': root.__version__, 'found': found}))\n")
    proc = subprocess.run([sys.executable, "-c", code, json.dumps(paths)], capture_output=True, text=True, timeout=300,
                          env={**__import__("os").environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.splitlines()[-1])


def _release(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("+")[0].split(".")[:2])


@pytest.mark.parametrize("framework", [pytest.param("pytorch", marks=pytest.mark.needs("torch")),
                                       pytest.param("tensorflow", marks=pytest.mark.needs("tensorflow"))])
def test_statuses_agree_with_the_installed_framework(framework: str) -> None:
    """A removed attribute is gone from releases since its removal; a deprecated or current one is still there."""
    module = frameworks.get(framework).module
    entries = [e for e in load().apis if e.framework == framework and not e.package and e.match.attribute]
    paths = sorted({path for e in entries for path in e.match.attribute if path.split(".")[0] == module})
    answer = _present(framework, paths)
    installed = _release(answer["version"])
    for entry in entries:
        for path in (p for p in entry.match.attribute if p in answer["found"]):
            if entry.status == "removed" and installed >= _release(entry.since or "0"):
                assert not answer["found"][path], f"{path} ({entry.id}) is still in {framework} {answer['version']}"
            elif entry.status != "removed":
                assert answer["found"][path], f"{path} ({entry.id}) is missing from {framework} {answer['version']}"
