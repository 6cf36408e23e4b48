"""The README's recipes for collecting reports, run as written against stand-ins on PATH.

`ssh`, `srun` and `kubectl` are stand-ins (tests/fleet/standins/) that run the command on this
machine, each "host" in a UTS namespace of its own name where the machine allows one, so every
report names a different host just as on a real fleet.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import ROOT

STANDINS = Path(__file__).resolve().parent / "standins"
NAMESPACES = subprocess.run(["unshare", "--uts", "true"], capture_output=True).returncode == 0


def _section(heading: str) -> str:
    readme = (ROOT / "README.md").read_text()
    machines = readme.split("\n## Many machines\n", 1)[1].split("\n## ", 1)[0]
    return machines.split(f"\n### {heading}\n", 1)[1].split("\n### ", 1)[0]


def _blocks(heading: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)\n```", _section(heading), flags=re.S)


def _run(script: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join([str(STANDINS), str(Path(sys.executable).parent), os.environ["PATH"]])
    return subprocess.run(["bash", "-e", "-c", script], cwd=cwd, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PATH": path, **env}, stdin=subprocess.DEVNULL)


def _hosts_in(markdown: str) -> list[str]:
    return [line.split("|")[1].strip() for line in markdown.splitlines()
            if line.startswith("| ") and not line.startswith("| Host ")]


def _expect_hosts(found: list[str], names: list[str]) -> None:
    if NAMESPACES:
        assert sorted(found) == sorted(names)
    else:  # every "host" is this machine under its own name: one row
        assert len(found) == 1


def test_ssh_loop_collects_one_report_per_host_and_merges_them(tmp_path: Path) -> None:
    (script,) = _blocks("ssh", "bash")
    (tmp_path / "hosts.txt").write_text("gpu-a\ngpu-b\n")
    proc = _run(script.replace("fwguide fleet reports/", "fwguide fleet reports/ --markdown"), tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == ["gpu-a.json", "gpu-b.json"]
    report = json.loads((tmp_path / "reports" / "gpu-a.json").read_text())
    assert report["host"] == ("gpu-a" if NAMESPACES else os.uname().nodename)
    _expect_hosts(_hosts_in(proc.stdout), ["gpu-a", "gpu-b"])


def test_ssh_loop_with_an_unreachable_host_still_merges_the_rest(tmp_path: Path) -> None:
    (script,) = _blocks("ssh", "bash")
    (tmp_path / "hosts.txt").write_text("gpu-a\ngpu-down\n")
    broken = tmp_path / "bin"
    broken.mkdir()
    (broken / "ssh").write_text(f'#!/bin/sh\ncase "$*" in *gpu-down*) echo "ssh: connect to host gpu-down: '
                                f'No route to host" >&2; exit 255;; esac\nexec {STANDINS / "ssh"} "$@"\n')
    (broken / "ssh").chmod(0o755)
    proc = _run(script, tmp_path, PATH=f"{broken}{os.pathsep}{STANDINS}{os.pathsep}{Path(sys.executable).parent}"
                                      f"{os.pathsep}{os.environ['PATH']}")
    assert proc.returncode == 1  # the empty report is a problem: that host's state is unknown
    assert "skipped reports/gpu-down.json: empty: no report in it" in proc.stderr
    assert "gpu-a" in proc.stdout or not NAMESPACES


def test_slurm_script_writes_a_report_per_node_and_a_markdown_summary(tmp_path: Path) -> None:
    (script,) = _blocks("Slurm", "bash")
    assert "--ntasks-per-node=1" in script
    proc = _run(script, tmp_path, FAKE_SLURM_NODES="node001 node002 node003")
    assert proc.returncode == 0, proc.stderr
    names = sorted(p.name for p in (tmp_path / "reports").iterdir())
    assert names == [f"node00{i}.{kind}" for i in (1, 2, 3) for kind in ("err", "json")]
    summary = (tmp_path / "fleet.md").read_text()
    assert summary.startswith("# Fleet: ")
    _expect_hosts(_hosts_in(summary), ["node001", "node002", "node003"])


def test_kubernetes_daemonset_runs_as_written_and_its_logs_merge(tmp_path: Path) -> None:
    (manifest,) = _blocks("Kubernetes", "yaml")
    daemonset = yaml.safe_load(manifest)
    assert daemonset["kind"] == "DaemonSet"
    pod = daemonset["spec"]["template"]["spec"]
    assert pod["hostNetwork"] is True
    assert daemonset["spec"]["selector"]["matchLabels"] == daemonset["spec"]["template"]["metadata"]["labels"]
    container = pod["containers"][0]
    readiness = container["readinessProbe"]["exec"]["command"]
    logs = tmp_path / "logs"
    logs.mkdir()
    for node in ("k8s-gpu-1", "k8s-gpu-2"):
        # The container's command, run here in the node's name; its /tmp is a folder of its own.
        root = tmp_path / node
        root.mkdir()
        command = [part.replace("/tmp/", f"{root}/") for part in container["command"]]
        env = {item["name"]: item["value"] for item in container["env"]}
        in_node = ["unshare", "--uts", "sh", "-c", 'hostname "$0" && exec "$@"', node]
        wrapped = [*in_node, *command] if NAMESPACES else command
        proc = _run(" ".join(f"'{part}'" for part in wrapped), root, **env)
        assert proc.returncode == 0, proc.stderr
        (logs / node).write_text(proc.stdout)
        ready = subprocess.run([part.replace("/tmp/", f"{root}/") for part in readiness])
        assert ready.returncode == 0  # the pod turns ready once its report is written
    (collect,) = _blocks("Kubernetes", "bash")
    proc = _run(collect.replace("fwguide fleet -", "fwguide fleet - --json"), tmp_path, FAKE_POD_LOGS=str(logs))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    if NAMESPACES:
        assert sorted(h["host"] for h in data["hosts"]) == ["k8s-gpu-1", "k8s-gpu-2"]
    assert not [f for f in data["findings"] if f["kind"] == "unreadable-report"]

