"""The package's structure: no import cycles, no private-name imports, a light ``import penmotor``,
no overlong function bodies.

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


#: Longest function body allowed, in lines after the docstring (issue 14).
MAX_BODY_LINES = 120


def _body_lines(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines from the first statement after the docstring to the end of the function."""
    body = fn.body
    if (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)):
        body = body[1:]
    return fn.end_lineno - body[0].lineno + 1 if body else 0


def _long_functions(source: str, name: str, limit: int = MAX_BODY_LINES) -> list[str]:
    return [f"{name}:{node.lineno} {node.name} ({_body_lines(node)} lines)"
            for node in ast.walk(ast.parse(source))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _body_lines(node) > limit]


def test_no_function_body_over_the_limit() -> None:
    files = [f for pkg in ("src/penmotor", "capture/penmotor_capture") for f in sorted((ROOT / pkg).rglob("*.py"))]
    assert len(files) > 50
    long = [hit for f in files for hit in _long_functions(f.read_text(encoding="utf-8"), str(f.relative_to(ROOT)))]
    assert long == [], f"split these functions (at most {MAX_BODY_LINES} lines after the docstring): {long}"


def test_body_length_counts_after_the_docstring() -> None:
    doc = '"""' + "\n".join(["Doc."] + ["x"] * 200) + '"""'
    src = (f"def short():\n    {doc}\n    return 1\n\n"
           "class C:\n    async def long(self):\n" + "        x = 1\n" * 121 + "        def inner():\n"
           + "            y = 2\n" * 121)
    hits = _long_functions(src, "m.py")
    assert [h.split(" ", 1)[1] for h in hits] == ["long (243 lines)", "inner (121 lines)"]
    assert _long_functions("def f():\n" + "    pass\n" * 120, "m.py") == []
