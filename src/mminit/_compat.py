"""What mminit uses that Python 3.10 lacks: exception notes (3.11's ``add_note``)."""

from __future__ import annotations

import sys
import traceback

__all__ = ["add_note"]


def _tracebacks_print_notes() -> bool:
    """Whether a printed traceback shows ``__notes__``: Python 3.11+, or 3.10 with the
    ``exceptiongroup`` backport's traceback formatting installed (pytest imports it)."""
    if sys.version_info >= (3, 11):
        return True
    formatter = traceback.TracebackException.format_exception_only
    return getattr(formatter, "__module__", "traceback") != "traceback"


def add_note(exc: BaseException, note: str) -> None:
    """Add ``note`` to ``exc`` once; its type stays what it was (upstream's).

    On Python 3.11+ this is ``exc.add_note(note)``: tracebacks print the note
    below the message.  Python 3.10 has no ``add_note``: the note goes into
    ``__notes__`` (where pytest, the ``exceptiongroup`` backport and 3.11+ code
    read it) and, unless tracebacks print ``__notes__`` (the backport's
    formatting), onto the end of a single-string message, so the traceback and
    ``str(exc)`` show it.
    """
    if note in getattr(exc, "__notes__", ()):
        return
    if sys.version_info >= (3, 11):
        exc.add_note(note)
        return
    notes = getattr(exc, "__notes__", None)
    if not isinstance(notes, list):
        notes = []
        exc.__notes__ = notes  # type: ignore[attr-defined]
    notes.append(note)
    if not _tracebacks_print_notes() and len(exc.args) == 1 and isinstance(exc.args[0], str):
        # a KeyError prints its message with repr(): a newline would show as "\n"
        exc.args = (exc.args[0] + ("; " if isinstance(exc, KeyError) else "\n") + note,)
