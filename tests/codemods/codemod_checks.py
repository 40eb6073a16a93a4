"""Helpers shared by the codemod tests: before/after checks in the style of django-upgrade."""

from __future__ import annotations

import ast
import textwrap

import libcst as cst
from libcst.codemod import CodemodContext

from mminit.codemods._files import FileResult, migrate_source
from mminit.codemods.replace_imports import ReplaceImportsCodemod

__all__ = ["check_full_path", "check_noop", "check_transformed", "run_source"]


def run_source(src: str) -> FileResult:
    return migrate_source(src.encode("utf-8"), "example.py")


def check_transformed(before: str, after: str) -> FileResult:
    """``before`` becomes exactly ``after``, ``after`` parses, and a second run is a no-op."""
    before, after = textwrap.dedent(before), textwrap.dedent(after)
    ast.parse(after)  # the expected output must itself be valid Python
    result = run_source(before)
    assert result.status == "changed", result.error
    assert result.new_data is not None
    got = result.new_data.decode("utf-8")
    assert got == after
    again = run_source(after)
    assert again.status in ("unchanged", "not-parsed"), again.new_data
    return result


def check_noop(src: str) -> FileResult:
    """``src`` is left exactly as it is."""
    src = textwrap.dedent(src)
    ast.parse(src)
    result = run_source(src)
    assert result.status in ("unchanged", "not-parsed"), result.new_data
    return result


def check_full_path(before: str, after: str) -> None:
    """The LibCST codemod (whole-module path, no per-statement shortcut) gives the same result."""
    before, after = textwrap.dedent(before), textwrap.dedent(after)
    codemod = ReplaceImportsCodemod(CodemodContext(filename="example.py"))
    assert codemod.transform_module(cst.parse_module(before)).code == after
    again = ReplaceImportsCodemod(CodemodContext(filename="example.py"))
    assert again.transform_module(cst.parse_module(after)).code == after
