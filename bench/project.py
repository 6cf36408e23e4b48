"""Cost of `fwguide ask --no-probe` run inside an ordinary project folder, where it scans the project.

Target (issue 13): at most 1.5x importing typer + rich. The folder is what a small ML team's
repository looks like: a package, tests, notebooks with outputs, dependency files, a git folder
and a virtual environment full of packages (which the scan must skip). The last row gives the
same answers from a file, which speaks for its own project, so nothing is scanned: the difference
is the scan's own cost.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import PYTHON, compare

MODULE = '''"""A module of the app."""
import os
import numpy as np
{framework}

def step(batch, model):
    """One training step."""
    return model(batch)
''' + "\n".join(f"def helper_{i}(x):\n    return x * {i}\n" for i in range(60))


def ordinary_project(root: Path) -> None:
    """About 200 files to read, 3,000 more in .venv and .git to skip, and 200 data files to pass over."""
    for folder, count in (("src/app", 120), ("tests", 60)):
        (root / folder).mkdir(parents=True)
        for i in range(count):
            framework = "import torch\nimport torch.nn as nn" if i % 4 == 0 else ""
            (root / folder / f"m{i:03d}.py").write_text(MODULE.format(framework=framework))
    (root / "notebooks").mkdir()
    for i in range(5):
        cells = [{"cell_type": "code", "source": ["import torch\n", "x = torch.ones(3)\n"],
                  "outputs": [{"data": {"image/png": "iVBORw0KGgo" * 20000}}]}]
        (root / "notebooks" / f"explore{i}.ipynb").write_text(json.dumps({"cells": cells, "nbformat": 4}))
    (root / "data").mkdir()
    for i in range(200):
        (root / "data" / f"part{i:03d}.csv").write_text("a,b\n1,2\n")
    for folder, count in ((".venv/lib/python3.12/site-packages/pkg", 2500), (".git/objects/ab", 500)):
        (root / folder).mkdir(parents=True)
        for i in range(count):
            (root / folder / f"f{i}.py").write_text("import torch\n")
    (root / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (root / "requirements.txt").write_text("torch==2.7.0\nnumpy\npandas\n")
    (root / "pyproject.toml").write_text('[project]\nname = "app"\ndependencies = ["torch>=2.7", "numpy"]\n')
    (root / "README.md").write_text("# app\n")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder) / "app"
        ordinary_project(project)
        answers = Path(folder) / "answers.yaml"
        answers.write_text("existing_code: pytorch\nexperience: pytorch\n")
        ask = [str(Path(PYTHON).with_name("fwguide")), "ask", "--no-input", "--no-probe", "--json"]
        compare(
            [PYTHON, "-c", "import typer, rich"],
            {
                "fwguide ask --no-input --no-probe --json (scans the project)": ask,
                "fwguide ask --answers F ... (an answers file: no scan)": [*ask, "--answers", str(answers)],
            },
            env={"FWGUIDE_CACHE_DIR": str(Path(folder) / "cache")},
            targets={"fwguide ask --no-input --no-probe --json (scans the project)": 1.5},
            cwd=str(project),
        )
