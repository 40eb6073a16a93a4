"""Exception types shared by both flavours."""

from __future__ import annotations

__all__ = ["InvalidInitArg", "InitInfoError"]


class InvalidInitArg(ValueError, AssertionError):
    """An initializer argument outside its allowed values.

    Upstream checks these with ``assert``; this subclass of both
    ``AssertionError`` (upstream's type) and ``ValueError`` is raised
    explicitly, so the check survives ``python -O``.
    """


class InitInfoError(AssertionError):
    """``_params_init_info`` bookkeeping found a state upstream asserts against."""
