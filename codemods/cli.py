"""``mminit migrate``: move a repository's init-system imports onto mminit.

Exit status: 0 on success, 1 with ``--check`` when a file would change, 2 when
any file could not be processed (each is listed with the reason).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from fnmatch import fnmatch
from pathlib import PurePosixPath

from mminit_codemods._files import FileResult, migrate_file
from mminit_codemods._report import build_report, summary_lines, write_report

__all__ = ["discover", "main"]

_SKIPPED_DIRS = frozenset({"__pycache__", "node_modules"})


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--jobs must be a positive integer, got {text!r}")
    if value < 1:
        raise argparse.ArgumentTypeError(f"--jobs must be a positive integer, got {value}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mminit migrate",
        description="Rewrite imports and uses of mmcv 1.x / mmengine weight init onto mminit.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or directories")
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if any file would change")
    parser.add_argument("--diff", action="store_true",
                        help="print unified diffs instead of writing files")
    parser.add_argument("--bricks", action="store_true",
                        help="also move the layer bricks (ConvModule, build_*_layer and their "
                        "registries) to mminit; off by default")
    parser.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                        help="skip paths matching GLOB (relative path, file or directory "
                        "name); repeatable")
    parser.add_argument("--jobs", "-j", type=_jobs, default=os.cpu_count() or 1, metavar="N",
                        help="worker processes (default: number of CPUs)")
    parser.add_argument("--report", metavar="FILE.json",
                        help="write a JSON report of every change, note and failure")
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help="show a progress bar (default: when stderr is a terminal)")
    parser.add_argument("--quiet", "-q", action="store_true",
                        help="print only the summary and failures")
    return parser


def _excluded(relative: PurePosixPath, patterns: Sequence[str]) -> bool:
    text = str(relative)
    return any(
        fnmatch(text, p) or any(fnmatch(part, p) for part in relative.parts) for p in patterns
    )


def discover(paths: Sequence[str], exclude: Sequence[str]) -> tuple[list[str], list[str]]:
    """Python files under ``paths`` (sorted, de-duplicated) and the paths that do not exist."""
    found: dict[str, str] = {}
    missing: list[str] = []

    def add(path: str) -> None:
        found.setdefault(os.path.realpath(path), path)

    for root in paths:
        if os.path.isfile(root):
            if not _excluded(PurePosixPath(root.replace(os.sep, "/")), exclude):
                add(root)
            continue
        if not os.path.isdir(root):
            missing.append(root)
            continue
        for directory, dirs, files in os.walk(root):
            rel_dir = PurePosixPath(os.path.relpath(directory, root).replace(os.sep, "/"))
            dirs[:] = sorted(
                d for d in dirs
                if not d.startswith(".") and d not in _SKIPPED_DIRS
                and not _excluded(rel_dir / d, exclude)
            )
            for name in sorted(files):
                path = os.path.join(directory, name)
                # Symlinked files are skipped inside directories: they may point anywhere.
                if name.endswith(".py") and not os.path.islink(path) \
                        and not _excluded(rel_dir / name, exclude):
                    add(path)
    return sorted(found.values()), missing


def _work(task: tuple[str, bool, bool, bool]) -> FileResult:
    return migrate_file(*task)


def _run(files: list[str], write: bool, diff: bool, bricks: bool, jobs: int,
         progress: bool) -> Iterator[FileResult]:
    from tqdm import tqdm

    tasks = [(path, write, diff, bricks) for path in files]
    with tqdm(total=len(tasks), file=sys.stderr, disable=not progress, unit="file",
              desc="mminit migrate") as bar:
        if jobs == 1 or len(tasks) < 2:
            for task in tasks:
                yield _work(task)
                bar.update()
            return
        chunk = max(1, min(64, len(tasks) // (jobs * 8)))
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for result in pool.map(_work, tasks, chunksize=chunk):
                yield result
                bar.update()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``mminit migrate`` (``argv`` excludes the ``migrate`` word)."""
    args = _parser().parse_args(argv)
    mode = "check" if args.check else "diff" if args.diff else "write"
    files, missing = discover(args.paths, args.exclude)
    progress = args.progress if args.progress is not None else sys.stderr.isatty()
    err = sys.stderr
    results: list[FileResult] = []
    for path in missing:
        results.append(FileResult(path, "failed", error="no such file or directory"))
        print(f"{path}: error: no such file or directory", file=err)
    for result in _run(files, mode == "write", args.diff, args.bricks, args.jobs, progress):
        results.append(result)
        if result.diff:
            sys.stdout.write(result.diff)
        if result.status == "failed":
            print(f"{result.path}: error: {result.error}", file=err)
        elif not args.quiet:
            if result.status == "changed":
                verb = "rewrote" if mode == "write" else "would rewrite"
                print(f"{verb} {result.path} ({len(result.moves)} names moved)", file=err)
            for note in result.notes:
                print(f"{result.path}:{note.line}: left alone: {note.detail}", file=err)
    for line in summary_lines(results, mode):
        print(line, file=err)
    if args.report:
        write_report(args.report, build_report(results, mode))
    if any(r.status == "failed" for r in results):
        return 2
    if args.check and any(r.status == "changed" for r in results):
        return 1
    return 0
