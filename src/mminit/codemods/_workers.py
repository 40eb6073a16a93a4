"""Worker processes for ``mminit migrate``: one file at a time, replaced when they die.

Every file is migrated in a worker process, ``--jobs 1`` included: LibCST's native
parser can overflow its stack on hostile input (thousands of nested brackets) and
take the whole process down with SIGSEGV.  Each worker receives one task at a
time, so when a worker dies, for any reason, the file it was working on is known:
it is reported as failed, with the signal or exit status, and a fresh worker
takes over the remaining files.

Workers also end with the main process, even when it is killed with ``kill -9``
(``PR_SET_PDEATHSIG`` on Linux, and a thread watching the parent's pid
everywhere), and remove the temporary file they were writing, if any.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext
from typing import Any

__all__ = [
    "CPU_FACTOR",
    "MAX_JOBS",
    "cpu_count",
    "death_reason",
    "effective_jobs",
    "run_in_workers",
]

#: ``--jobs`` above this is a usage error; below it, the number is capped (see
#: :func:`effective_jobs`).
MAX_JOBS = 1024
#: At most this many workers per CPU: migrating is CPU-bound, more only costs memory.
CPU_FACTOR = 4


def cpu_count() -> int:
    """The CPUs this process may run on (its affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except OSError:
            pass
    return os.cpu_count() or 1


def effective_jobs(requested: int, files: int) -> tuple[int, str | None]:
    """``min(requested, files, CPU_FACTOR x CPUs)``, and a note when the CPU cap lowered it."""
    cores = cpu_count()
    cap = CPU_FACTOR * cores
    jobs = max(1, min(requested, files, cap))
    note = None
    if requested > cap and files > cap:
        note = (
            f"--jobs {requested} lowered to {cap} ({CPU_FACTOR} per CPU, "
            f"{cores} CPU{'' if cores == 1 else 's'})"
        )
    return jobs, note


# -- in the worker ---------------------------------------------------------------------
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
    """Make a worker end when the main process dies, even by ``kill -9``."""
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


def _worker_main(conn: Connection, parent: int, work: Callable[[Any], Any]) -> None:
    _worker_init(parent)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        try:
            reply: tuple[bool, Any] = (True, work(task))
        except Exception as exc:  # noqa: BLE001 - reported for this file, the run goes on
            reply = (False, f"internal error: {type(exc).__name__}: {exc}")
        conn.send(reply)


# -- in the main process -----------------------------------------------------------------
def death_reason(exitcode: int | None) -> str:
    """Why a worker ended, for the failed file's message."""
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        if name in ("SIGSEGV", "SIGBUS", "SIGILL", "SIGABRT"):
            hint = "a crash in the parser, e.g. on code nested thousands of levels deep"
        elif name == "SIGKILL":
            hint = "killed from outside, e.g. by the out-of-memory killer"
        else:
            hint = "ended by a signal"
        return f"({name}): {hint}"
    return f"(exit status {exitcode})"


@dataclass
class _Worker:
    process: Any  # multiprocessing.Process of the chosen context
    conn: Connection
    task: int | None = None  # index of the task it is working on


def _context() -> BaseContext:
    # fork where there is one: workers start in milliseconds, with the modules loaded.
    if "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def run_in_workers(
    tasks: Sequence[Any],
    jobs: int,
    work: Callable[[Any], Any],
    failed: Callable[[Any, str], Any],
) -> Iterator[Any]:
    """Yield ``work(task)`` for every task, in order, computed in ``jobs`` worker processes.

    When a worker dies, its task yields ``failed(task, reason)`` and a new worker is
    started for the tasks left; an exception raised by ``work`` yields
    ``failed(task, "internal error: ...")``.  ``work`` must be a module-level function.
    """
    ctx = _context()
    parent = os.getpid()
    todo = deque(range(len(tasks)))
    done: dict[int, Any] = {}
    workers: list[_Worker] = []
    emitted = 0

    def start() -> _Worker:
        ours, theirs = ctx.Pipe()
        process = ctx.Process(  # type: ignore[attr-defined]
            target=_worker_main,
            args=(theirs, parent, work),
            daemon=True,
            name="mminit-migrate-worker",
        )
        process.start()
        theirs.close()  # only the worker holds its end: its death is an EOF here
        return _Worker(process, ours)

    def assign(worker: _Worker) -> bool:
        index = todo.popleft()
        try:
            worker.conn.send(tasks[index])
        except OSError:  # the worker died while idle: the task goes back, not blamed
            todo.appendleft(index)
            return False
        worker.task = index
        return True

    try:
        while emitted < len(tasks):
            for worker in [w for w in workers if w.task is None]:
                if todo and not assign(worker):
                    _reap(worker)
                    workers.remove(worker)
            while todo and len(workers) < jobs:
                worker = start()
                workers.append(worker)
                if not assign(worker):
                    _reap(worker)
                    workers.remove(worker)
            _collect(workers, tasks, done, failed)
            while emitted in done:
                yield done.pop(emitted)
                emitted += 1
    finally:
        _shut_down(workers)


def _collect(
    workers: list[_Worker],
    tasks: Sequence[Any],
    done: dict[int, Any],
    failed: Callable[[Any, str], Any],
) -> None:
    """Wait for a busy worker to answer or die; put its task's result in ``done``."""
    busy = [w for w in workers if w.task is not None]
    waitables: list[Any] = [w.conn for w in busy] + [w.process.sentinel for w in busy]
    ready = set(multiprocessing.connection.wait(waitables))
    for worker in busy:
        if worker.conn not in ready and worker.process.sentinel not in ready:
            continue
        index = worker.task
        assert index is not None
        try:
            if not worker.conn.poll():
                raise EOFError
            ok, payload = worker.conn.recv()
            done[index] = payload if ok else failed(tasks[index], payload)
            worker.task = None
        except (EOFError, OSError):
            _reap(worker)
            workers.remove(worker)
            done[index] = failed(
                tasks[index],
                "the worker process migrating this file "
                f"died {death_reason(worker.process.exitcode)}; "
                "not rewritten",
            )


def _shut_down(workers: list[_Worker]) -> None:
    for worker in workers:
        if worker.task is None:
            try:
                worker.conn.send(None)
            except OSError:
                pass
        else:  # interrupted: SIGTERM makes it remove its temporary file first
            worker.process.terminate()
    for worker in workers:
        _reap(worker)


def _reap(worker: _Worker) -> None:
    worker.process.join(timeout=10)
    if worker.process.is_alive():
        worker.process.kill()
        worker.process.join()
    worker.conn.close()
