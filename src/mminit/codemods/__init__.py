"""LibCST codemods that move OpenMMLab init-system imports onto mminit.

``mminit migrate`` (:func:`mminit.codemods.cli.main`) drives
:class:`mminit.codemods.replace_imports.ReplaceImportsCodemod` over a tree;
:data:`MOVES` is the table of what moves where.  The package itself imports
neither LibCST nor the codemod, so ``python -m libcst.tool list`` names the
codemod once, as ``replace_imports.ReplaceImportsCodemod``.
"""

from __future__ import annotations

from ._table import MOVES

__all__ = ["MOVES"]
