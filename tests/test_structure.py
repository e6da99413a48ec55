"""The shape of the package: no import cycles among pipeline's modules, no module using another's
private names, the store never importing the command line.

What counts as an import: every `import`/`from … import` of a pipeline module anywhere in a
module, at the top or inside a function. An import inside a function does not run at import
time, so Python would not fail on a cycle through it, but it is still a dependency of one module
on the other: two modules that import each other, even lazily, cannot be read, tested or moved
one without the other, which is what the cycle rule is for. Imports under `if TYPE_CHECKING:`
do not count: they never run and exist for annotations only. The package itself (`pipeline`,
its __init__) is no node: it loads its public names by name on first use, and importing any
submodule imports it first anyway.
"""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "pipeline"
MODULES = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__")


def _type_checking_block(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and (
        (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING")
        or (isinstance(node.test, ast.Attribute) and node.test.attr == "TYPE_CHECKING"))


def _imports(tree: ast.AST) -> list[tuple[str, list[str]]]:
    """(module imported, names taken from it) for every pipeline import outside TYPE_CHECKING blocks."""
    out: list[tuple[str, list[str]]] = []

    def visit(node: ast.AST) -> None:
        if _type_checking_block(node):
            for child in node.orelse:  # the else branch does run
                visit(child)
            return
        if isinstance(node, ast.ImportFrom):
            names = [a.name for a in node.names]
            if node.level == 1 and node.module:  # from .x import a
                out.append((node.module.split(".")[0], names))
            elif node.level == 1:  # from . import x, y
                out.extend((n, []) for n in names if n in MODULES)
            elif node.module and node.module.startswith("pipeline."):
                out.append((node.module.split(".")[1], names))
            elif node.module == "pipeline":
                out.extend((n, []) for n in names if n in MODULES)
        elif isinstance(node, ast.Import):
            out.extend((a.name.split(".")[1], []) for a in node.names if a.name.startswith("pipeline."))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return out


def _trees() -> dict[str, ast.AST]:
    return {m: ast.parse((PACKAGE / f"{m}.py").read_text(encoding="utf-8")) for m in MODULES}


def _graph() -> dict[str, set[str]]:
    return {m: {dep for dep, _ in _imports(tree) if dep in MODULES and dep != m} for m, tree in _trees().items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return found


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []
    tree = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .store import Store\n"
                     "def f():\n    from . import db\n    from .ingest import run\n")
    assert [m for m, _ in _imports(tree)] == ["db", "ingest"]


def test_no_import_cycle_among_pipeline_modules():
    graph = _graph()
    assert len(graph) >= 20  # every module was read
    cycles = _cycles(graph)
    assert not cycles, "import cycles (lazy imports count, see the module docstring): " + "; ".join(
        " ↔ ".join(c) for c in cycles)


def test_the_store_and_the_library_never_import_the_command_line():
    graph = _graph()
    cli = {m for m in MODULES if m.startswith("cli")}
    reach: dict[str, set[str]] = {}

    def reachable(m: str) -> set[str]:
        if m not in reach:
            reach[m] = set()
            for d in graph[m]:
                reach[m] |= {d} | reachable(d)
        return reach[m]

    for m in MODULES:
        if m not in cli:
            assert not reachable(m) & cli, f"{m} reaches the command line: {sorted(reachable(m) & cli)}"


def test_no_module_takes_another_modules_private_names():
    """`from .x import _name` and `x._name` (x a pipeline module imported as such) are both refused."""
    bad = []
    for m, tree in _trees().items():
        for dep, names in _imports(tree):
            if dep != m:
                bad += [f"{m}: from {dep} import {n}" for n in names if n.startswith("_") and not n.startswith("__")]
        aliases = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 1 and not node.module:
                aliases.update({(a.asname or a.name): a.name for a in node.names if a.name in MODULES})
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                    and aliases[node.value.id] != m and node.attr.startswith("_") and not node.attr.startswith("__")):
                bad.append(f"{m}: {node.value.id}.{node.attr}")
    assert not bad, "private names used across modules: " + "; ".join(sorted(set(bad)))
