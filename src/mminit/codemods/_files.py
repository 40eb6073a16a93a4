"""Migrate one file: read, filter, rewrite, verify and (atomically) write it back.

A file is parsed only when its bytes mention ``mmcv`` or ``mmengine``.  LibCST
reads the PEP 263 cookie and the BOM and writes the module back in the same
encoding; new lines take the file's own line ending.  Nothing is written when
the file cannot be read, decoded or parsed, when the result would not parse, or
when LibCST could not give back every byte outside the rewritten imports.

Only regular files are read (a FIFO named ``*.py`` is refused, never opened for
a blocking read), and files above ``max_bytes`` (``--max-file-size``) are only
scanned, in chunks, for a mention of mmcv/mmengine: a large file that mentions
them is refused with a message naming the limit, so ``--jobs N`` workers cannot
exhaust memory on generated sources.
"""

from __future__ import annotations

import ast
import difflib
import io
import os
import secrets
import stat
import sys
import tokenize
from dataclasses import dataclass, field
from typing import Literal

import libcst as cst

from ._discover import DEFAULT_MAX_BYTES
from ._isort import place_mminit_imports
from ._leftovers import import_statements, upstream_imports
from ._moves import move_table
from ._prescan import prescan
from ._rewrite import Move, Note, migrate_tree
from ._splice import splice_imports

__all__ = [
    "DEFAULT_MAX_BYTES",
    "ChangedWhileMigrating",
    "FileResult",
    "ReadState",
    "migrate_file",
    "migrate_source",
    "pending_temporary",
    "write_atomic",
]

Status = Literal["changed", "unchanged", "not-parsed", "failed"]
_MARKERS = (b"mmcv", b"mmengine")
_CHUNK = 1 << 20
#: Suffix of the temporary files ``write_atomic`` creates next to the file it replaces.
TEMP_SUFFIX = ".mminit-tmp"
_pending: list[str] = []  # the temporary file being written right now, if any


@dataclass
class FileResult:
    path: str
    status: Status
    moves: list[Move] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    error: str | None = None
    diff: str | None = None
    new_data: bytes | None = None
    #: Upstream names (``module.name``, or ``module`` for ``import module``) still
    #: imported once the file is migrated.
    leftovers: list[str] = field(default_factory=list)
    #: Things done that the user should know about (e.g. an owner that could not be kept).
    warnings: list[str] = field(default_factory=list)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, cst.ParserSyntaxError):
        return f"syntax error at line {exc.raw_line}, column {exc.raw_column}: {exc.message}"
    if isinstance(exc, UnicodeDecodeError):
        return f"cannot decode as {exc.encoding}: {exc.reason} at byte {exc.start}"
    if isinstance(exc, SyntaxError):
        return f"syntax error at line {exc.lineno}: {exc.msg}"
    return f"{type(exc).__name__}: {exc}"


def _newer_syntax(data: bytes) -> str | None:
    """The first Python newer than the running one whose grammar accepts ``data``, if any."""
    running = sys.version_info[:2]
    for minor in range(running[1] + 1, 16):
        try:
            cst.parse_module(data, config=cst.PartialParserConfig(python_version=f"3.{minor}"))
        except Exception:  # noqa: BLE001, S112 - not this grammar either
            continue
        return f"3.{minor}"
    return None


#: CPython's messages for input too deeply nested for any version's parser: no newer
#: grammar is tried then (LibCST's native parser would overflow its stack on it).
_TOO_DEEP = ("too many nested parentheses", "too many nested blocks", "too complex")


def _syntax_failure(exc: SyntaxError, data: bytes) -> str:
    message = _describe(exc)
    if any(deep in (exc.msg or "") for deep in _TOO_DEEP):
        return message
    newer = _newer_syntax(data)
    if newer is None:
        return message
    running = ".".join(map(str, sys.version_info[:2]))
    return (
        f"{message}; the file uses syntax newer than the running Python {running} "
        f"(it parses as Python {newer}): run mminit migrate with Python {newer} or newer"
    )


def _encoding(data: bytes) -> str:
    return tokenize.detect_encoding(io.BytesIO(data).readline)[0]


def _cr_only(data: bytes) -> bool:
    """Old-Mac line endings only (``\\r``, no ``\\n``): handled as ``\\n`` and restored."""
    return b"\r" in data and b"\n" not in data


def _lossy_for_libcst(data: bytes) -> bool:
    """Bytes LibCST may not give back (a form feed, a lone CR); only then is it checked."""
    return b"\x0c" in data or b"\r" in data.replace(b"\r\n", b"")


def migrate_source(
    data: bytes, path: str = "<string>", bricks: bool = False, mmcv: int = 1
) -> FileResult:
    """Rewrite the source bytes of one file; never raises for bad input.

    ``bricks=True`` also moves the layer bricks (``mminit migrate --bricks``);
    ``mmcv=2`` sends names from ``mmcv.*`` to ``mminit`` (``--mmcv 2``).

    ``ast`` reads the file first (fast, and it must accept it).  Files that only
    need ``from <upstream> import`` statements rewritten take the per-statement
    fast path; the others are parsed whole by LibCST, and only when LibCST gives
    back the file byte for byte.
    """
    if not any(marker in data for marker in _MARKERS):
        return FileResult(path, "not-parsed")
    cr_only = _cr_only(data)
    if cr_only:
        data = data.replace(b"\r", b"\n")
    result = _migrate_bytes(data, path, bricks, mmcv)
    if cr_only and result.new_data is not None:
        result.new_data = result.new_data.replace(b"\n", b"\r")
    return result


def _migrate_bytes(data: bytes, path: str, bricks: bool, mmcv: int) -> FileResult:
    try:
        scan = prescan(data, path, move_table(bricks, mmcv))
        encoding = _encoding(data)
        text = data.decode(encoding)
    except SyntaxError as exc:
        return FileResult(path, "failed", error=_syntax_failure(exc, data))
    except Exception as exc:  # noqa: BLE001 - every parse failure is reported, not raised
        return FileResult(path, "failed", error=_describe(exc))
    notes = [Note(*n) for n in scan.notes]
    before = upstream_imports(scan.import_froms, scan.imports)
    if not scan.needs_cst:
        return FileResult(path, "unchanged", notes=notes, leftovers=before)
    try:
        spliced = splice_imports(text, scan) if scan.statements_only else None
        if spliced is not None:
            code, moves = spliced
        else:
            try:
                tree = cst.parse_module(data)
            except Exception as exc:  # noqa: BLE001
                return FileResult(path, "failed", notes=notes, error=_describe(exc))
            if _lossy_for_libcst(data) and tree.bytes != data:
                return FileResult(
                    path,
                    "failed",
                    notes=notes,
                    leftovers=before,
                    error=(
                        "LibCST would not give back every byte of this file (e.g. a form feed "
                        "at the start of a line, or mixed line endings); not changed: move the "
                        "imports by hand or normalise the file first"
                    ),
                )
            new_tree, moves, notes = migrate_tree(tree, scan)
            if new_tree is None:
                return FileResult(path, "unchanged", notes=notes, leftovers=before)
            code = new_tree.code
        new_ast = ast.parse(code, filename=path)
        placed = place_mminit_imports(code, new_ast)
        if placed != code:  # moved to where isort puts them: parse what is written
            code, new_ast = placed, ast.parse(placed, filename=path)
    except SyntaxError as exc:
        return FileResult(
            path,
            "failed",
            notes=notes,
            leftovers=before,
            error=f"internal error: the rewritten file would not parse ({exc.msg})",
        )
    except Exception as exc:  # noqa: BLE001
        return FileResult(
            path,
            "failed",
            leftovers=before,
            error=f"internal error while rewriting: {_describe(exc)}",
        )
    return FileResult(
        path,
        "changed",
        moves=moves,
        notes=notes,
        new_data=code.encode(encoding),
        leftovers=upstream_imports(*import_statements(new_ast)),
    )


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


class WriteRefused(OSError):
    """The file is not replaced, for a reason that is not an operating-system error."""


class ChangedWhileMigrating(WriteRefused):
    """The file on disk is no longer what was read: someone edited it meanwhile."""


@dataclass(frozen=True)
class ReadState:
    """What was read, to check before the rename that nobody changed the file since."""

    data: bytes
    device: int
    inode: int
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, data: bytes, st: os.stat_result) -> ReadState:
        return cls(data, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)

    def differs(self, path: str) -> str | None:
        """How the file at ``path`` differs from what was read, or ``None``."""
        try:
            fd = os.open(
                path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
            )
        except OSError as exc:
            return f"it can no longer be opened ({exc.strerror or exc})"
        with os.fdopen(fd, "rb") as handle:
            st = os.fstat(fd)
            if (st.st_dev, st.st_ino) != (self.device, self.inode):
                return "it was replaced by another file"
            if st.st_size != self.size:
                return f"its size went from {self.size} to {st.st_size} bytes"
            if st.st_mtime_ns != self.mtime_ns:
                return "its modification time changed"
            if handle.read(self.size + 1) != self.data:
                return "its content changed"
        return None


def pending_temporary() -> str | None:
    """The temporary file a write in this process is filling right now (for signal handlers)."""
    return _pending[0] if _pending else None


def _keep_owner(tmp: str, st: os.stat_result) -> str | None:
    """Give ``tmp`` the owner and group of ``st``; say so when that is not permitted."""
    if (st.st_uid, st.st_gid) == (os.geteuid(), os.getegid()) or not hasattr(os, "chown"):
        return None
    try:
        os.chown(tmp, st.st_uid, st.st_gid)
        return None
    except PermissionError:
        pass
    try:
        os.chown(tmp, -1, st.st_gid)  # a member of the group may keep at least the group
        kept = "group kept, "
    except PermissionError:
        kept = ""
    return (
        f"owner {st.st_uid}:{st.st_gid} could not be kept ({kept}not permitted for "
        f"uid {os.geteuid()}); the rewritten file belongs to uid {os.geteuid()}"
    )


def _create_temporary(directory: str, name: str) -> tuple[int, str]:
    """Create ``.NAME.XXXXXXXX.mminit-tmp`` next to the file, registered as pending
    BEFORE it exists, so a worker stopped at any point (SIGTERM at the parent's
    death) knows what to remove."""
    for _ in range(100):
        tmp = os.path.join(directory, f".{name}.{secrets.token_hex(4)}{TEMP_SUFFIX}")
        _pending[:] = [tmp]
        try:
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
            return os.open(tmp, flags, 0o600), tmp
        except FileExistsError:
            continue
        except BaseException:
            _pending.clear()
            raise
    _pending.clear()
    raise FileExistsError(f"could not create a temporary file next to {name} in {directory}")


def write_atomic(path: str, data: bytes, read: ReadState | None = None) -> list[str]:
    """Replace ``path`` with ``data`` through a temporary file; return warnings.

    Mode, owner and group are kept (owner and group where permitted: a warning
    says when not).  A file with more than one hard link is refused
    (:class:`WriteRefused`): replacing it would silently split the links.  With
    ``read``, the file is compared with what was read (inode, size, modification
    time and bytes) just before the rename; if anything differs it is left as it
    is (:class:`ChangedWhileMigrating`).
    """
    real = os.path.realpath(path)
    st = os.stat(real)
    if st.st_nlink > 1:
        raise WriteRefused(
            f"not written: the file has {st.st_nlink} hard links, and "
            "replacing it would split them (the other names would keep "
            "the old text); apply the change with --diff by hand"
        )
    directory, name = os.path.split(real)
    fd, tmp = _create_temporary(directory, name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        warning = _keep_owner(tmp, st)
        os.chmod(tmp, stat.S_IMODE(st.st_mode))  # after chown, which may clear set-id bits
        changed = None if read is None else read.differs(real)
        if changed is not None:
            raise ChangedWhileMigrating(
                f"changed during migrate, not rewritten ({changed} since it was read); "
                "your version is kept: run mminit migrate on it again"
            )
        os.replace(tmp, real)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    finally:
        _pending.clear()
    return [] if warning is None else [warning]


def _read_regular(path: str, max_bytes: int) -> ReadState | str:
    """The file's bytes and identity; or, as a string, why it is not read whole."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with os.fdopen(fd, "rb") as handle:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return "not a regular file (a FIFO, device or socket named *.py); not read"
        if st.st_size <= max_bytes:
            return ReadState.of(handle.read(), st)
        tail = b""
        while chunk := handle.read(_CHUNK):
            window = tail + chunk
            if any(marker in window for marker in _MARKERS):
                return (
                    f"the file is {st.st_size / 2**20:.1f} MiB, above the --max-file-size "
                    f"limit of {max_bytes / 2**20:.1f} MiB, and mentions mmcv/mmengine; "
                    "not migrated (raise the limit, e.g. --max-file-size 20M; a full "
                    "parse needs about 300 bytes of memory per byte of source)"
                )
            tail = window[-8:]
        return ReadState.of(b"", st)  # large, but nothing to migrate


def migrate_file(
    path: str,
    write: bool = True,
    diff: bool = False,
    bricks: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
    mmcv: int = 1,
) -> FileResult:
    """Migrate the file at ``path``; ``write=False`` only reports what would change."""
    try:
        read = _read_regular(path, max_bytes)
    except OSError as exc:
        return FileResult(path, "failed", error=f"cannot read: {exc.strerror or exc}")
    if isinstance(read, str):
        return FileResult(path, "failed", error=read)
    data = read.data
    result = migrate_source(data, path, bricks, mmcv)
    if result.status != "changed":
        return result
    assert result.new_data is not None
    if diff:
        result.diff = _unified_diff(path, data, result.new_data)
    if write:
        try:
            result.warnings += write_atomic(path, result.new_data, read)
        except ChangedWhileMigrating as exc:
            result.status, result.error = "failed", str(exc)
            result.moves = []
        except OSError as exc:
            result.status, result.error = "failed", f"cannot write: {exc.strerror or exc}"
            result.moves = []
    result.new_data = None  # not needed by the caller; keeps results small to pickle
    return result
