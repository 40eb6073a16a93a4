"""The one answer to "does this name move, and where": a :class:`MoveTable`.

The fast prescan, the per-statement splice and the planner all ask the same
table, built once per option set by :func:`move_table`, so a rule added here
applies on every path.  ``bricks=True`` (``mminit migrate --bricks``) adds the
layer-brick rows of :data:`~mminit.codemods._table.BRICK_MOVES`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType

from . import _table
from ._table import CONDITIONAL_NAMES, SOURCE_ROOTS

__all__ = ["MoveTable", "is_source", "move_table"]


def is_source(module: str | None) -> bool:
    """Whether ``module`` is mmcv, mmengine or one of their submodules."""
    return module is not None and module.split(".", 1)[0] in SOURCE_ROOTS


@dataclass(frozen=True, eq=False)
class MoveTable:
    """The rows in effect for one run, and the sets derived from them."""

    rows: Mapping[tuple[str, str], str]
    #: Registries that init-registry rules apply to (``parent=``, ``build_from_cfg``).
    registry_names: frozenset[str]
    bricks: bool = False
    #: Every name that may move (attribute uses are candidates only with these names).
    names: frozenset[str] = field(init=False)
    #: Names whose move depends on how they are used (see ``_planner``).
    use_dependent: frozenset[str] = field(init=False)
    #: Every module in the table and every package above one (``mmcv``, ``mmcv.cnn``, ...).
    source_modules: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        modules = frozenset(
            ".".join(module.split(".")[: i + 1])
            for module, _ in self.rows
            for i in range(module.count(".") + 1)
        )
        object.__setattr__(self, "names", frozenset(name for _, name in self.rows))
        object.__setattr__(self, "use_dependent", self.registry_names | CONDITIONAL_NAMES)
        object.__setattr__(self, "source_modules", modules)

    def target(self, module: str | None, name: str) -> str | None:
        """The mminit module ``module.name`` moves to, or None when it stays upstream."""
        if module is None:
            return None
        return self.rows.get((module, name))

    def statement_moves(self, module: str | None, names: Sequence[str]) -> dict[int, str]:
        """For ``from module import names...``: index of each name that moves -> its target."""
        out: dict[int, str] = {}
        for index, name in enumerate(names):
            target = self.target(module, name)
            if target is not None:
                out[index] = target
        return out


def _for_mmcv2(rows: dict[tuple[str, str], str]) -> dict[tuple[str, str], str]:
    """mmcv 2.x re-exports mmengine's objects and builds layers as mmcv 2.2.0: ``mminit``."""
    return {
        key: (
            _table.MMENGINE
            if key[0].split(".")[0] == "mmcv" and key[1] not in _table.MMCV1_ONLY_NAMES
            else target
        )
        for key, target in rows.items()
    }


@cache
def move_table(bricks: bool = False, mmcv: int = 1) -> MoveTable:
    """The table for a run: the default rows, plus the brick rows with ``bricks=True``.

    ``mmcv=2`` is for repositories on mmcv 2.x: names imported from ``mmcv.*`` move
    to ``mminit`` (the mmengine / mmcv 2.2.0 flavour) instead of ``mminit.mmcv1``.
    """
    if mmcv not in (1, 2):
        raise ValueError(f"mmcv must be 1 or 2 (the major version the code runs on), got {mmcv!r}")
    moves, bricks_moves = _table.MOVES, _table.BRICK_MOVES
    overlap = set(moves) & set(bricks_moves)
    if overlap:  # a data error in _table.py; caught by tests/codemods/test_table.py
        raise ValueError(f"rows in both MOVES and BRICK_MOVES: {sorted(overlap)}")
    rows = {**moves, **bricks_moves} if bricks else dict(moves)
    registries = _table.REGISTRY_NAMES | (_table.BRICK_REGISTRY_NAMES if bricks else frozenset())
    if mmcv == 2:
        rows = _for_mmcv2(rows)
    return MoveTable(MappingProxyType(rows), frozenset(registries), bricks=bricks)
