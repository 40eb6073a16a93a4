"""What still comes from mmcv/mmengine once a file is migrated.

After every run the summary counts the upstream names a repository still
imports (those the table does not move, or that a rule kept), so users see what
keeps them on upstream.  A name is ``module.name`` for ``from module import
name`` (``module.*`` for a star import) and ``module`` for ``import module``.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Iterable, Sequence

from ._moves import is_source

__all__ = ["count_leftovers", "import_statements", "upstream_imports"]

_BODIES = ("body", "orelse", "finalbody", "handlers", "cases")


def import_statements(tree: ast.Module) -> tuple[list[ast.ImportFrom], list[ast.Import]]:
    """Every import statement of ``tree``, visiting statements only (not expressions)."""
    froms: list[ast.ImportFrom] = []
    imports: list[ast.Import] = []
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.ImportFrom):
            froms.append(node)
        elif isinstance(node, ast.Import):
            imports.append(node)
        else:
            for name in _BODIES:
                stack.extend(getattr(node, name, ()))
    return froms, imports


def upstream_imports(
    import_froms: Iterable[ast.ImportFrom], imports: Iterable[ast.Import]
) -> list[str]:
    """The upstream names the given import statements bind, in source order."""
    found: list[tuple[int, int, str]] = []
    for node in import_froms:
        if node.level or not is_source(node.module):
            continue
        found.extend(
            (node.lineno, node.col_offset, f"{node.module}.{alias.name}") for alias in node.names
        )
    for imp in imports:
        found.extend(
            (imp.lineno, imp.col_offset, alias.name) for alias in imp.names if is_source(alias.name)
        )
    return [name for _, _, name in sorted(found)]


def count_leftovers(per_file: Iterable[Sequence[str]]) -> tuple[dict[str, int], dict[str, int]]:
    """``(name -> import sites, name -> files)``, most used first."""
    sites: Counter[str] = Counter()
    files: Counter[str] = Counter()
    for names in per_file:
        sites.update(names)
        files.update(set(names))
    order = sorted(sites, key=lambda n: (-sites[n], n))
    return {n: sites[n] for n in order}, {n: files[n] for n in order}
