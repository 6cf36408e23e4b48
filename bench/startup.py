"""Start-up cost of `fwguide --help` and `fwguide explain` against importing typer + rich.

Target (docs/design.md): close to the floor, at most 1.3x. fwguide runs through its console
script, as users run it; output goes to a pipe, as in scripts (a terminal adds rich's
console on top, measured by the last row).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import PYTHON, compare

if __name__ == "__main__":
    fwguide = [str(Path(PYTHON).with_name("fwguide"))]
    compare(
        [PYTHON, "-c", "import typer, rich"],
        {
            "fwguide --help": [*fwguide, "--help"],
            "fwguide explain device-management": [*fwguide, "explain", "device-management"],
            "fwguide explain --list": [*fwguide, "explain", "--list"],
            "fwguide explain coverage --json": [*fwguide, "explain", "coverage", "--json"],
        },
        targets={"fwguide --help": 1.3, "fwguide explain device-management": 1.3},
    )
