"""Helpers shared by the codemod tests: before/after checks in the style of django-upgrade,
the three tests every table of rewrites gets, the one-file example the command-line tests
migrate, and the upstream environment some tests run code in."""

from __future__ import annotations

import ast
import os
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import libcst as cst
import pytest
from libcst.codemod import CodemodContext

from mminit.codemods._files import FileResult, migrate_source
from mminit.codemods.replace_imports import ReplaceImportsCodemod

__all__ = [
    "AFTER",
    "BEFORE",
    "MMCV_PYTHON",
    "ROOT",
    "check_full_path",
    "check_noop",
    "check_transformed",
    "other_library",
    "require_environment",
    "rewrite_tests",
    "run_source",
]

ROOT = Path(__file__).resolve().parents[2]
#: The mmcv 1.7.2 environment tools/setup_envs.sh builds.
MMCV_PYTHON = ROOT / ".venv-mmcv" / "bin" / "python"
#: A one-file example for the command line, before and after ``mminit migrate``.
BEFORE = "from mmcv.cnn import ConvModule, constant_init\n\nconstant_init(m, 1)\n"
AFTER = "from mmcv.cnn import ConvModule\nfrom mminit.mmcv1 import constant_init\n\nconstant_init(m, 1)\n"


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


def other_library(src: str) -> str:
    """The same source importing from a repository's own look-alike packages.

    ``mmcv_custom`` is a common name downstream; the text still mentions mmcv, so it is
    parsed, and it must stay as it is.
    """
    return src.replace("mmcv", "mmcv_custom").replace("mmengine", "mmengine_ext")


def rewrite_tests(rewrites: Sequence[Any]) -> tuple[Callable[..., None], ...]:
    """The three tests a table of ``pytest.param(before, after, id=...)`` rewrites gets.

    Each ``before`` becomes ``after`` (and a second run changes nothing); the LibCST
    codemod's whole-module path gives the same result; the twin importing from another
    library (:func:`other_library`) is left unchanged.  A test module binds them by name::

        (test_rewrites, test_rewrites_through_the_libcst_codemod,
         test_twin_from_other_library_is_unchanged) = rewrite_tests(REWRITES)
    """

    @pytest.mark.parametrize(("before", "after"), rewrites)
    def test_rewrites(before: str, after: str) -> None:
        check_transformed(before, after)

    @pytest.mark.parametrize(("before", "after"), rewrites)
    def test_rewrites_through_the_libcst_codemod(before: str, after: str) -> None:
        check_full_path(before, after)

    @pytest.mark.parametrize(
        "before", [pytest.param(p.values[0], id=f"{p.id}-twin") for p in rewrites]
    )
    def test_twin_from_other_library_is_unchanged(before: str) -> None:
        result = check_noop(other_library(before))
        assert result.status == "unchanged", result.status

    return (
        test_rewrites,
        test_rewrites_through_the_libcst_codemod,
        test_twin_from_other_library_is_unchanged,
    )


def require_environment(python: Path, reason: str) -> None:
    """Skip with ``reason`` when the interpreter ``python`` is missing; under CI=true fail."""
    if not python.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{python} is missing; tools/setup_envs.sh builds it")
        pytest.skip(reason)
