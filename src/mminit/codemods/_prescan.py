"""A fast first look at a module with :mod:`ast` (C speed), before any LibCST work.

It answers three questions: does the module need the CST rewrite at all, what
is reported without rewriting (star imports, strings naming upstream paths),
and on which lines are the nodes the planner may cite.  The planner's nodes are
matched to these in source order, so the report's line numbers cost no extra
LibCST pass.
"""

from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass, field

from ._moves import MoveTable, is_source, move_table

__all__ = ["Prescan", "prescan"]

_DOTTED = re.compile(r"[A-Za-z_][\w.]*")


@dataclass
class Prescan:
    table: MoveTable = field(default_factory=move_table)
    needs_cst: bool = False
    #: Only ``from <upstream> import <names>`` rewrites, none needing a look at the uses:
    #: each statement can be rewritten on its own lines (see ``_splice``).
    statements_only: bool = True
    notes: list[tuple[int, str, str]] = field(default_factory=list)
    import_froms: list[ast.ImportFrom] = field(default_factory=list)
    imports: list[ast.Import] = field(default_factory=list)
    attributes: list[ast.Attribute] = field(default_factory=list)


def _string_note(node: ast.Constant, table: MoveTable) -> tuple[int, str, str] | None:
    value = node.value
    if not isinstance(value, str) or not _DOTTED.fullmatch(value) or not is_source(value):
        return None
    parts = value.split(".")
    for i in range(1, len(parts)):
        module, name = ".".join(parts[:i]), parts[i]
        target = table.target(module, name)
        if target is not None:
            return (
                node.lineno,
                "string-reference",
                (
                    f"the string {value!r} names "
                    f"{module}.{name}, which moves to {target}; strings (e.g. "
                    "mock.patch targets) are not rewritten"
                ),
            )
    return None


def _attr_key(node: ast.Attribute) -> tuple[int, int, int, int]:
    # Outer attributes start where their inner ones do; the longer comes first (pre-order).
    return (node.lineno, node.col_offset, -(node.end_lineno or 0), -(node.end_col_offset or 0))


def prescan(
    source: str | bytes, filename: str = "<unknown>", table: MoveTable | None = None
) -> Prescan:
    """Scan ``source``; raises :class:`SyntaxError` (or ``ValueError``) when it is not Python.

    ``table`` is the set of rows in effect (default: :func:`move_table` without bricks).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. invalid escape sequences: not ours to report
        tree = ast.parse(source, filename=filename)
    scan = Prescan(table or move_table())
    table = scan.table
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level or not is_source(node.module):
                continue
            scan.import_froms.append(node)
            module = node.module
            moving = table.statement_moves(module, [alias.name for alias in node.names])
            for index, alias in enumerate(node.names):
                if alias.name == "*":
                    scan.notes.append(
                        (
                            node.lineno,
                            "star-import",
                            (
                                f"'from {module} import *' "
                                "cannot be rewritten safely; import the names explicitly"
                            ),
                        )
                    )
                elif index in moving:
                    scan.needs_cst = True
                    if alias.name in table.use_dependent:
                        scan.statements_only = False
                elif f"{module}.{alias.name}" in table.source_modules:  # ``from mmcv import cnn``
                    scan.needs_cst = True
                    scan.statements_only = False
        elif isinstance(node, ast.Import):
            if any(is_source(alias.name) for alias in node.names):
                scan.imports.append(node)
                scan.needs_cst = True
                scan.statements_only = False
        elif isinstance(node, ast.Attribute):
            if node.attr in table.names:
                scan.attributes.append(node)
        elif isinstance(node, ast.Constant):
            note = _string_note(node, table)
            if note is not None:
                scan.notes.append(note)
    scan.import_froms.sort(key=lambda n: (n.lineno, n.col_offset))
    scan.imports.sort(key=lambda n: (n.lineno, n.col_offset))
    scan.attributes.sort(key=_attr_key)
    scan.notes.sort()
    return scan
