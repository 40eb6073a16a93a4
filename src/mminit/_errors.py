"""Exception types shared by both flavours."""

from __future__ import annotations

from typing import Any

__all__ = ["InitInfoError", "InvalidInitArg", "check_known"]


class InvalidInitArg(ValueError, AssertionError):
    """An initializer argument outside its allowed values.

    Upstream checks these with ``assert``; this subclass of both
    ``AssertionError`` (upstream's type) and ``ValueError`` is raised
    explicitly, so the check survives ``python -O``.
    """


class InitInfoError(AssertionError):
    """``_params_init_info`` bookkeeping found a state upstream asserts against."""


def check_known(name: str, param: Any, module: Any, table: Any) -> None:
    """Raise if ``param`` appeared after ``init_weights`` built its table (upstream asserts)."""
    if param not in table:
        raise InitInfoError(
            f"Found a new Parameter named `{name}` while running `init_weights` of "
            f"`{module.__class__.__name__}`; parameters must not be added or replaced "
            "during `init_weights`."
        )
