"""Keeping one :func:`mminit.explain` run quiet without breaking the process's output.

The copy's init run would log (the init-info dump, ``initialize ... with
init_cfg`` lines, checkpoint messages), print (upstream's ``print_log`` with
``logger=None``, a user's ``print``) and warn.  :func:`quiet_run` silences what
*the explaining thread* emits, and nothing else:

* log records: a :class:`logging.Filter` keyed on the thread, added to every
  logger that exists when the run starts (the stdlib's, mmengine's ``MMLogger``
  instances, which live outside the logging manager) and to their handlers (so
  records of loggers created during the run are caught where they propagate
  to, ``logging.lastResort`` included), removed again on every exit path.  ``logging.Logger`` is not patched.
* stdout: ``sys.stdout`` is a forwarding sink for the run that drops the
  explaining thread's writes and passes every other thread's through; it is
  put back when the run ends, and a stream that kept a reference to it (a
  handler made during the run) goes on forwarding to the real stdout.
* warnings: ``warnings.catch_warnings``, which is process-wide state.

Runs hold one re-entrant lock, so two threads' runs never interleave their
swaps (each restores exactly what it replaced) and a nested run (an
``explain`` inside a model's ``init_weights``) nests.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["quiet_run"]

_LOCK = threading.RLock()


class _ThisThread(logging.Filter):
    """Rejects the records emitted by one thread."""

    def __init__(self, thread: int) -> None:
        super().__init__()
        self.thread = thread

    def filter(self, record: logging.LogRecord) -> bool:
        return threading.get_ident() != self.thread


class _Sink:
    """``sys.stdout`` during a run: drops one thread's writes while active, forwards the rest."""

    def __init__(self, target: Any, thread: int) -> None:
        self._target = target
        self._thread = thread
        self.active = True

    def _dropped(self) -> bool:
        return self.active and threading.get_ident() == self._thread

    def write(self, text: str) -> int:
        if self._dropped():
            return len(text)
        return self._target.write(text)  # type: ignore[no-any-return]

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if not self._dropped():
            self._target.flush()

    def __getattr__(self, name: str) -> Any:  # encoding, fileno, isatty ...: the real stream's
        return getattr(self._target, name)


def _loggers() -> list[logging.Logger]:
    found: dict[int, logging.Logger] = {id(logging.root): logging.root}
    for logger in list(logging.Logger.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger):
            found.setdefault(id(logger), logger)
    mm_logger = getattr(sys.modules.get("mmengine.logging.logger"), "MMLogger", None)
    for logger in list(getattr(mm_logger, "_instance_dict", {}).values()):
        if isinstance(logger, logging.Logger):
            found.setdefault(id(logger), logger)
    return list(found.values())


@contextlib.contextmanager
def _quiet_logs(thread: int) -> Iterator[None]:
    flt = _ThisThread(thread)
    filtered: list[logging.Filterer] = []
    try:
        for logger in _loggers():
            logger.addFilter(flt)
            filtered.append(logger)
            for handler in list(logger.handlers):
                handler.addFilter(flt)
                filtered.append(handler)
        if (
            logging.lastResort is not None
        ):  # records of a logger made in the run, no handler on the way
            logging.lastResort.addFilter(flt)
            filtered.append(logging.lastResort)
        yield
    finally:
        for item in filtered:
            item.removeFilter(flt)


@contextlib.contextmanager
def _quiet_stdout(thread: int) -> Iterator[None]:
    sink = _Sink(sys.stdout, thread)
    sys.stdout = sink
    try:
        yield
    finally:
        sink.active = False  # anything still holding it now reaches the real stdout
        if sys.stdout is sink:
            sys.stdout = sink._target


@contextlib.contextmanager
def quiet_run(prepare: Callable[[], None] | None = None) -> Iterator[None]:
    """Inside the block, what this thread logs, prints and warns is dropped.

    ``prepare`` runs first, under the lock and before the loggers are listed:
    it creates the loggers the run would create (so that they are filtered too).
    """
    thread = threading.get_ident()
    with _LOCK:
        if prepare is not None:
            prepare()
        with warnings.catch_warnings(), _quiet_logs(thread), _quiet_stdout(thread):
            warnings.simplefilter("ignore")
            yield
