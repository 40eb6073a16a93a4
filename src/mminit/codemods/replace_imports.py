"""Move mmcv 1.x / mmengine init-system imports and uses onto mminit.

Handled forms (see ``tests/codemods`` for one before/after pair each):

* ``from mmcv.cnn import ConvModule, constant_init`` is split in place into
  ``from mmcv.cnn import ConvModule`` and ``from mminit.mmcv1 import constant_init``;
  aliases, parentheses, backslashes and comments are kept, and the new import
  sits where the old one was (inside functions, ``try`` and ``if`` blocks too),
  so a later import of the same name still wins.
* ``mmcv.cnn.kaiming_init(...)`` after ``import mmcv`` becomes
  ``mminit.mmcv1.kaiming_init(...)`` with ``import mminit.mmcv1`` added after the
  import that bound ``mmcv`` (which is dropped once nothing else uses it).
* ``import mmcv.cnn as cnn`` used only for moved names becomes
  ``import mminit.mmcv1 as cnn``.

Left alone and reported: star imports, strings naming upstream paths
(``mock.patch`` targets), registries used as ``parent=``, and ``build_from_cfg``
where it is not called with an init registry.

Run through LibCST's runner with ``modules: ['mminit.codemods']`` in
``.libcst.codemod.yaml`` (``--no-format`` unless a formatter is configured there)::

    python -m libcst.tool codemod --no-format replace_imports.ReplaceImportsCodemod src/
"""

from __future__ import annotations

import argparse

import libcst as cst
from libcst.codemod import CodemodCommand, CodemodContext

from ._isort import place_mminit_imports
from ._moves import move_table
from ._prescan import prescan
from ._rewrite import Move, Note, migrate_tree

__all__ = ["Move", "Note", "ReplaceImportsCodemod"]


class ReplaceImportsCodemod(CodemodCommand):
    DESCRIPTION = "Move mmcv/mmengine init-system imports and uses to mminit."

    @staticmethod
    def add_args(arg_parser: argparse.ArgumentParser) -> None:
        arg_parser.add_argument(
            "--bricks",
            action="store_true",
            default=False,
            help="also move the layer bricks (ConvModule, build_*_layer, ...)",
        )
        arg_parser.add_argument(
            "--mmcv",
            type=int,
            choices=(1, 2),
            default=1,
            help="mmcv major version the code runs on (2: mmcv.* names "
            "move to mminit instead of mminit.mmcv1)",
        )

    def __init__(self, context: CodemodContext, bricks: bool = False, mmcv: int = 1) -> None:
        super().__init__(context)
        self.bricks = bricks
        self.mmcv = mmcv
        self.moves: list[Move] = []
        self.notes: list[Note] = []

    def transform_module(self, tree: cst.Module) -> cst.Module:
        # Metadata is resolved lazily by the planner (most files never need it), so the
        # base class's eager MetadataWrapper (a deep copy of the tree) is skipped.
        return self.transform_module_impl(tree)

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        scan = prescan(
            tree.code, self.context.filename or "<unknown>", move_table(self.bricks, self.mmcv)
        )
        new_tree, self.moves, self.notes = migrate_tree(tree, scan)
        for note in self.notes:
            self.warn(f"line {note.line}: {note.detail}")
        if new_tree is None:
            return tree
        code = new_tree.code
        placed = place_mminit_imports(code)  # where isort puts them, as mminit migrate does
        return new_tree if placed == code else cst.parse_module(placed)
