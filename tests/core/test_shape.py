"""Structural promise of the whole package (issue 14): no function in ``src/mminit``
(codemods included) is longer than 80 lines, nested functions and methods counted
on their own.  ``test_engine_shape.py`` holds the engine's own promises."""

from __future__ import annotations

import ast
from pathlib import Path

import mminit

SRC = Path(mminit.__file__).parent
MAX_LINES = 80


def _long_functions(root: Path, limit: int) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > limit:
                    found.append(
                        f"{path.relative_to(root.parent)}:{node.lineno} {node.name} "
                        f"({length} lines)"
                    )
    return found


def test_the_package_is_where_the_test_looks() -> None:
    files = {p.relative_to(SRC).as_posix() for p in SRC.rglob("*.py")}
    assert {
        "_cli/check.py",
        "_explain/api.py",
        "bricks/_builders.py",
        "_checkpoint/sources.py",
    } <= files


def test_no_function_over_80_lines() -> None:
    assert _long_functions(SRC, MAX_LINES) == []


def test_the_measure_counts_nested_functions(tmp_path: Path) -> None:
    body = "\n".join(f"        x{i} = {i}" for i in range(MAX_LINES))
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "m.py").write_text(
        f"def factory():\n    def inner():\n{body}\n    return inner\n"
    )
    found = _long_functions(tmp_path / "pkg", MAX_LINES)
    assert [f.split()[1] for f in found] == ["factory", "inner"]
