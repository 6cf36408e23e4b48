"""A worker that crashes, hangs, prints garbage or nothing is reported for its framework, cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.probe.conftest import framework


def _probe(fake: Path, *flags: str) -> tuple[int, dict, str]:
    proc = run_cli("probe-gpu", "--json", "--refresh", "--python", str(fake), *flags)
    assert "Traceback" not in proc.stderr
    return proc.returncode, json.loads(proc.stdout), proc.stderr


@pytest.mark.parametrize(("behaviour", "status", "reason"), [
    ("kill -SEGV $$", "crashed", "killed by SIGSEGV"),
    ('echo "Fatal: cannot load libcudart.so.12" >&2; exit 3', "crashed", "exited with code 3"),
    ('echo "<html>this is not a result</html>"', "bad-output", "printed text that is not a result"),
    ("exit 0", "no-output", "exited without printing a result"),
    ('echo "fwguide-frame-begin nonce"; echo "{}"; echo "fwguide-frame-end nonce"', "bad-output", "not a result"),
], ids=["crash", "exit-3", "garbage", "silent", "forged-frame"])
def test_broken_worker_is_reported_for_its_framework(fake_python: Callable[..., Path], behaviour: str,
                                                      status: str, reason: str) -> None:
    code, report, _ = _probe(fake_python(behaviour), "--no-bench")
    assert code == 0  # the probe ran; nobody asked for a particular framework
    for name in ("pytorch", "tensorflow"):
        found = framework(report, name)
        assert found["status"] == status and reason in found["reason"]
    assert {d["code"] for d in report["diagnoses"]} == {f"worker-{status}"}
    assert report["machine"]["os"]  # the rest of the report stands


def test_stderr_of_a_crashed_worker_is_kept(fake_python: Callable[..., Path]) -> None:
    _, report, _ = _probe(fake_python('echo "Fatal: cannot load libcudart.so.12" >&2; exit 3'), "--no-bench")
    assert framework(report, "pytorch")["stderr_tail"] == ["Fatal: cannot load libcudart.so.12"]
    assert "cannot load libcudart.so.12" in report["diagnoses"][0]["message"]


def test_hanging_worker_times_out_and_is_killed(fake_python: Callable[..., Path], tmp_path: Path) -> None:
    fake = fake_python(f'echo $$ >> "{tmp_path}/pids"; exec sleep 300')
    started = time.monotonic()
    code, report, _ = _probe(fake, "--timeout", "1.5", "--no-bench")
    assert time.monotonic() - started < 10
    assert code == 0
    for name in ("pytorch", "tensorflow"):
        assert framework(report, name)["status"] == "timeout"
        assert "no answer within 1.5 s" in framework(report, name)["reason"]
    for pid in (tmp_path / "pids").read_text().split():
        assert not _running(int(pid))


@pytest.mark.needs("torch", "tensorflow")
def test_framework_log_line_before_the_result_is_ignored(fake_python: Callable[..., Path]) -> None:
    log = ("2026-11-25 10:00:00.000000: I tensorflow/core/platform/cpu_feature_guard.cc:210] "
           "This TensorFlow binary is optimized to use available CPU instructions.")
    fake = fake_python(f'echo "{log}"; exec "{sys.executable}" "$@"', delegate=sys.executable)
    code, report, _ = _probe(fake, "--framework", "torch", "--no-bench")
    assert code == 0
    assert framework(report, "pytorch")["status"] == "ok"
    assert framework(report, "pytorch")["version"]


def test_asked_framework_that_is_unusable_exits_1(fake_python: Callable[..., Path], bare_python: Path) -> None:
    code, _, _ = _probe(fake_python("exit 0"), "--framework", "tensorflow", "--no-bench")
    assert code == 1
    code, report, _ = _probe(bare_python, "--framework", "torch", "--no-bench")
    assert code == 1 and framework(report, "pytorch")["status"] == "missing"


def test_ctrl_c_kills_every_worker_and_exits_130(fake_python: Callable[..., Path], tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    # the worker starts a child of its own, which must die with it
    fake = fake_python(f'sleep 300 & echo $! >> "{pids}"; echo $$ >> "{pids}"; wait')
    cache = tmp_path / "cache"
    proc = subprocess.Popen([sys.executable, "-m", "fwguide", "probe-gpu", "--python", str(fake), "--timeout", "120"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
                            env={**os.environ, "FWGUIDE_CACHE_DIR": str(cache)})
    deadline = time.monotonic() + 30
    while len(pids.read_text().split() if pids.exists() else []) < 4:  # two workers, two children
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 130
    assert "Traceback" not in err and out == ""
    time.sleep(0.2)
    assert [pid for pid in map(int, pids.read_text().split()) if _running(pid)] == []
    assert not (cache / "probe" / "results").exists() and not (cache / "probe" / "machine").exists()


def _running(pid: int) -> bool:
    """Alive and not a zombie (a zombie is dead, only not yet reaped by its new parent)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def test_framework_that_fails_to_import_gives_its_first_error_line(bare_python: Path, tmp_path: Path) -> None:
    broken = tmp_path / "site" / "torch"
    broken.mkdir(parents=True)
    (broken / "__init__.py").write_text(
        'raise ImportError("libcudnn.so.9: cannot open shared object file: No such file or directory\\nmore detail")\n')
    proc = run_cli("probe-gpu", "--json", "--python", str(bare_python), "--framework", "torch",
                   env={"PYTHONPATH": str(tmp_path / "site")})
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    report = json.loads(proc.stdout)
    found = framework(report, "pytorch")
    assert found["status"] == "import-error"
    assert found["reason"] == "importing it failed: ImportError: libcudnn.so.9: cannot open shared object file: " \
                              "No such file or directory"
    (diagnosis,) = report["diagnoses"]
    assert diagnosis["code"] == "import-failed" and "CUDA libraries are missing" in diagnosis["fix"]


@pytest.mark.needs("torch", "tensorflow")
def test_terminal_shows_progress_then_the_report() -> None:
    import pexpect

    argv = ["-m", "fwguide", "probe-gpu", "--refresh", "--no-bench", "--framework", "torch"]
    child = pexpect.spawn(sys.executable, argv, dimensions=(40, 120), env={**os.environ, "TERM": "xterm"},
                          encoding="utf-8", timeout=60)
    child.expect("probing this machine")
    child.expect("pytorch: ")
    child.expect("Capabilities")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
