"""Decide, for one module, which imports and attribute uses move to mminit.

The planner reads the tree and LibCST's scope metadata and returns a
:class:`Plan`; it changes nothing.  Rules that keep a name where it is:

* ``build_from_cfg`` is upstream's builder for every registry, so it moves only
  when each of its uses is a call with an init registry (``INITIALIZERS``,
  ``WEIGHT_INITIALIZERS``) that moves too.
* an init registry passed as ``parent=`` (a downstream ``Registry(...)`` that
  hangs under mmengine's) must stay an mmengine registry.
* an attribute chain whose root may be bound to something other than the
  upstream module, or that is assigned to, is left alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import (
    ClassScope,
    GlobalScope,
    QualifiedNameProvider,
    QualifiedNameSource,
    Scope,
    ScopeProvider,
)

from ._collect import Collector, ImportStmt
from ._moves import MoveTable, move_table
from ._plan import Plan, PlannedMove, PlannedNote
from ._table import CONDITIONAL_NAMES

__all__ = ["Candidate", "Plan", "PlannedMove", "PlannedNote", "plan_module"]

GetMetadata = Callable[[Any, cst.CSTNode], Any]


class Candidate(NamedTuple):
    """One name of a ``from <upstream> import ...`` that the table moves."""

    stmt: cst.ImportFrom
    position: int
    module: str
    name: str
    local: str
    target: str


def _root(node: cst.BaseExpression) -> cst.Name | None:
    while isinstance(node, cst.Attribute):
        node = node.value
    return node if isinstance(node, cst.Name) else None


def _split(qualified: str) -> tuple[str, str]:
    module, _, name = qualified.rpartition(".")
    return module, name


class _Planner:
    def __init__(self, found: Collector, get: GetMetadata, table: MoveTable) -> None:
        self.table = table
        self.get = get
        self.found = found
        self.plan = Plan()
        self.excluded_registries: set[cst.CSTNode] = set()

    # -- helpers -----------------------------------------------------------------
    def references(self, stmt: ImportStmt, local: str) -> list[cst.CSTNode]:
        """Uses of the name ``local`` that ``stmt`` binds."""
        if self.found.simple_binding(local) is not None:
            return list(self.found.loads.get(local, []))
        scope: Scope | None = self.get(ScopeProvider, stmt)
        if scope is None:
            return []
        refs: list[cst.CSTNode] = []
        for assignment in scope.assignments[local]:
            if getattr(assignment, "node", None) is stmt:
                refs.extend(access.node for access in assignment.references)
        return refs

    def qualified(self, node: cst.CSTNode) -> set[str] | None:
        """Import-qualified names of a Name/Attribute; None when some binding is not an import."""
        root = _root(node)  # type: ignore[arg-type]
        if root is None:
            return set()
        simple = self.found.simple_binding(root.value)
        if simple is not None:
            stmt, alias = simple
            text = get_full_name_for_node(node) or ""
            rest = text[len(root.value) :]
            if isinstance(stmt, cst.Import):
                base = root.value if alias.asname is None else get_full_name_for_node(alias.name)
            elif stmt.relative:
                return set()
            else:
                base = f"{get_full_name_for_node(stmt.module)}.{get_full_name_for_node(alias.name)}"  # type: ignore[arg-type]
            return {f"{base}{rest}"}
        if root.value not in self.found.import_binds:
            return set()
        qualified = self.get(QualifiedNameProvider, node) or set()
        if any(qn.source is not QualifiedNameSource.IMPORT for qn in qualified):
            return None
        return {qn.name for qn in qualified}

    def is_parent_arg(self, node: cst.CSTNode) -> bool:
        arg = self.found.arg_of_value.get(node)
        return arg is not None and arg.keyword is not None and arg.keyword.value == "parent"

    def is_init_registry(self, expr: cst.CSTNode) -> bool:
        if expr in self.excluded_registries:
            return False
        for name in self.qualified(expr) or ():
            module, attr = _split(name)
            if attr in self.table.registry_names and self.table.target(module, attr):
                return True
        return False

    def registry_arg(self, func: cst.CSTNode) -> cst.BaseExpression | None:
        """The registry passed to ``func(cfg, registry, ...)`` when ``func`` is called."""
        call = self.found.call_of_func.get(func)
        if call is None:
            return None
        positional = [a for a in call.args if a.keyword is None and not a.star]
        registry = [a for a in call.args if a.keyword is not None and a.keyword.value == "registry"]
        chosen = registry[0] if registry else (positional[1] if len(positional) > 1 else None)
        return None if chosen is None else chosen.value

    def is_init_build_call(self, node: cst.CSTNode) -> bool:
        registry = self.registry_arg(node)
        return registry is not None and self.is_init_registry(registry)

    def note(self, node: cst.CSTNode, reason: str, detail: str) -> None:
        self.plan.notes.append(PlannedNote(node, reason, detail))

    # -- the passes ----------------------------------------------------------------
    def run(self) -> Plan:
        candidates = self.from_candidates()
        sites = self.attribute_candidates()
        for stmt, _, module, name, local, _ in candidates:
            if name in self.table.registry_names:
                refs = self.references(stmt, local)
                if any(self.is_parent_arg(r) for r in refs):
                    self.excluded_registries.update(refs)
                    self.note(
                        stmt,
                        "registry-parent",
                        f"{module}.{name} is the parent= of another "
                        "Registry, which must stay an upstream registry",
                    )
        for site, module, name, _ in sites:
            if name in self.table.registry_names and self.is_parent_arg(site):
                self.excluded_registries.add(site)
                self.note(
                    site,
                    "registry-parent",
                    f"{module}.{name} is the parent= of another "
                    "Registry, which must stay an upstream registry",
                )
        kept = {
            c
            for c in candidates
            if c.name in CONDITIONAL_NAMES and self.keep_from(c.stmt, c.module, c.name, c.local)
        }
        for stmt, _, module, name, local, _ in kept:
            # An init registry handed to an upstream builder that stays must stay upstream too.
            for ref in self.references(stmt, local):
                registry = self.registry_arg(ref)
                if registry is not None and self.is_init_registry(registry):
                    self.excluded_registries.add(registry)
                    self.note(
                        stmt,
                        "registry-with-upstream-builder",
                        f"the init registry "
                        f"{get_full_name_for_node(registry)} is passed to {module}.{name}, "
                        "which stays, so it stays upstream too",
                    )
        for candidate in candidates:
            stmt, index, module, name, local, target = candidate
            if candidate in kept or (
                name in self.table.registry_names and self.keep_from(stmt, module, name, local)
            ):
                continue
            self.plan.from_moves.setdefault(stmt, {})[index] = target
            alias = stmt.names[index]  # type: ignore[index]
            self.plan.moves.append(
                PlannedMove(
                    alias, name, None if local == name else local, module, target, "from-import"
                )
            )
        kept_sites = [s for s in sites if not self.keep_site(*s[:3])]
        self.place_sites(kept_sites)
        return self.plan

    def from_candidates(self) -> list[Candidate]:
        out: list[Candidate] = []
        for stmt in self.found.import_froms:
            if isinstance(stmt.names, cst.ImportStar) or stmt.module is None:
                continue  # star imports are reported by the prescan
            module = get_full_name_for_node(stmt.module) or ""
            names = [get_full_name_for_node(alias.name) or "" for alias in stmt.names]
            for index, target in self.table.statement_moves(module, names).items():
                alias = stmt.names[index]
                out.append(
                    Candidate(
                        stmt,
                        index,
                        module,
                        names[index],
                        alias.evaluated_alias or names[index],
                        target,
                    )
                )
        return out

    def keep_from(self, stmt: cst.ImportFrom, module: str, name: str, local: str) -> bool:
        if name not in self.table.registry_names and name not in CONDITIONAL_NAMES:
            return False
        refs = self.references(stmt, local)
        if name in self.table.registry_names:
            return any(r in self.excluded_registries for r in refs)
        if name in CONDITIONAL_NAMES:
            calls = [r for r in refs if not isinstance(r, cst.BaseString)]
            if calls and all(self.is_init_build_call(r) for r in calls):
                return False
            self.note(
                stmt,
                "general-builder",
                f"{module}.{name} is kept: it is upstream's builder "
                "for every registry and is not only called with an init registry here",
            )
            return True
        return False

    def attribute_candidates(self) -> list[tuple[cst.Attribute, str, str, str]]:
        out = []
        bound = self.source_binds()
        for node in self.found.attributes:
            root = _root(node)
            if root is None or root.value not in bound:
                continue  # ``nn.Sequential``, ``self.init_cfg``: no upstream import binds the root
            qualified = self.qualified(node)
            text = get_full_name_for_node(node)
            if qualified is None:
                self.note(
                    node,
                    "ambiguous-binding",
                    f"{text} may not refer to the upstream module on every path; left alone",
                )
                continue
            matches = {_split(q) for q in qualified if self.table.target(*_split(q))}
            if not matches:
                continue
            if len(matches) != 1 or len(qualified) != 1:
                self.note(
                    node,
                    "ambiguous-binding",
                    f"{text} may not refer to the upstream module on every path; left alone",
                )
                continue
            if node in self.found.store_attrs:
                self.note(node, "assignment-target", f"{text} is assigned to; left alone")
                continue
            ((module, name),) = matches
            out.append((node, module, name, self.table.rows[(module, name)]))
        return out

    def keep_site(self, node: cst.Attribute, module: str, name: str) -> bool:
        if name in self.table.registry_names:
            return node in self.excluded_registries
        if name in CONDITIONAL_NAMES and not self.is_init_build_call(node):
            self.note(
                node,
                "general-builder",
                f"{module}.{name} is kept: it is upstream's builder "
                "for every registry and is not called with an init registry here",
            )
            return True
        return False

    def source_binds(self) -> dict[str, list[tuple[ImportStmt, cst.ImportAlias]]]:
        sources = set(self.found.imports) | set(self.found.import_froms)
        return {
            local: [b for b in binds if b[0] in sources]
            for local, binds in self.found.import_binds.items()
            if any(b[0] in sources for b in binds)
        }

    def place_sites(self, sites: list[tuple[cst.Attribute, str, str, str]]) -> None:
        binds = self.source_binds()
        pending: dict[ImportStmt, list[str]] = {}
        by_root: dict[str, list[tuple[cst.Attribute, str, str, str]]] = {}
        for site in sites:
            by_root.setdefault(_root(site[0]).value, []).append(site)  # type: ignore[union-attr]
        for root, group in by_root.items():
            if self.found.name_counts[root] == len(group) and self.rename_alias(root, group, binds):
                continue
            for node, module, name, target in group:
                stmt = self.binding_statement(node, binds.get(root, []))
                if stmt is None:
                    self.note(
                        node,
                        "ambiguous-binding",
                        f"no import of {root} found for {get_full_name_for_node(node)}; left alone",
                    )
                    continue
                self.plan.attr_sites[node] = target
                targets = pending.setdefault(stmt, [])
                if target not in targets:
                    targets.append(target)
                self.plan.moves.append(PlannedMove(node, name, None, module, target, "attribute"))
            rewritten = sum(1 for s in group if s[0] in self.plan.attr_sites)
            if rewritten == self.found.name_counts[root]:
                for stmt, alias in binds.get(root, []):
                    if isinstance(stmt, cst.Import):
                        self.plan.dropped.add(alias)
        self.add_imports(pending)

    def rename_alias(
        self,
        root: str,
        group: list[tuple[cst.Attribute, str, str, str]],
        binds: dict[str, list[tuple[ImportStmt, cst.ImportAlias]]],
    ) -> bool:
        """``import mmcv.cnn as cnn`` used only for moved names becomes ``import mminit.mmcv1 as cnn``."""
        bound = binds.get(root, [])
        if len(bound) != 1 or not isinstance(bound[0][0], cst.Import) or bound[0][1].asname is None:
            return False
        module = get_full_name_for_node(bound[0][1].name)
        if not all(isinstance(n.value, cst.Name) and m == module for n, m, _, _ in group):
            return False
        self.plan.alias_renames[bound[0][1]] = group[0][3]
        for node, module_, name, target in group:
            self.plan.moves.append(PlannedMove(node, name, None, module_, target, "import-alias"))
        return True

    def add_imports(self, pending: dict[ImportStmt, list[str]]) -> None:
        """Schedule ``import <target>`` after each binding import, once per scope."""
        if len(pending) == 1:
            self.plan.additions.update(pending.items())
            return
        seen: set[tuple[object, str]] = set()
        for stmt, targets in pending.items():
            for target in targets:
                key = (self.get(ScopeProvider, stmt), target)
                if key not in seen:
                    seen.add(key)
                    self.plan.additions.setdefault(stmt, []).append(target)

    def binding_statement(
        self, node: cst.Attribute, bound: list[tuple[ImportStmt, cst.ImportAlias]]
    ) -> ImportStmt | None:
        root = _root(node)
        simple = self.found.simple_binding(root.value) if root is not None else None
        if simple is not None:
            return simple[0]
        scope: Scope | None = self.get(ScopeProvider, _root(node))  # type: ignore[arg-type]
        first = True
        while scope is not None:
            if first or not isinstance(scope, ClassScope):
                for stmt, _ in bound:
                    if self.get(ScopeProvider, stmt) is scope:
                        return stmt
            if isinstance(scope, GlobalScope):
                return None
            scope, first = scope.parent, False
        return None


def plan_module(found: Collector, get: GetMetadata, table: MoveTable | None = None) -> Plan:
    """Plan the migration of the collected tree; ``get(provider, node)`` reads metadata."""
    return _Planner(found, get, table or move_table()).run()
