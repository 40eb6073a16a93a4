"""The fast path: rewrite ``from <upstream> import ...`` statements on their own lines.

When a module needs nothing but such rewrites (no ``import mmcv`` attribute uses,
no registry or ``build_from_cfg`` whose fate depends on its uses), each
statement is cut out of the text by the line numbers ``ast`` gives, parsed by
LibCST on its own, rewritten with the same :class:`~mminit.codemods._rewrite.Rewriter`
as the full path, and put back with its indentation.  The rest of the file is
never parsed by LibCST.  A statement that shares a line with another statement
(``;``, ``if x: from ...``) sends the whole file down the full path instead.
"""

from __future__ import annotations

import io
import re

import libcst as cst

from ._plan import Plan
from ._prescan import Prescan
from ._rewrite import Move, Rewriter

__all__ = ["splice_imports"]

_TAIL = re.compile(r"[ \t\f]*(#.*)?(\r\n|\r|\n)?")


def _rewrite_statement(lines: list[str], moved: dict[int, str], indent: str) -> str | None:
    """Rewrite the statement's lines (indentation included); None if they are not one import."""
    newline = lines[0][len(lines[0].rstrip("\r\n")) :] or "\n"
    # An indented statement is parsed as the body of a block, so that LibCST knows
    # the indentation of any line it adds.
    opener = f"if True:{newline}" if indent else ""
    tree = cst.parse_module(opener + "".join(lines))
    body = tree.body
    if indent:
        if len(body) != 1 or not isinstance(body[0], cst.If):
            return None
        body = body[0].body.body  # type: ignore[assignment]
    if len(body) != 1 or not isinstance(body[0], cst.SimpleStatementLine):
        return None
    line = body[0]
    if len(line.body) != 1 or not isinstance(line.body[0], cst.ImportFrom):
        return None
    code = tree.visit(Rewriter(Plan(from_moves={line.body[0]: moved}))).code
    return code[len(opener) :]


def splice_imports(text: str, scan: Prescan) -> tuple[str, list[Move]] | None:
    """Rewrite ``text`` statement by statement; None when the fast path does not apply."""
    lines = io.StringIO(text, newline="").readlines()
    moves: list[Move] = []
    edits: list[tuple[int, int, str]] = []
    for stmt in scan.import_froms:
        assert stmt.module is not None
        moved = scan.table.statement_moves(stmt.module, [a.name for a in stmt.names])
        if not moved:
            continue
        first, last = stmt.lineno - 1, (stmt.end_lineno or stmt.lineno) - 1
        lead = lines[first][: stmt.col_offset]
        # A form feed resets the indentation (Python's tokenizer): it stays in front.
        feed = lead.rfind("\f") + 1
        prefix, indent = lead[:feed], lead[feed:]
        end_line = lines[last].encode("utf-8")
        tail = end_line[stmt.end_col_offset or 0 :].decode("utf-8")
        joined = first > 0 and lines[first - 1].rstrip("\r\n").endswith("\\")
        if indent.strip() or joined or not _TAIL.fullmatch(tail):
            return None  # another statement shares these lines (or ``if x: \`` precedes it)
        block = lines[first : last + 1]
        block[0] = block[0][feed:]
        new = _rewrite_statement(block, moved, indent)
        if new is None:
            return None
        edits.append((first, last, prefix + new))
        for index, target in moved.items():
            alias = stmt.names[index]
            moves.append(
                Move(
                    getattr(alias, "lineno", stmt.lineno),
                    alias.name,
                    alias.asname,
                    stmt.module,
                    target,
                    "from-import",
                )
            )
    for first, last, replacement in reversed(edits):
        lines[first : last + 1] = [replacement]
    return "".join(lines), moves
