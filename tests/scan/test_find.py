"""Where the API map's entries are found in a file's bytes: imports and their aliases, comments, notebooks, .env."""

from __future__ import annotations

from pathlib import Path

import pytest

from fwguide.project import scan
from fwguide.project.apis import ApiMatcher, find
from fwguide.rulebook import load
from tests.project.test_scan import make_tree, notebook


@pytest.fixture(scope="module")
def matcher() -> ApiMatcher:
    return ApiMatcher(load().apis)


def found(matcher: ApiMatcher, source: str, notebook: bool = False) -> list[tuple[str, int]]:
    return find(source.encode(), matcher, notebook)


@pytest.mark.parametrize("source", [
    "import tensorflow as tf\ntf.compat.v1.placeholder(tf.float32)\n",
    "import tensorflow.compat.v1 as tf\ntf.placeholder(tf.float32)\n",
    "from tensorflow.compat import v1\nv1.placeholder(tf.float32)\n",
    "import tensorflow\ntensorflow.compat.v1.placeholder(tensorflow.float32)\n",
    "from tensorflow.compat.v1 import (\n    Variable,\n    placeholder as ph,\n)\nph(1)\n",
], ids=["alias", "compat-alias", "from-import", "plain", "parenthesised"])
def test_every_import_form_resolves_to_the_same_api(matcher: ApiMatcher, source: str) -> None:
    ids = {api for api, _ in found(matcher, source)}
    assert "tf-compat-v1-placeholder" in ids


def test_the_import_line_counts_once_and_deeper_uses_count_each_line(matcher: ApiMatcher) -> None:
    source = "import tensorflow.compat.v1 as tf\nx = tf.layers.dense(y)\ntf.disable_v2_behavior()\n"
    assert found(matcher, source) == [("tf-compat-v1", 1), ("tf-compat-v1-graph-mode", 3)]


def test_comments_other_names_and_unrelated_aliases_are_not_uses(matcher: ApiMatcher) -> None:
    source = ("import tensorflow as tf\nimport numpy as np\n# tf.estimator.Estimator(old)\n"
              "self.tf.estimator.Estimator()\nmy_tf.estimator.Estimator()\nnp.estimator.x\n"
              "x = 1  # tf.contrib.layers\n")
    assert found(matcher, source) == []


def test_a_keyword_argument_entry_matches_only_calls_that_pass_it(matcher: ApiMatcher) -> None:
    source = ("import torch\ntorch.onnx.export(m, x, 'a.onnx', dynamo=False)\n"
              "torch.onnx.export(m, x, 'b.onnx', dynamo=True)\ntorch.onnx.export(\n    m, x,\n    dynamo = False,\n)\n"
              "torch.onnx.export(m, x)  # dynamo=False later\n")
    assert found(matcher, source) == [("torch-onnx-legacy-exporter", 2), ("torch-onnx-legacy-exporter", 4)]


def test_relative_imports_are_the_projects_own_code(matcher: ApiMatcher) -> None:
    assert found(matcher, "from .torchtext import vocab\nfrom . import torch_xla\n") == []


def test_module_entries_match_imports_of_anything_inside(matcher: ApiMatcher) -> None:
    source = ("import torch_xla.core.xla_model as xm\nfrom torchdata.datapipes.iter import IterableWrapper\n"
              "xm.mark_step()\n")
    assert found(matcher, source) == [("torch-xla", 1), ("torchdata-datapipes", 2)]


def test_notebooks_env_files_and_dockerfiles_are_read(tmp_path: Path) -> None:
    make_tree(tmp_path, {
        "explore.ipynb": notebook("import tensorflow as tf\nmodel = tf.estimator.LinearClassifier([])",
                                  "# tf.contrib in a comment\nimport torch_xla"),
        ".env": "# TF_USE_LEGACY_KERAS=0\nTF_USE_LEGACY_KERAS=1\n",
        "Dockerfile": "FROM python:3.11\nENV TF_USE_LEGACY_KERAS=1\n",
        "notes.txt": "tf.estimator is not code\n",
    })
    uses = {use.path: use.apis for use in scan(tmp_path).uses}
    assert {api for api, _ in uses["explore.ipynb"]} == {"tf-estimator", "torch-xla"}
    assert uses[".env"] == (("tf-use-legacy-keras", 2),)
    assert uses["Dockerfile"] == (("tf-use-legacy-keras", 2),)
    assert "notes.txt" not in uses
    cell_line = next(line for api, line in uses["explore.ipynb"] if api == "tf-estimator")
    assert "tf.estimator" in (tmp_path / "explore.ipynb").read_text().splitlines()[cell_line - 1]


def test_findings_per_file_are_bounded(matcher: ApiMatcher) -> None:
    source = "import tensorflow as tf\n" + "tf.contrib.x()\n" * 5000
    assert len(found(matcher, source)) == 1000
