"""Small, pure CST edits: split an import statement in place, build dotted names.

Every function here keeps the whitespace and comments of the nodes it is given;
only the import's module and its list of names change.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

__all__ = [
    "dotted",
    "import_line",
    "rebuild_body",
    "split_import_from",
    "unparenthesise_single",
    "without_aliases",
]


def dotted(name: str) -> cst.Attribute | cst.Name:
    """Build the expression for a dotted module path such as ``mminit.mmcv1``."""
    head, *rest = name.split(".")
    expr: cst.Attribute | cst.Name = cst.Name(head)
    for part in rest:
        expr = cst.Attribute(value=expr, attr=cst.Name(part))
    return expr


def import_line(module: str) -> cst.SimpleStatementLine:
    """``import <module>`` as a statement line of its own."""
    return cst.SimpleStatementLine(body=[cst.Import(names=[cst.ImportAlias(name=dotted(module))])])


def _comma_has_comment(comma: cst.Comma | cst.MaybeSentinel) -> bool:
    if not isinstance(comma, cst.Comma):
        return False
    after = comma.whitespace_after
    return isinstance(after, cst.ParenthesizedWhitespace) and (
        after.first_line.comment is not None or any(e.comment for e in after.empty_lines)
    )


def _fix_last_comma(
    aliases: list[cst.ImportAlias],
    original_last: cst.ImportAlias,
    parenthesised: bool,
) -> list[cst.ImportAlias]:
    """Give the new last name the comma the statement's last name had.

    Without parentheses a trailing comma is a syntax error, so it is dropped.  Inside
    parentheses a comma that carries a comment (``# noqa: F401``) is kept as it is.
    """
    last = aliases[-1]
    if last is original_last:
        return aliases
    if not parenthesised:
        last = last.with_changes(comma=cst.MaybeSentinel.DEFAULT)
    elif not _comma_has_comment(last.comma):
        last = last.with_changes(comma=original_last.comma)
    elif _comma_has_comment(last.comma) and not _comma_has_comment(original_last.comma):
        # Keep the comment, close the parenthesis on the next line at block level.
        assert isinstance(last.comma, cst.Comma)
        after = last.comma.whitespace_after
        assert isinstance(after, cst.ParenthesizedWhitespace)
        last = last.with_changes(
            comma=last.comma.with_changes(
                whitespace_after=after.with_changes(indent=True, last_line=cst.SimpleWhitespace(""))
            )
        )
    return [*aliases[:-1], last]


def without_aliases(
    node: cst.Import | cst.ImportFrom, drop: set[int]
) -> cst.Import | cst.ImportFrom | None:
    """The statement without the names at the indices in ``drop``; None if none remain."""
    names = node.names
    assert not isinstance(names, cst.ImportStar)
    kept = [a for i, a in enumerate(names) if i not in drop]
    if not kept:
        return None
    parenthesised = isinstance(node, cst.ImportFrom) and node.lpar is not None
    return node.with_changes(names=_fix_last_comma(kept, names[-1], parenthesised))


def _shift(ws: cst.BaseParenthesizableWhitespace, delta: int) -> cst.BaseParenthesizableWhitespace:
    if not isinstance(ws, cst.ParenthesizedWhitespace):
        return ws
    text = ws.last_line.value
    if not text or text.strip(" ") or len(text) + delta < 0:
        return ws
    return ws.with_changes(last_line=cst.SimpleWhitespace(" " * (len(text) + delta)))


def _realign(node: cst.ImportFrom, delta: int) -> cst.ImportFrom:
    """Keep continuation lines aligned with ``(`` when the module name changes length."""
    lpar = node.lpar
    if delta == 0 or lpar is None or isinstance(lpar.whitespace_after, cst.ParenthesizedWhitespace):
        return node  # hanging indent (or no parentheses): nothing is aligned to the name
    names = node.names
    assert not isinstance(names, cst.ImportStar)
    aligned = [
        a.with_changes(
            comma=a.comma.with_changes(whitespace_after=_shift(a.comma.whitespace_after, delta))
        )
        if isinstance(a.comma, cst.Comma)
        else a
        for a in names
    ]
    rpar = node.rpar
    assert rpar is not None
    return node.with_changes(
        names=aligned,
        rpar=rpar.with_changes(whitespace_before=_shift(rpar.whitespace_before, delta)),
    )


def unparenthesise_single(node: cst.ImportFrom) -> cst.ImportFrom:
    """``from M import (a)`` on one line becomes ``from M import a`` (what isort and ruff want).

    Only a statement whose parentheses hold one name on the same line is changed: a
    vertical ``(\\n    a,\\n)`` (black's magic trailing comma) or one with a comment stays.
    """
    names = node.names
    if (
        node.lpar is None
        or node.rpar is None
        or isinstance(names, cst.ImportStar)
        or len(names) != 1
    ):
        return node
    alias = names[0]
    spaces = [node.lpar.whitespace_after, node.rpar.whitespace_before]
    if isinstance(alias.comma, cst.Comma):
        spaces += [alias.comma.whitespace_before, alias.comma.whitespace_after]
    if any(isinstance(ws, cst.ParenthesizedWhitespace) for ws in spaces):
        return node
    return node.with_changes(
        lpar=None, rpar=None, names=[alias.with_changes(comma=cst.MaybeSentinel.DEFAULT)]
    )


def split_import_from(
    node: cst.ImportFrom, moved: dict[int, str]
) -> tuple[cst.ImportFrom | None, list[cst.ImportFrom]]:
    """Split ``from M import a, b, c`` into what stays and one import per new module.

    ``moved`` maps the index of a name to the module it moves to.  The kept
    statement comes first (None when every name moves); the new statements follow
    in the order their first name appeared.  Parentheses, commas, aliases and the
    comments inside the list travel with the names.
    """
    names = node.names
    assert not isinstance(names, cst.ImportStar)
    parenthesised = node.lpar is not None
    kept = without_aliases(node, set(moved))
    groups: dict[str, list[cst.ImportAlias]] = {}
    for index, alias in enumerate(names):
        if index in moved:
            groups.setdefault(moved[index], []).append(alias)
    old_module = cst.Module([]).code_for_node(node.module) if node.module else ""
    new = [
        _realign(
            node.with_changes(
                module=dotted(target),
                relative=(),
                names=_fix_last_comma(aliases, names[-1], parenthesised),
            ),
            len(target) - len(old_module),
        )
        for target, aliases in groups.items()
    ]
    assert kept is None or isinstance(kept, cst.ImportFrom)
    if len(names) > 1:  # a single name left alone by the split loses its parentheses
        kept = None if kept is None else unparenthesise_single(kept)
        new = [unparenthesise_single(n) for n in new]
    return kept, new


def rebuild_body(
    body: Sequence[cst.BaseSmallStatement],
    replacements: dict[int, list[cst.BaseSmallStatement]],
) -> list[cst.BaseSmallStatement]:
    """Replace small statements of one line, keeping ``;`` separators valid."""
    out: list[cst.BaseSmallStatement] = []
    for index, stmt in enumerate(body):
        out.extend(replacements.get(index, [stmt]))
    if not out:
        return out
    fixed: list[cst.BaseSmallStatement] = []
    for i, stmt in enumerate(out):
        if i < len(out) - 1 and not isinstance(stmt.semicolon, cst.Semicolon):
            stmt = stmt.with_changes(
                semicolon=cst.Semicolon(
                    whitespace_before=cst.SimpleWhitespace(""),
                    whitespace_after=cst.SimpleWhitespace(" "),
                )
            )
        fixed.append(stmt)
    last = fixed[-1]
    original_last = body[-1]
    if last is not original_last:
        fixed[-1] = last.with_changes(semicolon=original_last.semicolon)
    return fixed
