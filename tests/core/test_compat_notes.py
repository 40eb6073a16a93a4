"""Exception notes on every supported Python: ``add_note`` on 3.11+; on 3.10 (no
``add_note``, and tracebacks print ``__notes__`` only with the ``exceptiongroup``
backport's formatting) ``__notes__``, and the message where nothing prints notes."""

from __future__ import annotations

import traceback
from types import SimpleNamespace

import pytest

from mminit import _compat

NOTE = "while initializing Net with init_cfg {'type': 'X'}"
TYPES = [ValueError, TypeError, KeyError, AssertionError, FileNotFoundError]


@pytest.mark.parametrize("exc_type", TYPES)
def test_the_note_is_kept_once_and_printed_once(exc_type: type[Exception]) -> None:
    exc = exc_type("bad value")
    _compat.add_note(exc, NOTE)
    _compat.add_note(exc, NOTE)
    assert type(exc) is exc_type and exc.__notes__ == [NOTE]
    assert "".join(traceback.format_exception(type(exc), exc, None)).count(NOTE) == 1


@pytest.mark.parametrize("exc_type", TYPES)
def test_where_nothing_prints_notes_the_message_carries_the_note(
    exc_type: type[Exception], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_compat, "sys", SimpleNamespace(version_info=(3, 10, 13)))
    monkeypatch.setattr(_compat, "_tracebacks_print_notes", lambda: False)
    exc = exc_type("bad value")
    _compat.add_note(exc, NOTE)
    _compat.add_note(exc, NOTE)
    assert type(exc) is exc_type and exc.__notes__ == [NOTE]
    sep = "; " if exc_type is KeyError else "\n"
    assert exc.args == (f"bad value{sep}{NOTE}",)
    structured = OSError(2, "No such file")
    _compat.add_note(structured, NOTE)
    assert structured.args == (2, "No such file") and structured.__notes__ == [NOTE]
