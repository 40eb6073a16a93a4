"""One visiting pass that records what the planner needs, in source order.

Besides the upstream imports and the candidate attribute uses, it records where
every name is bound (imports and other bindings) and which ``Call``/``Arg``
holds a node.  When a name is bound exactly once, by an import, and nowhere
else in the module, its uses and its qualified name follow from this record
alone, and LibCST's (slow) scope analysis is not needed.
"""

from __future__ import annotations

from collections import Counter

import libcst as cst
from libcst.helpers import get_full_name_for_node

from ._moves import MoveTable, is_source, move_table

__all__ = ["Collector", "ImportStmt"]

ImportStmt = cst.Import | cst.ImportFrom


class Collector(cst.CSTVisitor):
    def __init__(self, table: MoveTable | None = None) -> None:
        self._names = (table or move_table()).names
        self.import_froms: list[cst.ImportFrom] = []  # absolute, from mmcv/mmengine
        self.imports: list[cst.Import] = []  # binding at least one mmcv/mmengine module
        self.attributes: list[cst.Attribute] = []  # ``<...>.<init name>``, pre-order
        self.name_counts: Counter[str] = Counter()  # every Name except attribute names
        self.loads: dict[str, list[cst.Name]] = {}  # uses: not bound there, not a keyword
        self.stores: Counter[str] = Counter()  # bindings other than imports
        self.import_binds: dict[str, list[tuple[ImportStmt, cst.ImportAlias]]] = {}
        self.call_of_func: dict[cst.CSTNode, cst.Call] = {}
        self.arg_of_value: dict[cst.CSTNode, cst.Arg] = {}
        self.store_attrs: set[cst.Attribute] = set()
        self._not_loads: set[cst.Name] = set()
        #: The statements around each candidate attribute and each import (outermost first).
        self.enclosing: dict[cst.CSTNode, tuple[cst.BaseStatement, ...]] = {}
        self._stack: list[cst.BaseStatement] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, cst.BaseStatement):
            self._stack.append(node)
        return super().on_visit(node)

    def on_leave(self, original_node: cst.CSTNode) -> None:
        super().on_leave(original_node)
        if isinstance(original_node, cst.BaseStatement):
            self._stack.pop()

    # -- imports -----------------------------------------------------------------
    def _bind_import(self, stmt: ImportStmt) -> None:
        if isinstance(stmt.names, cst.ImportStar):
            return
        for alias in stmt.names:
            full = get_full_name_for_node(alias.name) or ""
            if alias.asname is not None:
                local = alias.evaluated_alias or full
            elif isinstance(stmt, cst.Import):
                local = full.split(".", 1)[0]
            else:
                local = full
            self.import_binds.setdefault(local, []).append((stmt, alias))

    def visit_Import(self, node: cst.Import) -> bool:
        self.enclosing[node] = tuple(self._stack)
        self._bind_import(node)
        if any(is_source(get_full_name_for_node(a.name)) for a in node.names):
            self.imports.append(node)
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        self.enclosing[node] = tuple(self._stack)
        self._bind_import(node)
        if not node.relative and is_source(
            get_full_name_for_node(node.module) if node.module else None
        ):
            self.import_froms.append(node)
        return False

    # -- other bindings ----------------------------------------------------------
    def _store(self, target: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            self.stores[target.value] += 1
            self._not_loads.add(target)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._store(element.value)
        elif isinstance(target, cst.StarredElement):
            self._store(target.value)
        elif isinstance(target, cst.Attribute):
            self.store_attrs.add(target)

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._store(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._store(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._store(node.target)

    def visit_Del(self, node: cst.Del) -> None:
        self._store(node.target)

    def visit_For(self, node: cst.For) -> None:
        self._store(node.target)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self._store(node.target)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._store(node.target)

    def visit_AsName(self, node: cst.AsName) -> None:  # with ... as x, except E as x
        self._store(node.name)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._store(node.name)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._store(node.name)

    def visit_Param(self, node: cst.Param) -> None:
        self._store(node.name)

    def visit_NameItem(self, node: cst.NameItem) -> None:  # global / nonlocal
        self._store(node.name)

    def visit_MatchAs(self, node: cst.MatchAs) -> None:
        if node.name is not None:
            self._store(node.name)

    def visit_MatchStar(self, node: cst.MatchStar) -> None:
        if node.name is not None:
            self._store(node.name)

    # -- uses ----------------------------------------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        self.call_of_func[node.func] = node

    def visit_Arg(self, node: cst.Arg) -> None:
        self.arg_of_value[node.value] = node
        if node.keyword is not None:
            self._not_loads.add(node.keyword)

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        if node.attr.value in self._names:
            self.attributes.append(node)
            self.enclosing[node] = tuple(self._stack)
        # ``x.mmcv`` is not a use of the name ``mmcv``: only the value side is visited.
        node.value.visit(self)
        return False

    def visit_Name(self, node: cst.Name) -> None:
        self.name_counts[node.value] += 1
        if node not in self._not_loads:
            self.loads.setdefault(node.value, []).append(node)

    # -- queries -------------------------------------------------------------------
    def simple_binding(self, name: str) -> tuple[ImportStmt, cst.ImportAlias] | None:
        """The import binding ``name`` when it is its only binding in the module."""
        binds = self.import_binds.get(name, [])
        return binds[0] if len(binds) == 1 and not self.stores[name] else None
