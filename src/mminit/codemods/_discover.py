"""Which files ``mminit migrate`` reads, and what it skips and why.

Hidden directories are scanned (installed OpenMMLab packages keep configs and
tools under ``.mim/``); directories that are never project source are not:
version-control folders, virtual environments (any folder holding
``pyvenv.cfg``, and ``site-packages``), caches and ``node_modules``.  ``--exclude``
wins over everything.  The ``.py`` files under a skipped directory are counted
so the summary can say how many were skipped and why.

Only regular files are read.  Inside a directory, symlinks (to files or to
directories) are not followed: each is reported with where it points.  A
symlink given on the command line is followed, and the output names its target.
Temporary files left by an interrupted run (``.NAME.py.XXXXXXXX.mminit-tmp``)
are collected so the caller can remove or report them.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import PurePosixPath

__all__ = ["DEFAULT_MAX_BYTES", "Discovery", "discover", "is_stale_temporary", "skip_reason"]

#: Files larger than this are not parsed (``--max-file-size``; a full LibCST parse
#: needs about 300 times the file's size in memory).
DEFAULT_MAX_BYTES = 2 * 1024 * 1024

VCS_DIRS = frozenset({".git", ".hg", ".svn", ".bzr", "_darcs", ".jj", "CVS"})
CACHE_DIRS = frozenset(
    {
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".hypothesis",
        ".ipynb_checkpoints",
        ".cache",
        ".eggs",
        ".pytype",
        ".pyre",
    }
)
ENV_DIRS = frozenset({"site-packages", "dist-packages", ".tox", ".nox", ".venv", "venv"})
#: A folder holding one of these is a virtual environment (venv/virtualenv, conda), whatever its name.
ENV_MARKERS = ("pyvenv.cfg", "conda-meta")
_STALE = re.compile(r"\..+\.py\.[A-Za-z0-9_]{6,}\.mminit-tmp")

EXCLUDED = "excluded by --exclude"
VCS = "in version-control folders"
ENV = "in virtual environments or site-packages"
CACHE = "in cache folders"
NODE = "in node_modules"


def skip_reason(directory: str, name: str) -> str | None:
    """Why the directory ``name`` (inside ``directory``) is never project source, if it is not."""
    if name in VCS_DIRS:
        return VCS
    if name in CACHE_DIRS or os.path.exists(os.path.join(directory, name, "CACHEDIR.TAG")):
        return CACHE
    if name == "node_modules":
        return NODE
    if name in ENV_DIRS or any(
        os.path.exists(os.path.join(directory, name, marker)) for marker in ENV_MARKERS
    ):
        return ENV
    return None


def is_stale_temporary(name: str) -> bool:
    """Whether ``name`` is a temporary file that ``write_atomic`` creates and removes."""
    return _STALE.fullmatch(name) is not None


def _excluded(relative: PurePosixPath, patterns: Sequence[str]) -> bool:
    text = str(relative)
    return any(
        fnmatch(text, p) or any(fnmatch(part, p) for part in relative.parts) for p in patterns
    )


def _count_py(top: str) -> int:
    count = 0
    for _, _, files in os.walk(top):  # never follows symlinks
        count += sum(1 for name in files if name.endswith(".py"))
    return count


def _link_problem(path: str) -> str | None:
    """Why the symlink ``path`` cannot be followed (loop, dangling), or None."""
    try:
        os.stat(path)
    except OSError as exc:
        target = os.readlink(path)
        if exc.errno == errno.ELOOP:
            return f"symlink loop ({path} -> {target} -> ... never reaches a file)"
        return f"broken symlink to {target} ({exc.strerror})"
    return None


@dataclass
class Discovery:
    files: list[str] = field(default_factory=list)
    #: Paths given on the command line that cannot be migrated, with the reason.
    failed: list[tuple[str, str]] = field(default_factory=list)
    #: Single paths skipped, with the reason (symlinks, non-regular files).
    skipped: list[tuple[str, str]] = field(default_factory=list)
    #: ``.py`` files skipped per reason (folders, --exclude, the single paths above).
    skipped_counts: Counter[str] = field(default_factory=Counter)
    #: Things done that the user did not spell out (following a symlink argument).
    notices: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)

    def skip(self, path: str, reason: str, kind: str) -> None:
        self.skipped.append((path, reason))
        self.skipped_counts[kind] += 1


def _within(path: str, roots: Sequence[str]) -> bool:
    real = os.path.realpath(path)
    return any(real == r or real.startswith(r.rstrip(os.sep) + os.sep) for r in roots)


def _walk(
    root: str,
    exclude: Sequence[str],
    out: Discovery,
    add: Callable[[str], None],
    roots: Sequence[str],
) -> None:
    for directory, dirs, files in os.walk(root):
        rel_dir = PurePosixPath(os.path.relpath(directory, root).replace(os.sep, "/"))
        kept = []
        for name in sorted(dirs):
            path = os.path.join(directory, name)
            if _excluded(rel_dir / name, exclude):
                out.skipped_counts[EXCLUDED] += _count_py(path)
            elif os.path.islink(path):
                where = "inside" if _within(path, roots) else "outside"
                problem = _link_problem(path)
                out.skip(
                    path,
                    problem
                    or f"symlinked directory, not followed (it points to "
                    f"{os.path.realpath(path)}, {where} the given paths; pass that path "
                    "to migrate it)",
                    "symlinks, not followed",
                )
            else:
                reason = skip_reason(directory, name)
                if reason is None:
                    kept.append(name)
                else:
                    out.skipped_counts[reason] += _count_py(path)
        dirs[:] = kept
        for name in sorted(files):
            path = os.path.join(directory, name)
            if is_stale_temporary(name):
                out.stale.append(path)
                continue
            if not name.endswith(".py"):
                continue
            if _excluded(rel_dir / name, exclude):
                out.skipped_counts[EXCLUDED] += 1
                continue
            try:
                mode = os.lstat(path).st_mode
            except OSError:
                continue  # vanished while walking
            if stat.S_ISLNK(mode):
                where = "inside" if _within(path, roots) else "outside"
                problem = _link_problem(path)
                out.skip(
                    path,
                    problem
                    or f"symlink to {os.path.realpath(path)} ({where} the "
                    "given paths), not followed: its target is migrated where it lives",
                    "symlinks, not followed",
                )
            elif not stat.S_ISREG(mode):
                out.skip(
                    path,
                    "not a regular file (a FIFO, device or socket); not read",
                    "not regular files",
                )
            else:
                add(path)


def discover(paths: Sequence[str], exclude: Sequence[str]) -> Discovery:
    """Python files under ``paths`` (sorted, de-duplicated), and everything skipped."""
    out = Discovery()
    found: dict[str, str] = {}
    roots = [os.path.realpath(p) for p in paths if os.path.exists(p)]

    def add(path: str) -> None:
        found.setdefault(os.path.realpath(path), path)

    for root in paths:
        try:
            st = os.lstat(root)
        except OSError:
            out.failed.append((root, "no such file or directory"))
            continue
        if stat.S_ISLNK(st.st_mode):
            problem = _link_problem(root)
            if problem is not None:
                out.failed.append((root, problem))
                continue
            target = os.path.realpath(root)
            out.notices.append(
                f"{root} is a symlink: following it to {target}"
                + (
                    " (files there are written)"
                    if os.path.isdir(root)
                    else " (that file is written)"
                )
            )
            st = os.stat(root)
        if stat.S_ISDIR(st.st_mode):
            _walk(root, exclude, out, add, roots)
        elif _excluded(PurePosixPath(root.replace(os.sep, "/")), exclude):
            out.skipped_counts[EXCLUDED] += 1
        elif stat.S_ISREG(st.st_mode):
            add(root)
        else:
            out.failed.append((root, "not a regular file (a FIFO, device or socket); not read"))
    out.files = sorted(found.values())
    return out
