"""The package's structure: no import cycles, no private-name imports, a light ``import penmotor``.

Runs ``scripts/check_imports.py`` (see its docstring for what counts as an edge).
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _checker():
    spec = importlib.util.spec_from_file_location("check_imports", ROOT / "scripts" / "check_imports.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_no_import_cycles_and_no_private_imports() -> None:
    ci = _checker()
    graph, private = ci.edges()
    assert "penmotor.registry" in graph and "penmotor.metrics.sizing" in graph["penmotor.metrics.spacing"]
    assert ci.cycles(graph) == []
    assert private == []


def test_cycle_finder_finds_a_cycle() -> None:
    ci = _checker()
    assert ci.cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_import_penmotor_loads_nothing_heavy() -> None:
    assert _checker().heavy_on_import() == []


def test_errors_imports_nothing_from_penmotor() -> None:
    tree = ast.parse((ROOT / "src" / "penmotor" / "errors.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0 and not (node.module or "").startswith("penmotor")
        if isinstance(node, ast.Import):
            assert not any(a.name.startswith("penmotor") for a in node.names)
