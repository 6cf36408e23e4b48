"""The worker scripts, one per framework. They are run by path, never imported: each is self-contained."""

from pathlib import Path

SCRIPTS = {
    "pytorch": Path(__file__).resolve().parent / "torch_worker.py",
    "tensorflow": Path(__file__).resolve().parent / "tensorflow_worker.py",
}
