"""Running mminit's engine on models whose root (or parts) are upstream classes.

* :func:`init_weights` initialises a whole model with mminit's engine, the
  same result as the model's own ``init_weights()`` under upstream.
* :func:`route` (a context manager) and :func:`enable` / :func:`disable` are
  for programs that call ``model.init_weights()`` themselves (mmengine's and
  mmcv's runners): while active, upstream ``BaseModule.init_weights`` runs
  through mminit for the model given (or every model).  Nothing is patched at
  import time; the original method is restored when the last route ends.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from torch import nn

from .._engine import subtree_modules
from .native import (
    ROUTED_ORIGINALS,
    NativeKind,
    register_native,
    upstream_base_classes,
)
from .user_code import InitMode, init_mode, resolve_mode

__all__ = ["disable", "enable", "init_weights", "register_engine_entry", "route", "routed"]

_ROUTERS: dict[tuple[type, Any], Any] = {}  # (class, its init_weights) -> its router, made once
_LOCK = threading.RLock()


@dataclass
class _Route:
    modules: set[int] | None  # ids of the model's modules; None: every model
    mode: InitMode | None


_ROUTES: list[_Route] = []


#: the engine's entry point, :func:`mminit._modules.base_module.run_init_weights`
_ENGINE_ENTRY: list[Callable[[Any, NativeKind, InitMode | None], None]] = []


def register_engine_entry(run: Callable[[Any, NativeKind, InitMode | None], None]) -> None:
    """Give the router the engine's entry point (``base_module`` does, when imported).

    ``base_module`` sits above this module (it reads :func:`routed`), so the
    router calls up into it through this registration, not through an import.
    """
    _ENGINE_ENTRY[:] = [run]


def routed(module: nn.Module) -> _Route | None:
    """The innermost active route covering ``module``, if any."""
    for r in reversed(_ROUTES):
        if r.modules is None or id(module) in r.modules:
            return r
    return None


def _make_router(cls: type, original: Any) -> Any:
    @functools.wraps(original)
    def init_weights(self: nn.Module, *args: Any, **kwargs: Any) -> None:
        r = routed(self)
        mode = resolve_mode(r.mode if r is not None else None)
        if r is None or args or kwargs or mode == "eager":
            return original(self, *args, **kwargs)  # type: ignore[no-any-return]
        # also reached through super().init_weights() from a subclass's override
        with init_mode(mode):
            _ENGINE_ENTRY[0](self, _upstream_kind(cls), None)
        return None

    return init_weights


def _upstream_kind(cls: type) -> Any:
    return upstream_base_classes()[cls]


def _patch() -> None:
    for cls, kind in upstream_base_classes().items():
        if cls in ROUTED_ORIGINALS:
            continue
        original = cls.__dict__["init_weights"]
        ROUTED_ORIGINALS[cls] = original
        wrapper = _ROUTERS.get((cls, original))
        if wrapper is None:  # one router per class: registered once, not at every route
            wrapper = _ROUTERS[(cls, original)] = _make_router(cls, original)
            register_native(wrapper, kind)
        cls.init_weights = wrapper  # type: ignore[attr-defined]


def _unpatch() -> None:
    for cls, original in list(ROUTED_ORIGINALS.items()):
        cls.init_weights = original  # type: ignore[attr-defined]
        del ROUTED_ORIGINALS[cls]


def _push(model: nn.Module | None, mode: str | None) -> _Route:
    if model is not None and not isinstance(model, nn.Module):
        raise TypeError(
            f"route/enable take an nn.Module or None (every model), got {type(model)!r}"
        )
    r = _Route(
        None if model is None else {id(m) for m in subtree_modules(model)},
        None if mode is None else resolve_mode(mode),
    )
    with _LOCK:
        _ROUTES.append(r)
        _patch()
    return r


def _pop(r: _Route) -> None:
    with _LOCK:
        if r in _ROUTES:
            _ROUTES.remove(r)
        if not _ROUTES:
            _unpatch()


@contextlib.contextmanager
def route(model: nn.Module | None = None, mode: InitMode | None = None) -> Iterator[None]:
    """Inside the block, upstream ``BaseModule.init_weights`` runs through mminit.

    Args:
        model: only this model's modules are routed (the others run upstream's
            code); ``None`` routes every upstream ``BaseModule``.
        mode: ``"compat"``, ``"eager"`` (upstream's own code) or ``"fast"``;
            ``None`` uses the surrounding :func:`mminit.init_mode`.

    Examples:
        >>> with mminit.route(runner.model):
        ...     runner.model.init_weights()
    """
    r = _push(model, mode)
    try:
        yield
    finally:
        _pop(r)


_ENABLED: list[_Route] = []


def enable(model: nn.Module | None = None, mode: InitMode | None = None) -> None:
    """Route upstream ``init_weights`` through mminit until :func:`disable` (see :func:`route`)."""
    _ENABLED.append(_push(model, mode))


def disable() -> None:
    """Undo every :func:`enable`; upstream's own ``init_weights`` is back."""
    while _ENABLED:
        _pop(_ENABLED.pop())


def init_weights(model: nn.Module, mode: InitMode = "compat") -> None:
    """Initialise ``model`` with mminit's engine, as ``model.init_weights()`` would.

    Works on any model whose root has ``init_weights``: mminit's ``BaseModule``,
    mmengine's (``BaseModel`` included) or mmcv 1.x's, and subclasses that
    override ``init_weights``.  Upstream ``BaseModule``s anywhere in the tree
    are driven by the engine with their own flavour's rules.

    Args:
        model: the model.
        mode: ``"compat"`` (default; bit-identical to upstream's
            ``model.init_weights()``), ``"eager"`` (upstream's literal sequence;
            upstream classes run their own code) or ``"fast"`` (each parameter
            filled once; same distributions and info strings, other numbers).

    Examples:
        >>> mminit.init_weights(classifier)                # like classifier.init_weights()
        >>> mminit.init_weights(classifier, mode="fast")
    """
    resolved = resolve_mode(mode)
    if not isinstance(model, nn.Module):
        raise TypeError(f"init_weights(model) takes an nn.Module, got {type(model)!r}")
    if not callable(getattr(model, "init_weights", None)):
        raise TypeError(
            f"{type(model).__name__} has no init_weights method; mminit.init_weights takes a "
            "BaseModule (mminit's, mmengine's or mmcv 1.x's) or a module defining init_weights"
        )
    with route(model, resolved), init_mode(resolved):
        model.init_weights()  # type: ignore[operator]
