"""Which modules mminit's engine may drive: its own ``BaseModule``s and upstream's.

A module is *native* when its class's ``init_weights`` is the one of a
``BaseModule`` base, not a user override: mminit's own (either flavour), or
upstream's, i.e. mmengine 0.10.7's ``mmengine.model.BaseModule`` (which
``BaseModel``, ``Sequential``, ``ModuleList``, ``ModuleDict`` and mmcv 2.x's
bricks inherit) or mmcv 1.7.2's ``mmcv.runner.BaseModule``.  An upstream
native module behaves as its origin does (mmengine -> the mmengine flavour,
mmcv 1.x -> the mmcv1 flavour), so the engine runs it with that flavour's
rules and logs where that upstream would.

mminit never imports upstream: upstream classes are found in ``sys.modules``
(if the library was not imported, no module of the tree can come from it).
"""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from torch import nn

from .._flavour import MMCV1, MMENGINE, Flavour
from .._logging import get_logger

__all__ = [
    "ROUTED_ORIGINALS",
    "NativeKind",
    "UPSTREAM_BASE_MODULES",
    "discover_upstream",
    "is_upstream_module",
    "native_bases",
    "native_generation",
    "native_kind",
    "original_init_weights",
    "register_native",
    "upstream_base_classes",
]


@dataclass(frozen=True)
class NativeKind:
    """How to run a native module's ``init_weights``.

    Attributes:
        flavour: the rules it follows.
        initialize: the flavour's ``initialize(module, init_cfg)``.
        pretrained_classes: initializer classes that count as ``type='Pretrained'``.
        origin: ``"mminit"``, ``"mmengine"`` or ``"mmcv1"`` (where the class came from).
        logger: the logger its records go to, looked up when a record is written
            (``init_cfg_logger``) and for the init-info dump (``dump_logger``).
    """

    flavour: Flavour
    initialize: Callable[[nn.Module, Any], None]
    pretrained_classes: tuple[type, ...]
    origin: str
    init_cfg_logger: Callable[[], logging.Logger]
    dump_logger: Callable[[], logging.Logger]
    base: type

    @property
    def upstream(self) -> bool:
        return self.origin != "mminit"


#: module in which each upstream keeps its BaseModule, and the flavour it behaves as
UPSTREAM_BASE_MODULES: dict[str, tuple[str, Flavour]] = {
    "mmengine.model.base_module": ("mmengine", MMENGINE),
    "mmcv.runner.base_module": ("mmcv1", MMCV1),
}

_KINDS: dict[Any, NativeKind] = {}  # an init_weights function -> its kind
_BASES: dict[type, NativeKind] = {}  # a native BaseModule class -> its kind
_UPSTREAM_SEEN: set[str] = set()
#: upstream BaseModule -> its own init_weights, while :mod:`.routing` has replaced it
ROUTED_ORIGINALS: dict[type, Any] = {}


def original_init_weights(cls: type) -> Any:
    """``cls.init_weights`` as upstream defined it (even while routed)."""
    return ROUTED_ORIGINALS.get(cls, cls.__dict__.get("init_weights"))


def register_native(func: Any, kind: NativeKind) -> None:
    """Declare ``func`` (an ``init_weights`` function) as ``kind``'s own.

    Keyed by the function (and the base class by itself): registering the same
    function again replaces its entry.  Each registered function is made once:
    each flavour module builds its classes once, an upstream class is
    registered once, and its router is made once (reused by every route).
    """
    _KINDS[func] = kind
    _BASES.setdefault(kind.base, kind)
    _GENERATION[0] += 1


_GENERATION = [0]


def native_generation() -> int:
    """How many ``register_native`` calls so far (a cached plan names the one it saw)."""
    return _GENERATION[0]


def _mmengine_logger() -> logging.Logger:
    # print_log(logger='current'): the current MMLogger, created if there is none
    return sys.modules["mmengine.logging.logger"].MMLogger.get_current_instance()  # type: ignore[no-any-return]


def _mmcv_logger() -> logging.Logger:
    # mmcv 1.x BaseModule: the first logger mmcv initialised, else get_logger('mmcv')
    mod = sys.modules["mmcv.utils.logging"]
    names = list(mod.logger_initialized)
    return mod.get_logger(names[0] if names else "mmcv")  # type: ignore[no-any-return]


def _flavour_api(origin: str) -> Any:
    # our own flavour module supplies initialize and the Pretrained class
    return importlib.import_module("mminit._public" if origin == "mmengine" else "mminit.mmcv1")


def discover_upstream() -> None:
    """Register upstream ``BaseModule`` classes already imported (cheap when nothing changed)."""
    if len(_UPSTREAM_SEEN) == len(UPSTREAM_BASE_MODULES):
        return
    for mod_name, (origin, flavour) in UPSTREAM_BASE_MODULES.items():
        if mod_name in _UPSTREAM_SEEN:
            continue
        mod = sys.modules.get(mod_name)
        cls = getattr(mod, "BaseModule", None) if mod is not None else None
        if cls is None:
            continue
        api = _flavour_api(origin)
        logger = _mmengine_logger if origin == "mmengine" else _mmcv_logger
        kind = NativeKind(
            flavour, api.initialize, (api.PretrainedInit,), origin, logger, logger, cls
        )
        # the router may have replaced it already; the original is recorded
        register_native(original_init_weights(cls), kind)
        _UPSTREAM_SEEN.add(mod_name)


def upstream_base_classes() -> dict[type, NativeKind]:
    """The upstream ``BaseModule`` classes imported so far, with their kinds."""
    discover_upstream()
    return {cls: kind for cls, kind in _BASES.items() if kind.upstream}


def native_kind(module: Any) -> NativeKind | None:
    """``module``'s kind if its ``init_weights`` is a ``BaseModule``'s own, else ``None``."""
    return _KINDS.get(getattr(type(module), "init_weights", None))


def native_bases(include_upstream: bool) -> tuple[type, ...]:
    """The ``BaseModule`` classes whose ``init_weights`` is the engine's."""
    if include_upstream:
        discover_upstream()
    return tuple(cls for cls, kind in _BASES.items() if include_upstream or not kind.upstream)


def is_upstream_module(module: nn.Module) -> bool:
    """Whether ``module`` derives from an upstream ``BaseModule``."""
    bases = tuple(upstream_base_classes())
    return bool(bases) and isinstance(module, bases)


def mminit_kind(
    flavour: Flavour,
    initialize: Callable[[nn.Module, Any], None],
    pretrained_classes: tuple[type, ...],
    base: type,
) -> NativeKind:
    """The kind of mminit's own ``BaseModule`` of ``flavour``."""

    def logger() -> logging.Logger:
        return get_logger(flavour)

    return NativeKind(flavour, initialize, pretrained_classes, "mminit", logger, logger, base)
