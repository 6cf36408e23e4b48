"""The project scan on real folders: imports, declared dependencies, Keras backends, skipped folders, bounds."""

from __future__ import annotations

import json
import time
from pathlib import Path

from fwguide.project import MAX_SECONDS, looks_like_project, scan
from tests.conftest import run_cli


def make_tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def notebook(*sources: str) -> str:
    cells = [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
              "source": source.splitlines(keepends=True)} for source in sources]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1)


def test_imports_and_requirements_make_a_tensorflow_project(tmp_path: Path) -> None:
    make_tree(tmp_path, {
        "requirements.txt": "numpy>=1.26\ntensorflow==2.21.0  # pinned for serving\n",
        "train.py": "import os\nimport tensorflow as tf\n",
        "model/layers.py": "from tensorflow.keras import layers\n",
        "model/util.py": "import numpy as np\n",
    })
    found = scan(tmp_path)
    assert found.answers == {"existing_code": "tensorflow", "experience": "tensorflow"}
    assert found.evidence["existing_code"] == ["2 files import tensorflow", "requirements.txt declares TensorFlow"]
    assert found.imports == {"pytorch": 0, "tensorflow": 2} and not found.stopped


def test_both_frameworks_and_the_larger_one_suggests_experience(tmp_path: Path) -> None:
    files = {f"pt/m{i}.py": "import torch.nn as nn\n" for i in range(6)}
    files |= {"tf/export.py": "import os, tensorflow\n", "tf/serve.py": "from tensorflow import saved_model\n"}
    found = scan(make_tree(tmp_path, files))
    assert found.answers == {"existing_code": "both", "experience": "pytorch"}
    assert "6 files import torch" in found.evidence["existing_code"]
    assert found.evidence["experience"] == ["more files import PyTorch (6) than TensorFlow (2)"]


def test_a_lone_converter_script_does_not_make_both(tmp_path: Path) -> None:
    files = {f"src/m{i}.py": "import torch\n" for i in range(12)} | {"tools/convert_tf.py": "import tensorflow as tf\n"}
    found = scan(make_tree(tmp_path, files))
    assert found.answers["existing_code"] == "pytorch"
    assert any("1 file imports tensorflow: too few" in note for note in found.notes)


def test_code_without_a_framework_is_none_and_numpy_suggests_python_numpy(tmp_path: Path) -> None:
    found = scan(make_tree(tmp_path, {"a.py": "import numpy as np\n", "b.py": "import pandas\n", "c.py": "x = 1\n"}))
    assert found.answers == {"existing_code": "none", "experience": "python-numpy"}
    assert found.evidence["experience"] == ["2 files import numpy or pandas"]


def test_an_empty_folder_detects_nothing_and_is_not_a_project(tmp_path: Path) -> None:
    assert scan(tmp_path).answers == {}
    assert not looks_like_project(tmp_path)
    (tmp_path / "notes.txt").write_text("import torch\n")
    assert not looks_like_project(tmp_path)
    (tmp_path / ".git").mkdir()
    assert looks_like_project(tmp_path)


def test_a_stray_script_in_the_home_folder_does_not_make_it_a_project(tmp_path: Path) -> None:
    home = make_tree(tmp_path / "home", {"scratch.py": "import torch\n", "work/app/main.py": "import tensorflow\n"})
    proc = run_cli("ask", "--no-input", "--no-probe", "--json", cwd=home, env={"HOME": str(home)})
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["project"] is None  # nothing scanned: ~ holds projects, it is not one
    (home / "requirements.txt").write_text("torch\n")  # unless it says it is one
    assert looks_like_project(home)


def test_environments_git_node_modules_and_build_output_are_skipped(tmp_path: Path) -> None:
    torch_code = "import torch\n"
    make_tree(tmp_path, {
        "app.py": "print('hi')\n",
        ".venv/lib/python3.12/site-packages/torch/__init__.py": torch_code,
        "venv/lib/site-packages/x.py": torch_code,
        "myenv/pyvenv.cfg": "home = /usr/bin\n", "myenv/lib/y.py": torch_code,
        "conda-env/conda-meta/history": "", "conda-env/lib/z.py": torch_code,
        ".git/hooks/pre-commit.py": torch_code,
        "node_modules/pkg/gen.py": torch_code,
        "build/lib/app.py": torch_code, "dist/app.py": torch_code, "app.egg-info/x.py": torch_code,
    })
    found = scan(tmp_path)
    assert found.answers == {"existing_code": "none"}
    assert found.files_read == 1


def test_notebooks_count_their_imports(tmp_path: Path) -> None:
    make_tree(tmp_path, {"explore.ipynb": notebook("import numpy as np\nimport torch\n", "x = torch.ones(2)")})
    found = scan(tmp_path)
    assert found.answers["existing_code"] == "pytorch"
    assert found.evidence["existing_code"] == ["1 file imports torch"]


def test_declared_dependencies_in_each_file_format(tmp_path: Path) -> None:
    cases = {
        "pyproject.toml": ('[project]\nname = "app"\ndependencies = [\n  "torch>=2.3",\n]\n'
                           '[tool.mypy]\nmodule = ["tensorflow.*"]\n', "pytorch"),
        "poetry/pyproject.toml": ('[tool.poetry.dependencies]\npython = "^3.11"\ntensorflow = "^2.16"\n', "tensorflow"),
        "setup.py": ('from setuptools import setup\nsetup(name="app", install_requires=["torchvision>=0.18"])\n',
                     "pytorch"),
        "setup.cfg": ("[metadata]\nname = app\n[options]\ninstall_requires =\n    tensorflow-cpu==2.21\n",
                      "tensorflow"),
        "environment.yml": ("name: app\nchannels:\n  - pytorch\n  - conda-forge\ndependencies:\n  - python=3.11\n"
                            "  - pip:\n    - tensorflow==2.21\n", "tensorflow"),
        "uv.lock": ('version = 1\n[[package]]\nname = "torch"\nversion = "2.7.0"\n', "pytorch"),
        "Pipfile.lock": ('{"_meta": {}, "default": {"tensorflow": {"version": "==2.21.0"}}}', "tensorflow"),
    }
    for name, (text, expected) in cases.items():
        folder = tmp_path / name.replace("/", "_").replace(".", "_")
        make_tree(folder, {name: text})
        found = scan(folder)
        assert found.answers.get("existing_code") == expected, (name, found)
        title = "PyTorch" if expected == "pytorch" else "TensorFlow"
        assert found.evidence["existing_code"] == [f"{name} declares {title}"]


def test_keras_counts_for_the_backend_the_project_sets(tmp_path: Path) -> None:
    keras_code = {f"m{i}.py": "import keras\n" for i in range(3)}
    torch_env = make_tree(tmp_path / "env-file", {**keras_code, ".env": "KERAS_BACKEND=torch\n"})
    found = scan(torch_env)
    assert found.answers["existing_code"] == "pytorch" and found.keras_backend == "torch"
    assert "3 files import keras" in found.evidence["existing_code"]
    assert any("backend 'torch', set in .env" in line for line in found.evidence["existing_code"])

    in_code = make_tree(tmp_path / "in-code",
                        {**keras_code, "main.py": 'import os\nos.environ["KERAS_BACKEND"] = "jax"\n'})
    found = scan(in_code)
    assert found.keras_backend == "jax" and found.answers["existing_code"] == "none"
    assert any("counted for neither" in note for note in found.notes)

    in_notebook = make_tree(tmp_path / "nb", {**keras_code, "a.ipynb": notebook(
        'import os\nos.environ["KERAS_BACKEND"] = "torch"\nimport keras\n')})
    assert scan(in_notebook).keras_backend == "torch"

    set_backend = make_tree(tmp_path / "api",
                            {**keras_code, "boot.py": 'import keras\nkeras.config.set_backend("torch")\n'})
    assert scan(set_backend).answers["existing_code"] == "pytorch"


def test_keras_without_a_backend_says_it_cannot_tell(tmp_path: Path) -> None:
    found = scan(make_tree(tmp_path, {"m.py": "import keras\n", "requirements.txt": "keras\ntorch\ntensorflow\n"}))
    assert found.keras_backend is None
    assert found.answers["existing_code"] == "tensorflow"  # Keras' default; torch is declared but never imported
    assert any("cannot tell which backend" in line for line in found.evidence["existing_code"])

    only_torch = scan(make_tree(tmp_path / "t", {"m.py": "import keras\n", "requirements.txt": "keras>=3\ntorch\n"}))
    assert only_torch.answers["existing_code"] == "pytorch"
    assert only_torch.keras_backend == "torch"

    keras2 = scan(make_tree(tmp_path / "k2", {"m.py": "import keras\n", "requirements.txt": "keras<3\ntorch\n"}))
    assert keras2.keras_backend == "tensorflow"
    assert any("Keras 2 runs on TensorFlow" in note for note in keras2.notes)


def test_a_5000_file_tree_stays_within_the_bound_and_says_so(tmp_path: Path) -> None:
    for package in range(50):
        folder = tmp_path / f"pkg{package:02d}"
        folder.mkdir()
        for module in range(100):
            (folder / f"m{module:03d}.py").write_text("import torch\n" + "x = 1\n" * 40)
    (tmp_path / "requirements.txt").write_text("torch\n")
    start = time.perf_counter()
    found = scan(tmp_path)
    took = time.perf_counter() - start
    assert took < MAX_SECONDS + 0.15, took  # one file past the deadline at most, on a loaded machine
    assert found.stopped and "(the limit)" in found.stopped
    assert found.files_read < 5001
    assert found.answers["existing_code"] == "pytorch"  # what it read still counts
    assert any("the scan stopped" in line for line in found.evidence["existing_code"])

    limited = scan(tmp_path, max_files=200, max_seconds=60)
    assert limited.files_read == 200 and "200 files" in limited.stopped
