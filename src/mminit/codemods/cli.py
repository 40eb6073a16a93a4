"""``mminit migrate``: move a repository's init-system imports onto mminit.

Exit status: 0 on success; 1 with ``--check`` when a file would change or
something is left to migrate that cannot be rewritten safely (e.g. a star
import); 2 when something could not be processed (each is listed with the
reason: a file, an unwritable ``--report``, an internal error, the codemods
extra not installed); 130 when interrupted; 141 when the reader of the output
went away (``--diff | head``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING, TextIO

# Only the standard library at import time: ``mminit migrate --help`` must not wait
# for LibCST (about 0.3 s); the modules that need it are imported once the run starts.
from ._discover import DEFAULT_MAX_BYTES, Discovery, discover

if TYPE_CHECKING:
    from ._files import FileResult

__all__ = ["DESCRIPTION", "add_arguments", "discover", "main", "run"]

_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([KMG]?)(?:i?B)?", re.IGNORECASE)
EXIT_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a tool whose reader went away


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--jobs must be a positive integer, got {text!r}")
    if value < 1:
        raise argparse.ArgumentTypeError(f"--jobs must be a positive integer, got {value}")
    return value


def _size(text: str) -> int:
    match = _SIZE.fullmatch(text.strip())
    if match is None or float(match.group(1)) <= 0:
        raise argparse.ArgumentTypeError(
            f"--max-file-size must be a positive size such as 2M, 500K or 3000000, got {text!r}")
    factor = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30}[match.group(2).upper()]
    return int(float(match.group(1)) * factor)


DESCRIPTION = "Rewrite imports and uses of mmcv 1.x / mmengine weight init onto mminit."


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mminit migrate", description=DESCRIPTION)
    add_arguments(parser)
    return parser


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``mminit migrate``'s arguments (the ``mminit`` command table adds them to its parser)."""
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or directories")
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if any file would change or anything is "
                        "left to migrate that cannot be rewritten safely")
    parser.add_argument("--diff", action="store_true",
                        help="print unified diffs instead of writing files")
    parser.add_argument("--bricks", action="store_true",
                        help="also move the layer bricks (ConvModule, build_*_layer and their "
                        "registries) to mminit; off by default")
    parser.add_argument("--mmcv", type=int, choices=(1, 2), default=1,
                        help="the mmcv major version the code runs on: names from mmcv.* move "
                        "to mminit.mmcv1 (1, default) or to mminit (2: mmcv 2.x with mmengine)")
    parser.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                        help="skip paths matching GLOB (relative path, file or directory "
                        "name); repeatable; wins over everything")
    parser.add_argument("--jobs", "-j", type=_jobs, default=os.cpu_count() or 1, metavar="N",
                        help="worker processes (default: number of CPUs)")
    parser.add_argument("--max-file-size", type=_size, default=DEFAULT_MAX_BYTES, metavar="SIZE",
                        help="refuse to parse files larger than SIZE (e.g. 2M, 500K; default: "
                        "2M); larger files are only scanned for a mention of mmcv/mmengine")
    parser.add_argument("--report", metavar="FILE.json",
                        help="write a JSON report of every change, note, skip and failure")
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help="show a progress bar (default: when stderr is a terminal)")
    parser.add_argument("--quiet", "-q", action="store_true",
                        help="print only the summary and failures")


# -- workers --------------------------------------------------------------------------
def _stop_worker(*_: object) -> None:
    """Leave no temporary file behind and end this worker now."""
    from ._files import pending_temporary

    tmp = pending_temporary()
    if tmp is not None:
        try:
            os.unlink(tmp)
        except OSError:
            pass
    os._exit(1)


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.2)
    _stop_worker()


def _worker_init(parent: int) -> None:
    """Make a pool worker end when the main process dies, even by ``kill -9``.

    On Linux the kernel sends SIGTERM at the parent's death (``PR_SET_PDEATHSIG``);
    everywhere a daemon thread also watches the parent's pid.
    """
    signal.signal(signal.SIGTERM, _stop_worker)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, int(signal.SIGTERM), 0, 0, 0)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before the line above
        _stop_worker()
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _work(task: tuple[str, bool, bool, bool, int, int]) -> FileResult:
    from ._files import migrate_file

    return migrate_file(*task)


def _run(files: list[str], args: argparse.Namespace, write: bool,
         progress: bool) -> Iterator[FileResult]:
    from tqdm import tqdm

    tasks = [(path, write, args.diff, args.bricks, args.max_file_size, args.mmcv)
             for path in files]
    with tqdm(total=len(tasks), file=sys.stderr, disable=not progress, unit="file",
              desc="mminit migrate") as bar:
        if args.jobs == 1 or len(tasks) < 2:
            for task in tasks:
                yield _work(task)
                bar.update()
            return
        chunk = max(1, min(64, len(tasks) // (args.jobs * 8)))
        pool = ProcessPoolExecutor(max_workers=args.jobs, initializer=_worker_init,
                                   initargs=(os.getpid(),))
        try:
            for result in pool.map(_work, tasks, chunksize=chunk):
                yield result
                bar.update()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


# -- the report file ------------------------------------------------------------------
def _report_problem(path: str) -> str | None:
    """Why ``path`` cannot take the report, checked before any file is touched."""
    if os.path.isdir(path):
        return "is a directory"
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        return f"its directory {directory} does not exist"
    if not os.access(directory, os.W_OK | os.X_OK):
        return f"its directory {directory} is not writable"
    if os.path.exists(path) and not os.access(path, os.W_OK):
        return "the file exists and is not writable"
    return None


def _write_report(path: str, report: dict[str, object]) -> None:
    """Write the report through a temporary file: a full disk leaves no partial report."""
    directory, name = os.path.split(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(report, handle, indent=2)
            handle.write("\n")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


# -- output ---------------------------------------------------------------------------
def _stale_temporaries(found: Discovery, write: bool, err: TextIO) -> list[dict[str, str]]:
    out = []
    for path in found.stale:
        if write:
            try:
                os.unlink(path)
                action = "removed"
            except OSError as exc:
                action = f"could not be removed: {exc.strerror or exc}"
        else:
            action = "left (run without --check/--diff to remove it)"
        print(f"{path}: stale temporary file from an interrupted mminit migrate run: {action}",
              file=err)
        out.append({"path": path, "action": action})
    return out


def _print_result(result: FileResult, mode: str, quiet: bool, err: TextIO) -> None:
    from ._report import plural

    if result.diff:
        sys.stdout.write(result.diff)
        sys.stdout.flush()
    if result.status == "failed":
        print(f"{result.path}: error: {result.error}", file=err)
    for warning in result.warnings:
        print(f"{result.path}: warning: {warning}", file=err)
    if quiet:
        return
    if result.status == "changed":
        verb = "rewrote" if mode == "write" else "would rewrite"
        print(f"{verb} {result.path} ({plural(len(result.moves), 'name')} moved)", file=err)
    for note in result.notes:
        print(f"{result.path}:{note.line}: left alone: {note.detail}", file=err)


def _migrate(args: argparse.Namespace) -> int:
    from ._files import FileResult
    from ._report import build_report, summary_lines, unresolved

    mode = "check" if args.check else "diff" if args.diff else "write"
    if args.report:
        problem = _report_problem(args.report)
        if problem is not None:
            print(f"mminit migrate: error: cannot write --report {args.report}: {problem}; "
                  "nothing was changed", file=sys.stderr)
            return 2
    err = sys.stderr
    found = discover(args.paths, args.exclude)
    progress = args.progress if args.progress is not None else err.isatty()
    for notice in found.notices:
        print(f"note: {notice}", file=err)
    stale = _stale_temporaries(found, mode == "write", err)
    results: list[FileResult] = []
    for path, reason in found.failed:
        results.append(FileResult(path, "failed", error=reason))
        print(f"{path}: error: {reason}", file=err)
    if not args.quiet:
        for path, reason in found.skipped:
            print(f"{path}: skipped: {reason}", file=err)
    for result in _run(found.files, args, mode == "write", progress):
        results.append(result)
        _print_result(result, mode, args.quiet, err)
    for line in summary_lines(results, mode, found.skipped_counts):
        print(line, file=err)
    if args.report:
        report = build_report(results, mode, found, stale)
        try:
            _write_report(args.report, report)
        except OSError as exc:
            print(f"mminit migrate: error: cannot write --report {args.report}: "
                  f"{exc.strerror or exc}", file=err)
            return 2
    if any(r.status == "failed" for r in results):
        return 2
    if args.check and (any(r.status == "changed" for r in results) or unresolved(results)):
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``mminit migrate`` (``argv`` excludes the ``migrate`` word)."""
    return run(_parser().parse_args(argv))


def run(args: argparse.Namespace) -> int:
    """``mminit migrate`` with parsed arguments; returns the exit status."""
    try:  # the codemods extra, looked for once the arguments are known: --help stays fast
        import libcst  # noqa: F401
        import tqdm  # noqa: F401
    except ImportError as exc:
        print(f"mminit migrate needs the codemods extra: pip install 'mminit[codemods]' ({exc})",
              file=sys.stderr)
        return 2
    try:
        return _migrate(args)
    except BrokenPipeError:
        # The reader went away (``--diff | head``): stop quietly, as other Unix tools do.
        try:  # no second BrokenPipeError when the interpreter flushes stdout at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return EXIT_PIPE
    except KeyboardInterrupt:
        print("mminit migrate: interrupted; files already rewritten stay rewritten, the "
              "others are unchanged", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - an error report, not a traceback
        print(f"mminit migrate: internal error: {type(exc).__name__}: {exc} (please report "
              "it with the command line)", file=sys.stderr)
        return 2
