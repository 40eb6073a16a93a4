"""Migrate one file: read, filter, rewrite, verify and (atomically) write it back.

A file is parsed only when its bytes mention ``mmcv`` or ``mmengine``.  LibCST
reads the PEP 263 cookie and the BOM and writes the module back in the same
encoding; new lines take the file's own line ending.  Nothing is written when
the file cannot be read, decoded or parsed, or when the result would not parse.
"""

from __future__ import annotations

import ast
import difflib
import io
import os
import stat
import tempfile
import tokenize
from dataclasses import dataclass, field
from typing import Literal

import libcst as cst
from mminit_codemods._moves import move_table
from mminit_codemods._prescan import prescan
from mminit_codemods._rewrite import Move, Note, migrate_tree
from mminit_codemods._splice import splice_imports

__all__ = ["FileResult", "migrate_file", "migrate_source", "write_atomic"]

Status = Literal["changed", "unchanged", "not-parsed", "failed"]
_MARKERS = (b"mmcv", b"mmengine")


@dataclass
class FileResult:
    path: str
    status: Status
    moves: list[Move] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    error: str | None = None
    diff: str | None = None
    new_data: bytes | None = None


def _describe(exc: BaseException) -> str:
    if isinstance(exc, cst.ParserSyntaxError):
        return f"syntax error at line {exc.raw_line}, column {exc.raw_column}: {exc.message}"
    if isinstance(exc, UnicodeDecodeError):
        return f"cannot decode as {exc.encoding}: {exc.reason} at byte {exc.start}"
    if isinstance(exc, SyntaxError):
        return f"syntax error at line {exc.lineno}: {exc.msg}"
    return f"{type(exc).__name__}: {exc}"


def _encoding(data: bytes) -> str:
    return tokenize.detect_encoding(io.BytesIO(data).readline)[0]


def migrate_source(data: bytes, path: str = "<string>", bricks: bool = False) -> FileResult:
    """Rewrite the source bytes of one file; never raises for bad input.

    ``bricks=True`` also moves the layer bricks (``mminit migrate --bricks``).

    ``ast`` reads the file first (fast, and it must accept it).  Files that only
    need ``from <upstream> import`` statements rewritten take the per-statement
    fast path; the others are parsed whole by LibCST.
    """
    if not any(marker in data for marker in _MARKERS):
        return FileResult(path, "not-parsed")
    try:
        scan = prescan(data, path, move_table(bricks))
        encoding = _encoding(data)
        text = data.decode(encoding)
    except Exception as exc:  # noqa: BLE001 - every parse failure is reported, not raised
        return FileResult(path, "failed", error=_describe(exc))
    notes = [Note(*n) for n in scan.notes]
    if not scan.needs_cst:
        return FileResult(path, "unchanged", notes=notes)
    try:
        spliced = splice_imports(text, scan) if scan.statements_only else None
        if spliced is not None:
            code, moves = spliced
        else:
            try:
                tree = cst.parse_module(data)
            except Exception as exc:  # noqa: BLE001
                return FileResult(path, "failed", notes=notes, error=_describe(exc))
            new_tree, moves, notes = migrate_tree(tree, scan)
            if new_tree is None:
                return FileResult(path, "unchanged", notes=notes)
            code = new_tree.code
        ast.parse(code, filename=path)
    except SyntaxError as exc:
        return FileResult(path, "failed", notes=notes,
                          error=f"internal error: the rewritten file would not parse ({exc.msg})")
    except Exception as exc:  # noqa: BLE001
        return FileResult(path, "failed", error=f"internal error while rewriting: {_describe(exc)}")
    return FileResult(path, "changed", moves=moves, notes=notes, new_data=code.encode(encoding))


def _unified_diff(path: str, old: bytes, new: bytes) -> str:
    encoding = _encoding(old)
    old_text = old.decode(encoding)
    new_text = new.decode(encoding)
    lines = difflib.unified_diff(
        old_text.splitlines(keepends=True),
        new_text.splitlines(keepends=True),
        fromfile=f"a/{path.lstrip('/')}",
        tofile=f"b/{path.lstrip('/')}",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def write_atomic(path: str, data: bytes) -> None:
    """Replace ``path`` with ``data`` through a temporary file; keep its mode."""
    real = os.path.realpath(path)
    mode = stat.S_IMODE(os.stat(real).st_mode)
    directory, name = os.path.split(real)
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".mminit-tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, real)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def migrate_file(path: str, write: bool = True, diff: bool = False,
                 bricks: bool = False) -> FileResult:
    """Migrate the file at ``path``; ``write=False`` only reports what would change."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        return FileResult(path, "failed", error=f"cannot read: {exc.strerror or exc}")
    result = migrate_source(data, path, bricks)
    if result.status != "changed":
        return result
    assert result.new_data is not None
    if diff:
        result.diff = _unified_diff(path, data, result.new_data)
    if write:
        try:
            write_atomic(path, result.new_data)
        except OSError as exc:
            result.status, result.error = "failed", f"cannot write: {exc.strerror or exc}"
    result.new_data = None  # not needed by the caller; keeps results small to pickle
    return result
