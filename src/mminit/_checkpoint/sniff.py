"""Tell a checkpoint from something that is not one, without unpickling it.

``torch.save`` writes either a zip archive (torch >= 1.6) or the legacy
format, a run of pickles starting with a pickled magic number.  Anything else
(an HTML error page served with status 200, a text file, an empty file) is
described by :func:`not_a_checkpoint` so that the error says what the file is
instead of blaming pickle safety.  :func:`pickle_globals` lists the globals a
checkpoint (legacy or zip) asks for, read with :mod:`pickletools` (nothing is executed).
"""

from __future__ import annotations

import os
import pickletools
import warnings
import zipfile
from typing import Any

__all__ = ["describe", "is_complete", "not_a_checkpoint", "pickle_globals"]

_HEAD = 64
_ZIP_MAGIC = b"PK\x03\x04"
# Protocol-0/1 pickle of torch's legacy magic number 0x1950a86a20f9469cfc6c.
_LEGACY_TEXT_MAGIC = b"L119547037146038801333356"
_INT_OPS = {"INT", "BININT", "BININT1", "BININT2", "LONG", "LONG1", "LONG4"}
_STRING_OPS = {
    "SHORT_BINUNICODE",
    "BINUNICODE",
    "BINUNICODE8",
    "UNICODE",
    "STRING",
    "BINSTRING",
    "SHORT_BINSTRING",
}


def _head(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(_HEAD)


def _looks_like_checkpoint(head: bytes) -> bool:
    if head.startswith(_ZIP_MAGIC):
        return True
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:  # pickle protocol 2-5
        return True
    return head.startswith(_LEGACY_TEXT_MAGIC)


def _kind(head: bytes) -> str:
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if stripped.startswith((b"<!doctype html", b"<html", b"<head", b"<body")):
        return "an HTML page"
    if stripped.startswith((b"<?xml", b"<")):
        return "an XML/HTML document"
    if stripped.startswith((b"{", b"[")):
        return "JSON or other text"
    if head.startswith(b"\x1f\x8b"):
        return "gzip-compressed data"
    if head.startswith(b"version https://git-lfs"):
        return "a Git LFS pointer file"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return "binary data of an unknown format"
    if all(ch.isprintable() or ch in "\r\n\t" for ch in text):
        return "a text file"
    return "binary data of an unknown format"


def describe(path: str) -> str:
    """``'<kind>, <size> bytes, starting with <repr>'`` for an error message."""
    size = os.path.getsize(path)
    if size == 0:
        return "an empty file (0 bytes)"
    head = _head(path)
    return f"{_kind(head)}, {size} bytes, starting with {head[:24]!r}"


def not_a_checkpoint(path: str) -> str | None:
    """None for a file torch.save could have written, else what the file is."""
    if os.path.getsize(path) == 0:
        return describe(path)
    return None if _looks_like_checkpoint(_head(path)) else describe(path)


def is_complete(path: str) -> str | None:
    """None when ``path`` is a whole checkpoint, else why it is not.

    A zip checkpoint must have its central directory and pass the CRC check of
    every member; a legacy one must hold its five leading pickles intact
    (the storage bytes after them are checked when it is loaded).
    """
    reason = not_a_checkpoint(path)
    if reason is not None:
        return f"it is not a checkpoint: {reason}"
    if _head(path).startswith(_ZIP_MAGIC):
        try:
            with zipfile.ZipFile(path) as archive:
                bad = archive.testzip()
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            return f"its zip archive is incomplete or damaged ({exc})"
        return None if bad is None else f"its member {bad} is damaged (CRC mismatch)"
    try:
        with open(path, "rb") as fh:
            expected = _legacy_storage_bytes(fh)
            tail = os.path.getsize(path) - fh.tell()
    except (ValueError, EOFError, IndexError) as exc:
        return f"its legacy-format pickle is cut short or damaged ({exc})"
    if expected is not None and tail < expected:
        return (
            f"it is cut short: its tensors need {expected} bytes after the pickles, "
            f"the file has {tail}"
        )
    return None


def _itemsize(storage_class: str) -> int | None:
    module, _, name = storage_class.partition(" ")
    if module != "torch":
        return None
    if name == "UntypedStorage":
        return 1
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "TypedStorage is deprecated"
        dtype = getattr(getattr(torch, name, None), "dtype", None)
    return getattr(dtype, "itemsize", None)


def _legacy_storage_bytes(fh: Any) -> int | None:
    """Walk the five pickles of a legacy file; the bytes its storages need after them.

    Storages are the persistent ids ``('storage', 'torch FloatStorage', key,
    location, numel, ...)`` of the fourth pickle; the fifth lists the keys
    whose data follow, each as an 8-byte count and ``numel * itemsize`` bytes.
    None when a storage cannot be sized.
    """
    for _ in range(3):  # magic number, protocol version, sys info
        for _op in pickletools.genops(fh):
            pass
    sizes: dict[str, int | None] = {}
    memo: dict[int, object] = {}
    values: list[object] = []
    last: object = None
    for op, arg, _pos in pickletools.genops(fh):
        name = op.name
        if name in _STRING_OPS or name in _INT_OPS or name == "GLOBAL":
            last = arg
            values.append(arg)
        elif name in {"PUT", "BINPUT", "LONG_BINPUT"}:
            memo[int(arg)] = last  # type: ignore[arg-type]
        elif name == "MEMOIZE":
            memo[len(memo)] = last
        elif name in {"GET", "BINGET", "LONG_BINGET"}:
            last = memo.get(int(arg))  # type: ignore[arg-type]
            values.append(last)
        elif name in {"BINPERSID", "PERSID"}:
            if "storage" in values:
                start = len(values) - 1 - values[::-1].index("storage")
                record = values[start + 1 : start + 5]
                if len(record) == 4 and isinstance(record[3], int):
                    itemsize = _itemsize(str(record[0]))
                    sizes[str(record[1])] = None if itemsize is None else record[3] * itemsize
            values = []
        elif name != "MARK":
            last = None
    keys = [str(arg) for op, arg, _pos in pickletools.genops(fh) if op.name in _STRING_OPS]
    total = 0
    for key in keys:
        size = sizes.get(key)
        if size is None:
            return None
        total += 8 + size
    return total


def pickle_globals(path: str) -> list[str]:
    """``module.name`` of every global the pickles of a checkpoint ask for.

    A zip checkpoint's object pickle is its ``data.pkl`` record; a legacy file is
    a run of pickles followed by the storage bytes.
    """
    if zipfile.is_zipfile(path):
        found: list[str] = []
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                if name == "data.pkl" or name.endswith("/data.pkl"):
                    with archive.open(name) as stream:
                        found += _globals_of_pickles(stream)
        return list(dict.fromkeys(found))
    with open(path, "rb") as stream:  # read op by op: the storage bytes are never loaded
        found = _globals_of_pickles(stream)
    return list(dict.fromkeys(found))


def _globals_of_pickles(stream: Any) -> list[str]:
    found: list[str] = []
    for _ in range(5):  # the storage bytes after these are not pickles
        strings: list[str] = []
        memo: dict[int, object] = {}
        try:
            for op, arg, _pos in pickletools.genops(stream):
                name = op.name
                if name in _STRING_OPS:
                    strings.append(str(arg))
                elif name == "MEMOIZE":
                    memo[len(memo)] = strings[-1] if strings else None
                elif name in {"PUT", "BINPUT", "LONG_BINPUT"}:
                    memo[int(arg)] = strings[-1] if strings else None  # type: ignore[arg-type]
                elif name in {"GET", "BINGET", "LONG_BINGET"}:
                    value = memo.get(int(arg))  # type: ignore[arg-type]
                    if isinstance(value, str):
                        strings.append(value)
                elif name == "GLOBAL":
                    module, _, attr = str(arg).partition(" ")
                    found.append(f"{module}.{attr}")
                elif name == "STACK_GLOBAL" and len(strings) >= 2:
                    found.append(f"{strings[-2]}.{strings[-1]}")
        except (ValueError, EOFError, IndexError):
            break  # a damaged tail: report what was found before it
    return found
