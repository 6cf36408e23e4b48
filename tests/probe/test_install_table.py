"""`fwguide rules validate` checks the install table's compatibility fields (real processes, a team's own file)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_cli

# A team's install table (it replaces the built-in one): every entry has one mistake.
BROKEN = """\
install:
  - framework: pytorch
    os: [linux]
    compute: cuda
    package: torch
    command: pip install torch --index-url https://download.pytorch.org/whl/cu126
    index_url: https://download.pytorch.org/whl/cu126
    last_release: "2.14"
    cuda: "12.6"
    min_driver_cuda: "twelve"
    min_compute_capability: "9.0"
    max_compute_capability: "5.0"
    source: https://example.org/
  - framework: caffe
    os: [linux]
    compute: cpu
    command: pip install caffe
    min_compute_capability: "7.5"
    source: https://example.org/
  - framework: pytorch
    os: [linux]
    compute: cpu
    command: pip install torch
    index_url: https://download.pytorch.org/whl/cpu
    source: example.org
"""


def test_validate_names_every_inconsistent_compatibility_field(tmp_path: Path) -> None:
    rules = tmp_path / "install.yaml"
    rules.write_text(BROKEN)
    proc = run_cli("rules", "validate", str(tmp_path))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    out = proc.stdout + proc.stderr
    for line in (f"{rules}:10: min_driver_cuda: expected a release number such as 12.6, not 'twelve'",
                 f"{rules}:12: max_compute_capability: expected 9.0 (min_compute_capability) or newer",
                 f'{rules}:6: command: expected it to pin torch==2.14 (its last_release), e.g. "torch==2.14.*"',
                 f"{rules}:14: framework: unknown framework 'caffe' (known: jax, pytorch, tensorflow)",
                 f"{rules}:18: min_compute_capability: only a CUDA entry has min_compute_capability (this one is cpu)",
                 f"{rules}:25: source: expected a URL",
                 f"{rules}:23: command: expected --index-url https://download.pytorch.org/whl/cpu (its index_url)"):
        assert line in out, line


def test_the_built_in_table_passes_its_own_checks() -> None:
    proc = run_cli("rules", "validate")
    assert proc.returncode == 0, proc.stdout + proc.stderr
