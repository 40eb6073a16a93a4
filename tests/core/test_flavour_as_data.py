"""Flavour differences are data: code reads a :class:`Flavour` field, never the flavour's name.

A branch on ``flavour.name`` (or on ``flavour is MMCV1``) hides a behavioural
difference from the one place that lists them all; each such branch became a
field.  The scan below finds any that come back.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import re
from pathlib import Path

import mminit
from mminit._flavour import MMCV1, MMENGINE, Flavour

SRC = Path(mminit.__file__).parent

# Branches still on the name, in modules whose owners convert them separately:
# each entry must still be found, so the list can only shrink.
NOT_YET_DATA: set[tuple[str, str]] = set()


def _is_flavour(node: ast.expr) -> bool:
    """``flavour``, ``self._flavour``, ``cls._flavour``, ..."""
    if isinstance(node, ast.Name):
        return node.id.endswith("flavour")
    return isinstance(node, ast.Attribute) and node.attr.endswith("flavour")


def _is_flavour_name(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "name" and _is_flavour(node.value)


def _name_branches(tree: ast.AST) -> list[ast.expr]:
    """Comparisons with ``flavour.name``, tables indexed by it, ``flavour is MMCV1``.

    Showing the name (a label, a message) is fine: only deciding by it is flagged.
    """
    found: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if (
                any(_is_flavour_name(s) for s in sides)
                or isinstance(node.ops[0], (ast.Is, ast.IsNot))
                and any(_is_flavour(s) for s in sides)
                and any(isinstance(s, ast.Name) and s.id in {"MMENGINE", "MMCV1"} for s in sides)
            ):
                found.append(node)
        elif isinstance(node, ast.Subscript) and _is_flavour_name(node.slice):
            found.append(node)
        elif (
            isinstance(node, ast.Call)
            and any(_is_flavour_name(a) for a in node.args)
            and (isinstance(node.func, ast.Attribute) and node.func.attr == "get")
        ):
            found.append(node)  # table.get(flavour.name)
    return found


def test_no_code_branches_on_the_flavour_name() -> None:
    seen: set[tuple[str, str]] = set()
    unexpected: list[str] = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        source = path.read_text(encoding="utf-8")
        for node in _name_branches(ast.parse(source)):
            text = ast.get_source_segment(source, node) or ""
            key = next(((f, t) for f, t in NOT_YET_DATA if f == rel and t in text), None)
            if key is None:
                unexpected.append(f"src/mminit/{rel}:{node.lineno}: {text}")
            else:
                seen.add(key)
    assert not unexpected, (
        "branch on a Flavour field instead of the flavour's name (add the field to "
        "src/mminit/_flavour.py):\n" + "\n".join(unexpected)
    )
    assert seen == NOT_YET_DATA, f"converted already, drop from NOT_YET_DATA: {NOT_YET_DATA - seen}"


def test_every_field_is_documented_and_the_flavours_differ_only_in_fields() -> None:
    doc = inspect.cleandoc(Flavour.__doc__ or "")  # Python 3.13 dedents docstrings itself
    documented = set(re.findall(r"^\s{4}(\w+):", doc, flags=re.MULTILINE))
    names = {f.name for f in dataclasses.fields(Flavour)}
    assert names - documented == set(), "fields without a line in Flavour's docstring"
    assert documented - names == set(), "docstring lines for fields that do not exist"
    assert MMENGINE != MMCV1 and hash(MMENGINE) != hash(MMCV1)  # usable as table keys
