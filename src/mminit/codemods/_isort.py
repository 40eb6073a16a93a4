"""Keep an isort-clean import block isort-clean after the move.

A moved name gets a ``from mminit[.mmcv1] import ...`` statement where the old
import was, which is usually not where isort would put it
(mmdet's ``transformer.py`` got one between two ``mmcv.cnn`` imports).  For each
top-level block of import statements (consecutive lines, one statement each)
that holds such a statement, and whose other statements are in isort's order
(default settings: plain imports first, then ``from`` imports by module,
case-insensitive), the mminit statements are moved to their sorted place, and
those of the same module are merged when none has an alias or a comment and the
merged line fits in 79 characters; a wrapped statement that now fits on one
line is written on one line, as isort does.  Nothing moves when the block was not
sorted, or when moving would swap two statements that bind the same name (then
the order decides which binding wins).
"""

from __future__ import annotations

import ast
import io
from collections.abc import Sequence
from dataclasses import dataclass

from ._table import MMCV1, MMENGINE

__all__ = ["place_mminit_imports"]

_TARGETS = frozenset({MMCV1, MMENGINE})
LINE_LENGTH = 79  # isort's default


@dataclass
class _Stmt:
    node: ast.Import | ast.ImportFrom
    text: str  # its lines, line endings included

    @property
    def ours(self) -> bool:
        return (
            isinstance(self.node, ast.ImportFrom)
            and self.node.module in _TARGETS
            and not self.node.level
        )

    @property
    def key(self) -> tuple[int, str]:
        if isinstance(self.node, ast.Import):
            return (0, self.node.names[0].name.lower())
        if self.node.level:  # relative imports: isort's local-folder section, after the rest
            return (2, ("." * self.node.level + (self.node.module or "")).lower())
        return (1, (self.node.module or "").lower())

    @property
    def binds(self) -> set[str]:
        out = set()
        for alias in self.node.names:
            if alias.asname:
                out.add(alias.asname)
            elif isinstance(self.node, ast.Import):
                out.add(alias.name.split(".")[0])
            else:
                out.add(alias.name)
        return out


def _name_key(name: str) -> str:
    """isort's ``order_by_type``: CONSTANTS, then Classes, then functions; case-insensitive."""
    prefix = "A" if name.isupper() and len(name) > 1 else "B" if name[:1].isupper() else "C"
    return prefix + name.lower()


def _blocks(tree: ast.Module, lines: Sequence[str]) -> list[list[ast.Import | ast.ImportFrom]]:
    blocks: list[list[ast.Import | ast.ImportFrom]] = []
    current: list[ast.Import | ast.ImportFrom] = []
    previous_end = -1
    for node in tree.body:
        alone = (
            isinstance(node, (ast.Import, ast.ImportFrom))
            and node.col_offset == 0
            and _ends_alone(node, lines)
        )
        if alone and current and node.lineno == previous_end + 1:
            current.append(node)  # type: ignore[arg-type]
        else:
            if len(current) > 1:
                blocks.append(current)
            current = [node] if alone else []  # type: ignore[list-item]
        previous_end = (node.end_lineno or node.lineno) if alone else -1
    if len(current) > 1:
        blocks.append(current)
    return blocks


def _ends_alone(node: ast.stmt, lines: Sequence[str]) -> bool:
    """Nothing but a comment follows the statement on its last line (no ``; x = 1``)."""
    assert node.end_lineno is not None
    tail = lines[node.end_lineno - 1].encode("utf-8")[node.end_col_offset or 0 :].decode("utf-8")
    tail = tail.strip(" \t\r\n")
    return not tail or tail.startswith("#")


def _merge(group: list[_Stmt]) -> list[tuple[_Stmt, list[_Stmt]]]:
    """``(statement, the statements it replaces)``: one for several when isort would merge them."""
    unchanged = [(stmt, [stmt]) for stmt in group]
    if len(group) < 2:
        return unchanged
    for stmt in group:
        if any(a.asname for a in stmt.node.names) or any(c in stmt.text for c in "#(\\"):
            return unchanged
    node0 = group[0].node
    assert isinstance(node0, ast.ImportFrom)
    names = sorted({a.name for s in group for a in s.node.names}, key=_name_key)
    line = f"from {node0.module} import {', '.join(names)}"
    if len(line) > LINE_LENGTH:
        return unchanged
    ending = group[0].text[len(group[0].text.rstrip("\r\n")) :] or "\n"
    merged = ast.parse(line).body[0]
    assert isinstance(merged, ast.ImportFrom)
    return [(_Stmt(merged, line + ending), list(group))]


def _one_line(stmt: _Stmt) -> _Stmt:
    """A wrapped ``from M import (a, b)`` that now fits on one line, written on one line."""
    node = stmt.node
    if (
        not isinstance(node, ast.ImportFrom)
        or "(" not in stmt.text
        or "#" in stmt.text
        or "\\" in stmt.text
        or node.level
    ):
        return stmt
    names = ", ".join(a.name if a.asname is None else f"{a.name} as {a.asname}" for a in node.names)
    line = f"from {node.module} import {names}"
    if len(line) > LINE_LENGTH:
        return stmt
    ending = stmt.text[len(stmt.text.rstrip("\r\n")) :] or "\n"
    return _Stmt(node, line + ending)


def _reorder(stmts: list[_Stmt]) -> list[_Stmt] | None:
    """The block in isort's order, or None when it should stay as it is."""
    others = [s for s in stmts if not s.ours]
    if [s.key for s in others] != sorted(s.key for s in others):
        return None  # not isort-clean before: not ours to sort
    groups: dict[str, list[_Stmt]] = {}
    for stmt in stmts:
        if stmt.ours:
            groups.setdefault(getattr(stmt.node, "module", ""), []).append(stmt)
    placed: list[tuple[_Stmt, list[_Stmt]]] = [(s, [s]) for s in others]
    for module in sorted(groups):
        for stmt, sources in _merge(groups[module]):
            index = 0
            while index < len(placed) and placed[index][0].key <= stmt.key:
                index += 1
            placed.insert(index, (stmt, sources))
    if [s.text for s, _ in placed] == [s.text for s in stmts]:
        return None
    # Two statements that bind the same name keep their order: it decides which one wins.
    before = {id(s): i for i, s in enumerate(stmts)}
    after = {id(src): i for i, (_, sources) in enumerate(placed) for src in sources}
    for a in stmts:
        for b in stmts:
            if (
                before[id(a)] < before[id(b)]
                and after[id(a)] >= after[id(b)]
                and a is not b
                and after[id(a)] != after[id(b)]
                and (a.binds & b.binds or "*" in a.binds | b.binds)
            ):  # a star binds anything
                return None
    return [_one_line(s) for s, _ in placed]


def place_mminit_imports(code: str, tree: ast.Module | None = None) -> str:
    """``code`` with its mminit imports where isort would put them (see the module doc)."""
    if "\r" in code.replace("\r\n", ""):
        return code  # lone carriage returns: ast's lines and ours would not agree
    lines = io.StringIO(code, newline="").readlines()
    tree = tree or ast.parse(code)
    edits: list[tuple[int, int, str]] = []
    for block in _blocks(tree, lines):
        stmts = [_Stmt(n, "".join(lines[n.lineno - 1 : n.end_lineno])) for n in block]
        if not any(s.ours for s in stmts) or any("\x0c" in s.text for s in stmts):
            continue
        placed = _reorder(stmts)
        if placed is not None:
            edits.append(
                (
                    block[0].lineno - 1,
                    block[-1].end_lineno or block[-1].lineno,
                    "".join(s.text for s in placed),
                )
            )
    for first, end, text in reversed(edits):
        lines[first:end] = [text]
    return "".join(lines)
