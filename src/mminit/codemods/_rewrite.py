"""Apply a :class:`~mminit.codemods._plan.Plan` to a tree, and the one-call driver.

:func:`migrate_tree` is what both the CLI and the LibCST codemod run: a prescan
with :mod:`ast`, one collecting pass over the CST, metadata only when a rule
needs it, and a rewriting pass that does not descend into expressions unless an
attribute use has to change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from ._collect import Collector
from ._edits import (
    dotted,
    import_line,
    rebuild_body,
    split_import_from,
    without_aliases,
)
from ._plan import Plan
from ._planner import plan_module
from ._prescan import Prescan

__all__ = ["Move", "Note", "Rewriter", "migrate_tree"]


@dataclass(frozen=True)
class Move:
    """One name moved from an upstream module to mminit."""

    line: int
    name: str
    asname: str | None
    source: str
    target: str
    form: str


@dataclass(frozen=True)
class Note:
    """Something left alone on purpose, with the reason."""

    line: int
    reason: str
    detail: str


_Line = cst.SimpleStatementLine | cst.SimpleStatementSuite


class _LazyMetadata:
    """Resolve a metadata provider the first time a rule asks for it."""

    def __init__(self, tree: cst.Module) -> None:
        self.tree = tree
        self.wrapper: MetadataWrapper | None = None
        self.resolved: dict[Any, Any] = {}

    def __call__(self, provider: Any, node: cst.CSTNode) -> Any:
        table = self.resolved.get(provider)
        if table is None:
            if self.wrapper is None:
                self.wrapper = MetadataWrapper(self.tree, unsafe_skip_copy=True)
            table = self.resolved[provider] = self.wrapper.resolve(provider)
        value = table.get(node)
        # Qualified names come wrapped in LibCST's LazyValue (a zero-argument callable).
        return value() if callable(value) else value


class Rewriter(cst.CSTTransformer):
    """Carry out a plan; every node not named in it comes back unchanged."""

    def __init__(self, plan: Plan, found: Collector | None = None) -> None:
        super().__init__()
        self.plan = plan
        self._skip_expressions = not plan.attr_sites
        self._skip_lines = not (plan.attr_sites or plan.alias_renames)
        self._interesting: set[cst.CSTNode] | None = None
        if found is not None:
            # Only statements that contain something planned are visited at all.
            alias_stmts = {
                stmt
                for binds in found.import_binds.values()
                for stmt, alias in binds
                if alias in plan.alias_renames or alias in plan.dropped
            }
            nodes = [*plan.attr_sites, *plan.from_moves, *plan.additions, *alias_stmts]
            self._interesting = {s for n in nodes for s in found.enclosing.get(n, ())}

    def on_visit(self, node: cst.CSTNode) -> bool:
        # Nothing inside an expression (or a simple line) changes unless the plan says so.
        if self._skip_expressions and isinstance(node, cst.BaseExpression):
            return False
        if (
            self._interesting is not None
            and isinstance(node, cst.BaseStatement)
            and node not in self._interesting
        ):
            return False
        if self._skip_lines and isinstance(
            node, (cst.SimpleStatementLine, cst.SimpleStatementSuite)
        ):
            return False
        return super().on_visit(node)

    def leave_Attribute(
        self, original_node: cst.Attribute, updated_node: cst.Attribute
    ) -> cst.BaseExpression:
        target = self.plan.attr_sites.get(original_node)
        return updated_node if target is None else updated_node.with_changes(value=dotted(target))

    def leave_ImportAlias(
        self, original_node: cst.ImportAlias, updated_node: cst.ImportAlias
    ) -> cst.ImportAlias:
        target = self.plan.alias_renames.get(original_node)
        return updated_node if target is None else updated_node.with_changes(name=dotted(target))

    def _edit_line(
        self, original: _Line, updated: _Line
    ) -> tuple[_Line | None, list[str], list[cst.BaseSmallStatement]]:
        """Edit the small statements of one line; return it, imports to add after it, new lines."""
        replacements: dict[int, list[cst.BaseSmallStatement]] = {}
        extra: list[cst.BaseSmallStatement] = []
        additions: list[str] = []
        for index, (orig, upd) in enumerate(zip(original.body, updated.body)):
            if isinstance(orig, cst.ImportFrom) and orig in self.plan.from_moves:
                assert isinstance(upd, cst.ImportFrom)
                kept, new = split_import_from(upd, self.plan.from_moves[orig])
                replacements[index] = list(new) if kept is None else [kept]
                extra.extend(new if kept is not None else [])
            elif isinstance(orig, cst.Import) and any(a in self.plan.dropped for a in orig.names):
                assert isinstance(upd, cst.Import)
                rest = without_aliases(
                    upd, {i for i, a in enumerate(orig.names) if a in self.plan.dropped}
                )
                replacements[index] = [] if rest is None else [rest]
            additions.extend(self.plan.additions.get(orig, []))
        if not replacements:
            return updated, additions, extra
        body = rebuild_body(updated.body, replacements)
        if isinstance(updated, cst.SimpleStatementSuite):
            # ``if x: from mmcv.cnn import a, B`` stays on one line.
            body, extra = rebuild_body(body + extra, {}), []
        return (updated.with_changes(body=body) if body else None), additions, extra

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement] | cst.RemovalSentinel:
        line, additions, extra = self._edit_line(original_node, updated_node)
        lines: list[cst.BaseStatement] = [] if line is None else [line]  # type: ignore[list-item]
        for stmt in extra:
            lines.append(
                cst.SimpleStatementLine(
                    body=[stmt.with_changes(semicolon=cst.MaybeSentinel.DEFAULT)],
                    trailing_whitespace=updated_node.trailing_whitespace,
                )
            )
        lines.extend(import_line(target) for target in additions)
        if not lines:
            return cst.RemovalSentinel.REMOVE
        if line is None:
            first = lines[0]
            assert isinstance(first, cst.SimpleStatementLine)
            lines[0] = first.with_changes(leading_lines=updated_node.leading_lines)
        return lines[0] if len(lines) == 1 else cst.FlattenSentinel(lines)

    def leave_SimpleStatementSuite(
        self, original_node: cst.SimpleStatementSuite, updated_node: cst.SimpleStatementSuite
    ) -> cst.BaseSuite:
        line, additions, _ = self._edit_line(original_node, updated_node)
        body = list(line.body) if line is not None else []
        body += [cst.Import(names=[cst.ImportAlias(name=dotted(t))]) for t in additions]
        return updated_node.with_changes(body=rebuild_body(body or [cst.Pass()], {}))


def _line_map(found: Collector, scan: Prescan) -> dict[cst.CSTNode, int] | None:
    """Lines of the planner's nodes, matched in source order to the prescan's ``ast`` nodes."""
    if not (
        len(found.import_froms) == len(scan.import_froms)
        and len(found.imports) == len(scan.imports)
        and len(found.attributes) == len(scan.attributes)
    ):
        return None
    lines: dict[cst.CSTNode, int] = {}
    for cst_node, ast_node in zip(found.import_froms, scan.import_froms):
        lines[cst_node] = ast_node.lineno
        if not isinstance(cst_node.names, cst.ImportStar):
            for cst_alias, ast_alias in zip(cst_node.names, ast_node.names):
                lines[cst_alias] = getattr(ast_alias, "lineno", ast_node.lineno)
    for cst_import, ast_import in zip(found.imports, scan.imports):
        lines[cst_import] = ast_import.lineno
    for cst_attr, ast_attr in zip(found.attributes, scan.attributes):
        lines[cst_attr] = ast_attr.lineno
    return lines


def migrate_tree(
    tree: cst.Module, scan: Prescan
) -> tuple[cst.Module | None, list[Move], list[Note]]:
    """Rewrite ``tree`` (whose prescan is ``scan``); None when nothing changes."""
    notes = [Note(*note) for note in scan.notes]
    if not scan.needs_cst:
        return None, [], notes
    found = Collector(scan.table)
    tree.visit(found)
    get = _LazyMetadata(tree)
    plan = plan_module(found, get, scan.table)
    lines = _line_map(found, scan)

    def line(node: cst.CSTNode) -> int:
        if lines is not None and node in lines:
            return lines[node]
        return int(get(PositionProvider, node).start.line)  # slow path; not expected

    moves = [Move(line(m.node), m.name, m.asname, m.source, m.target, m.form) for m in plan.moves]
    notes = sorted(
        notes + [Note(line(n.node), n.reason, n.detail) for n in plan.notes], key=lambda n: n.line
    )
    if not plan.changes:
        return None, moves, notes
    return tree.visit(Rewriter(plan, found)), moves, notes
