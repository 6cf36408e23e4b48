"""The worker scripts, one per framework (each named in fwguide.frameworks), run by path and never imported.

Every worker imports fwguide_worker.py, the protocol they share; the runner puts this
folder on each worker's PYTHONPATH so that a worker kept elsewhere finds it too.
"""

from pathlib import Path

COMMON = Path(__file__).resolve().parent / "fwguide_worker.py"
