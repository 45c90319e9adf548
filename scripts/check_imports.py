"""Check the package's import structure: no cycles (lazy imports included), a light ``import penmotor``.

    python scripts/check_imports.py            # exit 1 on any problem

1. **Cycles.** Every ``import`` / ``from ... import`` statement anywhere in a module of
   ``src/penmotor`` (top level *and* inside functions, i.e. lazy imports too) is an edge
   from that module to the imported penmotor module. ``from . import x`` counts as an edge
   to the submodule ``x`` when it is one, and ``from .. import name`` of a package
   attribute (``__version__``) as an edge to the package's ``__init__``. Any strongly
   connected component of more than one module is reported.
2. **Private names.** ``from penmotor.x import _name`` between different modules is reported
   (``penmotor._stats`` is a private *module* whose names are public).
3. **Light import.** ``import penmotor`` in a fresh interpreter must not load scipy, pandas,
   matplotlib, OpenCV, scikit-image, pygame or dask.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
PKG = SRC / "penmotor"
HEAVY = ("scipy", "pandas", "matplotlib", "cv2", "skimage", "pygame", "dask")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PKG.rglob("*.py"))}


def _resolve(mod: str, is_pkg: bool, level: int, target: str | None) -> str:
    if level == 0:
        return target or ""
    base = mod.split(".") if is_pkg else mod.split(".")[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([target] if target else []))


def edges() -> tuple[dict[str, set[str]], list[str]]:
    mods = modules()
    graph: dict[str, set[str]] = {m: set() for m in mods}
    private: list[str] = []
    for mod, path in mods.items():
        is_pkg = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.startswith("penmotor"):
                        name = a.name
                        while name not in mods and "." in name:
                            name = name.rsplit(".", 1)[0]
                        graph[mod].add(name)
            elif isinstance(node, ast.ImportFrom):
                target = _resolve(mod, is_pkg, node.level, node.module)
                if not target.startswith("penmotor"):
                    continue
                for a in node.names:
                    sub = f"{target}.{a.name}"
                    if sub in mods:
                        graph[mod].add(sub)
                        continue
                    name = target
                    while name not in mods and "." in name:
                        name = name.rsplit(".", 1)[0]
                    graph[mod].add(name)
                    if a.name.startswith("_") and not a.name.startswith("__") and name != mod:
                        private.append(f"{mod} imports {name}.{a.name}")
    for m in graph:
        graph[m].discard(m)
    return graph, private


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def heavy_on_import() -> list[str]:
    code = f"import sys, penmotor; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return res.stdout.split()


def main() -> int:
    graph, private = edges()
    cyc = cycles(graph)
    heavy = heavy_on_import()
    print(f"{len(graph)} modules, {sum(len(v) for v in graph.values())} import edges (lazy ones included)")
    print(f"cycles: {len(cyc)}")
    for c in cyc:
        print("  " + " <-> ".join(c))
    print(f"private-name imports across modules: {len(private)}")
    for p in private:
        print("  " + p)
    print(f"heavy modules loaded by `import penmotor`: {heavy or 'none'}")
    return 1 if (cyc or private or heavy) else 0


if __name__ == "__main__":
    sys.exit(main())
