"""Every import inside ``src/mminit`` points down (issue 21): no module imports,
directly or through others, a module that imports it back, and neither do the
top-level units (``_engine``, ``_init``, ``_modules``, ``bricks``, ``_errors`` ...).

The graph is read from the sources with ``ast``: ``import``/``from ... import``
statements anywhere in a module count, inside functions too, except under ``if
TYPE_CHECKING:``.  ``from pkg import name`` is an edge to ``pkg.name`` when that is
a module, else to ``pkg``; importing ``pkg.sub`` also runs every package on the way
(``pkg/__init__.py``), so those are edges too.  Modules loaded by name at run time
(``importlib.import_module``: the command table's subcommands, a flavour's public
module) are not edges.  The layout itself is described in docs/development.md.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest

import mminit

SRC = Path(mminit.__file__).parent
Graph = dict[str, set[str]]


def _module_name(path: Path, root: Path) -> str:
    parts = [root.name, *path.relative_to(root).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement of ``tree``, less the bodies of ``if TYPE_CHECKING:``."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                yield from _imports(ast.Module(body=[child], type_ignores=[]))
            continue
        yield from _imports(node)


def _targets(
    node: ast.Import | ast.ImportFrom, me: str, is_package: bool, modules: set[str]
) -> set[str]:
    """The modules (of ``modules``) that the import statement ``node`` in ``me`` runs."""
    if isinstance(node, ast.Import):
        named = {alias.name for alias in node.names}
    else:
        base = node.module or ""
        if node.level:
            package = me.split(".") if is_package else me.split(".")[:-1]
            package = package[: len(package) - node.level + 1]
            base = ".".join([*package, *([base] if base else [])])
        named = {f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names}
    found = {name for name in named if name in modules}
    for name in named:
        parts = name.split(".")
        # importing a.b.c runs a and a.b first: those packages count too, except the
        # ones that contain the importer (they are being imported already)
        for i in range(1, len(parts)):
            step = ".".join(parts[:i])
            if step in modules and not me.startswith(step + "."):
                found.add(step)
    return found


def import_graph(root: Path) -> Graph:
    """Module -> the modules of the same package tree it imports."""
    paths = {_module_name(p, root): p for p in sorted(root.rglob("*.py"))}
    modules = set(paths)
    graph: Graph = {}
    for me, path in paths.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        graph[me] = set()
        for node in _imports(tree):
            graph[me] |= _targets(node, me, path.name == "__init__.py", modules)
        graph[me].discard(me)
    return graph


def unit_graph(graph: Graph) -> Graph:
    """The graph of the top-level units (``pkg._engine``, ``pkg._errors``, ``pkg`` itself)."""

    def unit(name: str) -> str:
        return ".".join(name.split(".")[:2])

    units: Graph = {unit(m): set() for m in graph}
    for me, targets in graph.items():
        units[unit(me)] |= {unit(t) for t in targets} - {unit(me)}
    return units


def find_cycle(graph: Graph) -> list[str]:
    """One cycle of ``graph`` (``[a, b, ..., a]``), or ``[]``."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = 2
        path.pop()
        return []

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return []


def test_every_module_imports() -> None:
    for name in sorted(import_graph(SRC)):
        importlib.import_module(name)


def test_no_module_imports_back() -> None:
    graph = import_graph(SRC)
    assert "mminit._modules.base_module" in graph
    assert "mminit._engine" in graph["mminit._modules.base_module"]  # the edges are there
    assert find_cycle(graph) == []


def test_no_top_level_unit_imports_back() -> None:
    units = unit_graph(import_graph(SRC))
    assert {"mminit._engine", "mminit._modules", "mminit.bricks", "mminit"} <= set(units)
    assert find_cycle(units) == []


@pytest.mark.parametrize(
    ("files", "cycle"),
    [
        # through an import inside a function
        (
            {"a.py": "from .b import x", "b.py": "def f():\n    from .a import y"},
            ["pkg.a", "pkg.b", "pkg.a"],
        ),
        # through a package's __init__, which a submodule import runs
        (
            {
                "a.py": "from .sub.c import x",
                "sub/__init__.py": "from .d import y",
                "sub/c.py": "",
                "sub/d.py": "from .. import a",
            },
            ["pkg.a", "pkg.sub", "pkg.sub.d", "pkg.a"],
        ),
        # an absolute import
        ({"a.py": "import pkg.b", "b.py": "from pkg.a import x"}, ["pkg.a", "pkg.b", "pkg.a"]),
        # a package's own __init__, named by one of its modules (the implicit one is not an edge)
        ({"__init__.py": "from .a import x", "a.py": "from pkg.b import y", "b.py": ""}, []),
        ({"__init__.py": "from .a import x", "a.py": "from . import b", "b.py": ""}, []),
        ({"__init__.py": "from .a import x", "a.py": "from . import x"}, ["pkg", "pkg.a", "pkg"]),
        # under TYPE_CHECKING: no cycle (its else branch does count)
        ({"a.py": "from .b import x", "b.py": "if TYPE_CHECKING:\n    from .a import y"}, []),
        (
            {
                "a.py": "from .b import x",
                "b.py": "if TYPE_CHECKING:\n    pass\nelse:\n    from .a import y",
            },
            ["pkg.a", "pkg.b", "pkg.a"],
        ),
    ],
)
def test_the_scan_finds_cycles(tmp_path: Path, files: dict[str, str], cycle: list[str]) -> None:
    root = tmp_path / "pkg"
    for name, text in {"__init__.py": "", **files}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    assert find_cycle(import_graph(root)) == cycle


def test_the_unit_graph_sees_cycles_between_packages() -> None:
    graph = {"pkg._a.x": {"pkg._b.y"}, "pkg._b.y": set(), "pkg._b.z": {"pkg._a"}, "pkg._a": set()}
    assert find_cycle(graph) == []
    assert find_cycle(unit_graph(graph)) == ["pkg._a", "pkg._b", "pkg._a"]
