"""``initialize(module, init_cfg)``: apply a dict or list of initializer configs."""

from __future__ import annotations

import copy
from typing import Any

from torch import nn

from .._engine import active_engine
from .._errors import add_init_note
from .initializers import BaseInit
from .registry import Registry, build_from_cfg

__all__ = ["InitCfg", "initialize_with"]

#: an ``init_cfg``: one initializer config or a list of them (``InitCfg | None`` where None is allowed)
InitCfg = dict[str, Any] | list[Any]


def _add_context(exc: BaseException, module: nn.Module, cfg: Any) -> None:
    # Same exception type as upstream; the note says which cfg on which module failed.
    add_init_note(exc, module, cfg)


def _engine_native(func: Any) -> bool:
    return isinstance(func, BaseInit) and type(func).__call__ is BaseInit.__call__


def _apply(
    module: nn.Module, cfg: dict[str, Any], registry: Registry, wholemodule: bool = False
) -> None:
    func = build_from_cfg(cfg, registry)
    # Custom initializers written for upstream read this attribute in __call__.
    func.wholemodule = wholemodule
    if _engine_native(func) and not hasattr(module, "apply"):
        # upstream: AttributeError from ``module.apply`` (an override naming a non-module)
        raise AttributeError(
            f"{cfg.get('type')!r} initializes modules, got {type(module).__name__} {module!r}; an "
            "override's name must be a submodule's attribute name"
        )
    engine = active_engine()
    if engine is None or _engine_native(func):
        if engine is not None and isinstance(cfg.get("type"), str):
            engine.looked_up(registry, cfg["type"], type(func))  # a plan checks it again
        func(module)
        return
    engine.before_initializer(module, func)  # fast mode: don't fill what a checkpoint loads
    with engine.foreign(module):  # custom initializers and Pretrained may read anything
        func(module)


def _pop_override(cfg: Any, module: nn.Module) -> Any:
    try:
        return cfg.pop("override", None)
    except (AttributeError, TypeError) as exc:
        # upstream's error comes from ``cfg.pop``; same type, saying what is wrong
        raise type(exc)(
            f"each init_cfg entry of {module.__class__.__name__} must be a dict with a 'type' key, "
            f"got {type(cfg).__name__} {cfg!r}"
        ) from None


def _apply_overrides(
    module: nn.Module, override: Any, cfg: dict[str, Any], registry: Registry
) -> None:
    if not isinstance(override, (dict, list)):
        raise TypeError(f"override must be a dict or a list of dict, got {type(override)!r}")
    for entry in [override] if isinstance(override, dict) else override:
        entry = copy.deepcopy(entry)
        name = entry.pop("name", None)
        if name is None:
            raise ValueError(f'each override must contain the key "name", got {entry}')
        if not entry:
            # name only: use the parent cfg (without `layer`) on the named submodule
            entry.update(cfg)
        elif "type" not in entry:
            raise ValueError(
                f'an override with arguments must contain the key "type", got {entry} '
                f"(name={name!r}); give only the name to reuse the parent cfg"
            )
        if not hasattr(module, name):
            raise RuntimeError(
                f"module {module.__class__.__name__} has no attribute {name!r} "
                f"named by override, init_cfg is {entry}."
            )
        _apply(getattr(module, name), entry, registry, wholemodule=True)


def initialize_with(module: nn.Module, init_cfg: InitCfg, registry: Registry) -> None:
    """Apply ``init_cfg`` to ``module``, looking initializer types up in ``registry``."""
    if not isinstance(init_cfg, (dict, list)):
        exc = TypeError(
            f"init_cfg must be a dict or a list of dict, got {type(init_cfg)!r}: {init_cfg!r}"
        )
        add_init_note(exc, module, init_cfg)
        raise exc
    for cfg in [init_cfg] if isinstance(init_cfg, dict) else init_cfg:
        # Deep copy: one cfg object may be shared by many modules.
        cp_cfg = copy.deepcopy(cfg)
        try:
            override = _pop_override(cp_cfg, module)
            _apply(module, cp_cfg, registry)
            if override is not None:
                cp_cfg.pop("layer", None)
                _apply_overrides(module, override, cp_cfg, registry)
        except Exception as exc:
            _add_context(exc, module, cfg)
            raise
