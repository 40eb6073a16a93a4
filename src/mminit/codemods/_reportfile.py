"""Where ``mminit migrate --report PATH`` may write, and how it writes there.

A report goes only to a regular file or a new path.  A directory, a device, a
FIFO or a socket is refused before any work (and checked again just before the
write); a symlink is written through: its target is replaced, the link kept.
An existing report keeps its mode, owner and group (owner and group where
permitted); a new one gets the mode any new file gets (``0666`` less the umask).
The bytes go to a temporary file next to the target first, so a full disk
leaves the previous report whole and no partial one.

Only the standard library: ``mminit migrate --help`` stays fast.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from typing import Any

__all__ = ["ReportRefused", "report_problem", "write_report"]

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
)
_ONLY = "a report is written only to a regular file or a new path"


class ReportRefused(OSError):
    """``--report`` names something a report must not replace."""


def _kind(mode: int) -> str | None:
    """What a non-regular file is, or ``None`` for a regular file."""
    for test, name in _KINDS:
        if test(mode):
            return name
    return None if stat.S_ISREG(mode) else "not a regular file"


def report_problem(path: str) -> str | None:
    """Why the report cannot be written at ``path``, or ``None``; writes nothing."""
    try:
        link = os.lstat(path)
    except FileNotFoundError:
        link = None
    except OSError as exc:
        return f"cannot look at it ({exc.strerror or exc})"
    target = path
    if link is not None and stat.S_ISLNK(link.st_mode):
        target = os.path.realpath(path)
        try:
            st: os.stat_result | None = os.stat(path)
        except FileNotFoundError:  # a dangling link: its target is created
            st = None
        except OSError as exc:
            return f"it is a symlink that cannot be followed ({exc.strerror or exc})"
        kind = None if st is None else _kind(st.st_mode)
        if kind is not None:
            return f"it is a symlink to {kind} ({target}); {_ONLY}"
    else:
        st = link
        kind = None if st is None else _kind(st.st_mode)
        if kind is not None:
            return f"it is {kind}; {_ONLY}"
    directory = os.path.dirname(os.path.abspath(target))
    if not os.path.isdir(directory):
        return f"its directory {directory} does not exist"
    if not os.access(directory, os.W_OK | os.X_OK):
        return f"its directory {directory} is not writable"
    if st is not None and not os.access(target, os.W_OK):
        return "the file exists and is not writable"
    return None


def _new_file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _keep_owner(fd: int, st: os.stat_result) -> None:
    if (st.st_uid, st.st_gid) == (os.geteuid(), os.getegid()) or not hasattr(os, "fchown"):
        return
    try:
        os.fchown(fd, st.st_uid, st.st_gid)
    except PermissionError:
        try:
            os.fchown(fd, -1, st.st_gid)
        except PermissionError:
            pass


def write_report(path: str, report: dict[str, Any]) -> None:
    """Write ``report`` as JSON at ``path`` (through a symlink to its target).

    Raises :class:`ReportRefused` when ``path`` became something a report must not
    replace since it was checked, and :class:`OSError` when the write fails (the
    previous report, if any, is then left whole).
    """
    problem = report_problem(path)
    if problem is not None:
        raise ReportRefused(problem)
    target = os.path.realpath(path)
    try:
        st: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        st = None
    directory, name = os.path.split(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(report, handle, indent=2)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
            if st is not None:
                _keep_owner(handle.fileno(), st)  # before chmod: chown may clear set-id bits
            os.fchmod(handle.fileno(), stat.S_IMODE(st.st_mode) if st else _new_file_mode())
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
