"""Cost of `fwguide ask` with answers from a file against importing typer + rich.

Target: `ask --answers F --no-input --no-probe --json` at most 1.5x the floor. The
answers file answers every question, as a team's saved answers would. fwguide runs through its
console script, as users run it.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import PYTHON, compare

ANSWERS = """\
scale: startup
deploy: [python-server, mobile-android]
hardware: [nvidia-gpu]
os: linux
experience: python-numpy
existing_code: none
workload: fine-tune
model_family: vision
pipeline: false
custom_kernels: false
visualization: true
"""

if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        answers = Path(folder) / "answers.yaml"
        answers.write_text(ANSWERS)
        ask = [str(Path(PYTHON).with_name("fwguide")), "ask", "--answers", str(answers), "--no-input", "--no-probe"]
        compare(
            [PYTHON, "-c", "import typer, rich"],
            {
                "fwguide ask --answers F --no-input --no-probe --json": [*ask, "--json"],
                "fwguide ask --answers F --no-input --no-probe (plain)": ask,
            },
            env={"FWGUIDE_CACHE_DIR": str(Path(folder) / "cache")},
            targets={"fwguide ask --answers F --no-input --no-probe --json": 1.5},
        )
