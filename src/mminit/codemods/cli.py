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
import os
import re
import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, TextIO

# Only the standard library at import time: ``mminit migrate --help`` must not wait
# for LibCST (about 0.3 s); the modules that need it are imported once the run starts.
from ._discover import DEFAULT_MAX_BYTES, Discovery, discover
from ._reportfile import report_problem, write_report
from ._workers import CPU_FACTOR, MAX_JOBS, effective_jobs, run_in_workers

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
    if value > MAX_JOBS:
        raise argparse.ArgumentTypeError(
            f"--jobs must be at most {MAX_JOBS}, got {value} (the run uses at most "
            f"{CPU_FACTOR} workers per CPU and one per file anyway)"
        )
    return value


def _size(text: str) -> int:
    match = _SIZE.fullmatch(text.strip())
    if match is None or float(match.group(1)) <= 0:
        raise argparse.ArgumentTypeError(
            f"--max-file-size must be a positive size such as 2M, 500K or 3000000, got {text!r}"
        )
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
    parser.add_argument(
        "--check",
        action="store_true",
        help="change nothing; exit 1 if any file would change or anything is "
        "left to migrate that cannot be rewritten safely",
    )
    parser.add_argument(
        "--diff", action="store_true", help="print unified diffs instead of writing files"
    )
    parser.add_argument(
        "--bricks",
        action="store_true",
        help="also move the layer bricks (ConvModule, build_*_layer and their "
        "registries) to mminit; off by default",
    )
    parser.add_argument(
        "--mmcv",
        type=int,
        choices=(1, 2),
        default=1,
        help="the mmcv major version the code runs on: names from mmcv.* move "
        "to mminit.mmcv1 (1, default) or to mminit (2: mmcv 2.x with mmengine)",
    )
    parser.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help="skip paths matching GLOB (relative path, file or directory "
        "name); repeatable; wins over everything",
    )
    parser.add_argument(
        "--jobs",
        "-j",
        type=_jobs,
        default=os.cpu_count() or 1,
        metavar="N",
        help="worker processes (default: number of CPUs; at most one per file and "
        f"{CPU_FACTOR} per CPU; 1 to {MAX_JOBS})",
    )
    parser.add_argument(
        "--max-file-size",
        type=_size,
        default=DEFAULT_MAX_BYTES,
        metavar="SIZE",
        help="refuse to parse files larger than SIZE (e.g. 2M, 500K; default: "
        "2M); larger files are only scanned for a mention of mmcv/mmengine",
    )
    parser.add_argument(
        "--report",
        metavar="FILE.json",
        help="write a JSON report of every change, note, skip and failure",
    )
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show a progress bar (default: when stderr is a terminal)",
    )
    parser.add_argument(
        "--quiet", "-q", action="store_true", help="print only the summary and failures"
    )


# -- workers --------------------------------------------------------------------------
def _work(task: tuple[str, bool, bool, bool, int, int]) -> FileResult:
    from ._files import migrate_file

    return migrate_file(*task)


def _failed(task: tuple[str, bool, bool, bool, int, int], reason: str) -> FileResult:
    from ._files import FileResult

    return FileResult(task[0], "failed", error=reason)


def _run(
    files: list[str], args: argparse.Namespace, write: bool, progress: bool
) -> Iterator[FileResult]:
    """Migrate ``files`` in worker processes (see ``_workers``), in order."""
    from tqdm import tqdm

    tasks = [(path, write, args.diff, args.bricks, args.max_file_size, args.mmcv) for path in files]
    jobs, note = effective_jobs(args.jobs, len(tasks))
    if note is not None and not args.quiet:
        print(f"note: {note}", file=sys.stderr)
    with tqdm(
        total=len(tasks), file=sys.stderr, disable=not progress, unit="file", desc="mminit migrate"
    ) as bar:
        for result in run_in_workers(tasks, jobs, _work, _failed):
            yield result
            bar.update()


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
        print(
            f"{path}: stale temporary file from an interrupted mminit migrate run: {action}",
            file=err,
        )
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
        problem = report_problem(args.report)
        if problem is not None:
            print(
                f"mminit migrate: error: cannot write --report {args.report}: {problem}; "
                "nothing was changed",
                file=sys.stderr,
            )
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
            write_report(args.report, report)
        except OSError as exc:
            print(
                f"mminit migrate: error: cannot write --report {args.report}: "
                f"{exc.strerror or exc}",
                file=err,
            )
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
        print(
            f"mminit migrate needs the codemods extra: pip install 'mminit[codemods]' ({exc})",
            file=sys.stderr,
        )
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
        print(
            "mminit migrate: interrupted; files already rewritten stay rewritten, the "
            "others are unchanged",
            file=sys.stderr,
        )
        return 130
    except Exception as exc:  # noqa: BLE001 - an error report, not a traceback
        print(
            f"mminit migrate: internal error: {type(exc).__name__}: {exc} (please report "
            "it with the command line)",
            file=sys.stderr,
        )
        return 2
