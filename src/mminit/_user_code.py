"""What the compat engine needs to know about code it does not control."""

from __future__ import annotations

import ast
import contextlib
import functools
import inspect
import textwrap
from contextvars import ContextVar
from typing import Any, Iterator, Literal, Optional


__all__ = ["InitMode", "init_mode", "resolve_mode", "starts_with_super"]

InitMode = Literal["compat", "eager", "fast"]
_MODES = ("compat", "eager", "fast")
_MODE: ContextVar[InitMode] = ContextVar("mminit_init_mode", default="compat")


def resolve_mode(mode: Optional[str]) -> InitMode:
    if mode is None:
        return _MODE.get()
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {_MODES!r}, got {mode!r}")
    return mode  # type: ignore[return-value]


@contextlib.contextmanager
def init_mode(mode: InitMode) -> Iterator[None]:
    """Make ``mode`` the default of every ``init_weights`` called inside the block.

    Examples:
        >>> with mminit.init_mode("eager"):
        ...     model.init_weights()
    """
    token = _MODE.set(resolve_mode(mode))
    try:
        yield
    finally:
        _MODE.reset(token)


def _calls_super_init_weights(stmt: ast.stmt) -> bool:
    if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
        return False
    func = stmt.value.func
    if not (isinstance(func, ast.Attribute) and func.attr == "init_weights"):
        return False
    target = func.value
    if isinstance(target, ast.Call) and isinstance(target.func, ast.Name):
        return target.func.id == "super"
    return False


@functools.lru_cache(maxsize=None)
def _function_starts_with_super(func: Any) -> bool:
    try:
        source = textwrap.dedent(inspect.getsource(func))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError):
        return False
    if not tree.body or not isinstance(tree.body[0], ast.FunctionDef):
        return False
    fdef = tree.body[0]
    if fdef.decorator_list:
        return False
    body = fdef.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # docstring
    if not body or not _calls_super_init_weights(body[0]):
        return False
    args = body[0].value.args + [k.value for k in body[0].value.keywords]  # type: ignore[attr-defined]
    # Only names and constants as arguments: evaluating them reads no parameter.
    return all(isinstance(a, (ast.Name, ast.Constant, ast.Starred)) for a in args)


def starts_with_super(cls: type, ours: tuple[type, ...]) -> bool:
    """Whether every user ``init_weights`` on ``cls``'s MRO begins with ``super().init_weights()``.

    Then no user code runs before mminit's own ``init_weights`` on that module.
    """
    for klass in cls.__mro__:
        if klass in ours:
            return True
        func = klass.__dict__.get("init_weights")
        if func is None:
            continue
        if not _function_starts_with_super(func):
            return False
    return False
