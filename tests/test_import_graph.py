"""fwguide's modules import in one direction: no module reaches itself through its imports.

Every import counts, including ones inside functions (kept lazy for start-up) and ones under
TYPE_CHECKING: a cycle there still means a function or a type sits in the wrong module.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def module_names(package_dir: Path) -> dict[str, Path]:
    """Every module of the package under `package_dir`, by dotted name."""
    found = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = path.relative_to(package_dir.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def import_graph(package_dir: Path) -> dict[str, set[str]]:
    """Module -> the package's modules it imports (`from pkg import sub` names the submodule)."""
    modules = module_names(package_dir)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: resolve against this module's package
                    anchor = name.split(".")[: len(name.split(".")) - node.level + (1 if is_package else 0)]
                    base = ".".join([*anchor, base] if base else anchor)
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    targets.add(sub if sub in modules else base)
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def test_fwguide_has_no_import_cycles() -> None:
    graph = import_graph(ROOT / "fwguide")
    assert len(graph) > 40 and "fwguide.rulebook.loader" in graph  # the walk really saw the package
    assert cycles(graph) == []


def test_rulebook_loader_depends_on_parse_and_validate_not_the_reverse() -> None:
    graph = import_graph(ROOT / "fwguide")
    assert {"fwguide.rulebook.parse", "fwguide.rulebook.validate"} <= graph["fwguide.rulebook.loader"]
    for module in ("parse", "validate", "merge", "schema", "yamlsource"):
        assert "fwguide.rulebook.loader" not in graph.get(f"fwguide.rulebook.{module}", set()), module


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "pkg"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def test_a_cycle_through_a_lazy_relative_import_is_found(tmp_path: Path) -> None:
    root = _package(tmp_path, {
        "__init__.py": "",
        "a.py": "from pkg.sub import b\n",
        "sub/__init__.py": "",
        "sub/b.py": "def f():\n    from .. import a\n",
        "c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.a import x\n",
    })
    assert cycles(import_graph(root)) == [["pkg.a", "pkg.sub.b"]]


def test_a_type_only_cycle_is_found_and_a_chain_is_not(tmp_path: Path) -> None:
    chain = {"__init__.py": "", "a.py": "import pkg.b\n", "b.py": "from pkg import c\n", "c.py": "import os\n"}
    assert cycles(import_graph(_package(tmp_path, chain))) == []
    typed = {**chain, "c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.a import A\n"}
    assert cycles(import_graph(_package(tmp_path, typed))) == [["pkg.a", "pkg.b", "pkg.c"]]
