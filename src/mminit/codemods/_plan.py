"""What the planner decided for one module: the edits to make and what to report."""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

__all__ = ["Plan", "PlannedMove", "PlannedNote"]


@dataclass(frozen=True)
class PlannedMove:
    node: cst.CSTNode
    name: str
    asname: str | None
    source: str
    target: str
    form: str  # "from-import", "attribute" or "import-alias"


@dataclass(frozen=True)
class PlannedNote:
    node: cst.CSTNode
    reason: str
    detail: str


@dataclass
class Plan:
    """What to change in one module; nodes are those of the analysed tree."""

    from_moves: dict[cst.ImportFrom, dict[int, str]] = field(default_factory=dict)
    attr_sites: dict[cst.Attribute, str] = field(default_factory=dict)
    alias_renames: dict[cst.ImportAlias, str] = field(default_factory=dict)
    dropped: set[cst.ImportAlias] = field(default_factory=set)
    additions: dict[cst.CSTNode, list[str]] = field(default_factory=dict)
    moves: list[PlannedMove] = field(default_factory=list)
    notes: list[PlannedNote] = field(default_factory=list)

    @property
    def changes(self) -> bool:
        return bool(self.from_moves or self.attr_sites or self.alias_renames or self.dropped)
