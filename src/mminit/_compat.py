"""What mminit uses that Python 3.10 lacks: exception notes (3.11's ``add_note``)."""

from __future__ import annotations

import sys

__all__ = ["add_note"]


def add_note(exc: BaseException, note: str) -> None:
    """Add ``note`` to ``exc`` once; its type stays what it was (upstream's).

    On Python 3.11+ this is ``exc.add_note(note)``: tracebacks print the note
    below the message.  Python 3.10 neither has ``add_note`` nor prints
    ``__notes__``, so there the note goes into ``__notes__`` (where pytest, the
    ``exceptiongroup`` backport and 3.11+ code read it) and, where the message is
    a single string, onto the end of the message, so the traceback and
    ``str(exc)`` show it too.
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
    if len(exc.args) == 1 and isinstance(exc.args[0], str):
        # a KeyError prints its message with repr(): a newline would show as "\n"
        exc.args = (exc.args[0] + ("; " if isinstance(exc, KeyError) else "\n") + note,)
