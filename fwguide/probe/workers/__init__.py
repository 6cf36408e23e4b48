"""The worker scripts, one per framework. They are run by path, never imported; each loads COMMON beside it."""

from pathlib import Path

SCRIPTS = {
    "pytorch": Path(__file__).resolve().parent / "torch_worker.py",
    "tensorflow": Path(__file__).resolve().parent / "tensorflow_worker.py",
}
COMMON = Path(__file__).resolve().parent / "common.py"  # the code every worker shares
