"""Which ``init_weights`` calls replay a cached plan, and what says two trees share one.

A top-level compat ``init_weights`` (mminit's ``BaseModule``, or an upstream one
mminit drives) looks its tree up in :data:`~mminit._engine.plan.plan_cache` by a
key of everything that decides the walk (see :func:`tree_shape`):

* per module, in ``modules()`` order: its class and that class's ``init_weights``
  (a route or a patch changes it), its children by name and position, its
  parameters by name with shape, dtype, device, strides and ``requires_grad``
  (and which ones are shared), its buffer names, and its ``init_cfg`` as data
  (every dict, list, number and string with its type, so ``0`` and ``0.0``,
  which upstream prints differently, are different keys);
* the flavour (the root's kind), the native-class generation (an upstream class
  registered since may change which modules the engine drives), and torch's thread
  count (a constant fill's mean, read from the plan, is the one computed with it).

Each initializer name the walk looked up is checked again before a replay (a name
registered again since, ``force=True``, means another class): if one changed, the walk
runs and records the plan anew.

A tree the key cannot describe is never replayed: a module already initialised
(upstream warns), an instance with its own ``init_weights``, a class that walks
its children its own way or computes ``init_cfg``, a parameter that is not a
plain ``nn.Parameter`` (sharded, a subclass) or is on the meta device, an
``init_cfg`` holding anything but dicts, lists, tuples, scalars, strings, types
and functions.  On a miss the walk runs with a recorder (:class:`PlanRecorder`)
and its plan is kept if nothing outside the engine's control ran.

``mminit.explain`` records with engines of its own (:func:`~mminit._engine.compat_engine_classes`):
its run never replays a cached plan (the plan carries no origins), records the plan
anew and puts it in the cache, so the ``init_weights`` after it replays the plan
explained.

``MMINIT_PLAN_CACHE=0`` in the environment turns the cache off (every init
walks); :func:`clear_plan_cache` empties it.
"""

from __future__ import annotations

import os
from collections.abc import Hashable, Iterable
from typing import Any, NamedTuple

import torch
from torch import Tensor, nn

from .._engine import (
    CompatRecorder,
    FastInitEngine,
    active_engine,
    compat_engine_classes,
    fast_engine_class,
    in_eager_block,
    plain_walk,
    plan_cache,
    replay,
    replay_fast,
    stats,
)
from .._init.init_info import new_params_init_info
from .native import NativeKind, discover_upstream, native_generation
from .user_code import InitMode, resolve_mode

__all__ = [
    "CACHE_ENV",
    "TreeShape",
    "cache_enabled",
    "clear_plan_cache",
    "drop_table",
    "plain_attr",
    "planned_shape",
    "replay_cached",
    "share_table",
    "tree_shape",
]

#: the environment variable that turns the plan cache off (``0``)
CACHE_ENV = "MMINIT_PLAN_CACHE"


def cache_enabled() -> bool:
    """Whether compat inits look their tree up in the plan cache (``MMINIT_PLAN_CACHE``)."""
    return os.environ.get(CACHE_ENV, "1") != "0"


def clear_plan_cache() -> None:
    """Forget every cached plan: the next compat init of each architecture walks its tree.

    Examples:
        >>> import mminit
        >>> mminit.clear_plan_cache()
    """
    plan_cache.clear()


class TreeShape(NamedTuple):
    """A tree's cache key, and its modules and parameters in pre-order."""

    key: Hashable
    modules: list[nn.Module]
    params: list[Tensor]
    mode: str = "compat"  # or "fast": the two modes' plans are kept apart


class _Unkeyable(Exception):
    """The tree holds something the key cannot describe."""


_MISSING = object()


def _freeze(x: Any) -> Hashable:
    """``x`` as hashable data that tells apart every value upstream prints differently."""
    t = type(x)
    if t is str or t is int or t is bool or x is None:
        return (t, x)
    if t is float:
        return (t, repr(x))  # -0.0 and 0.0 compare equal but print apart
    if isinstance(x, dict):
        return (t, tuple([(_freeze(k), _freeze(v)) for k, v in x.items()]))
    if isinstance(x, (list, tuple)):
        return (t, tuple([_freeze(v) for v in x]))
    if isinstance(x, type) or t is type(_freeze):
        return x  # type: ignore[no-any-return]  # a class or a function: by identity
    raise _Unkeyable


#: class -> whether ``init_cfg`` is read from the instance dict (or a plain class attribute)
_PLAIN_CFG: dict[type, bool] = {}


def _plain_cfg(cls: type) -> bool:
    known = _PLAIN_CFG.get(cls)
    if known is None:
        attr = getattr(cls, "init_cfg", None)
        known = _PLAIN_CFG[cls] = not hasattr(type(attr), "__get__")  # no property
    return known


def tree_shape(root: nn.Module, kind: NativeKind, mode: str = "compat") -> TreeShape | None:
    """The cache key of ``root``'s tree (``None`` where it cannot have one)."""
    modules: list[nn.Module] = []
    midx: dict[int, int] = {}
    stack: list[nn.Module | None] = [root]
    while stack:
        m = stack.pop()
        if m is None or id(m) in midx:
            continue
        if not plain_walk(type(m)):
            return None
        midx[id(m)] = len(modules)
        modules.append(m)
        stack.extend(reversed(m._modules.values()))
    params: list[Tensor] = []
    pidx: dict[int, int] = {}
    parts: list[Hashable] = [kind, mode, native_generation(), torch.get_num_threads()]
    try:
        parts += [_module_key(m, midx, params, pidx) for m in modules]
    except _Unkeyable:
        return None
    return TreeShape(tuple(parts), modules, params, mode)


def _module_key(
    m: nn.Module, midx: dict[int, int], params: list[Tensor], pidx: dict[int, int]
) -> Hashable:
    """``m``'s part of the key (its parameters new to ``pidx`` appended to ``params``)."""
    d = m.__dict__
    cls = type(m)
    if d.get("_is_init") or "init_weights" in d or not _plain_cfg(cls):
        raise _Unkeyable
    cfg = d.get("init_cfg", _MISSING)
    if cfg is _MISSING:
        cfg = getattr(cls, "init_cfg", None)
    slots: tuple[Hashable, ...] = ()
    if m._parameters:
        found: list[Hashable] = []
        for name, p in m._parameters.items():
            if p is None:
                found.append((name, -1))
                continue
            i = pidx.get(id(p))
            if i is None:
                if type(p) is not nn.Parameter or p.is_meta:
                    raise _Unkeyable
                i = pidx[id(p)] = len(params)
                params.append(p)
                found.append((name, i, p.shape, p.dtype, p.device, p.stride(), p.requires_grad))
            else:
                found.append((name, i))
        slots = tuple(found)
    children: tuple[Hashable, ...] = ()
    if m._modules:
        # names, then positions (-1: None), in two flat tuples
        children = (
            tuple(m._modules),
            tuple([-1 if c is None else midx[id(c)] for c in m._modules.values()]),
        )
    return (
        cls,
        getattr(cls, "init_weights", None),
        children,
        slots,
        tuple(m._buffers) if m._buffers else (),
        None if cfg is None else _freeze(cfg),
    )


def planned_shape(module: nn.Module, kind: NativeKind, mode: InitMode | None) -> TreeShape | None:
    """The shape of a top-level ``init_weights`` that the plan cache serves (compat or
    fast mode, no engine running, the cache on), else ``None``."""
    if not cache_enabled() or active_engine() is not None or in_eager_block():
        return None
    resolved = resolve_mode(mode)
    if resolved == "fast":
        if fast_engine_class() is not FastInitEngine:
            return None  # mminit.explain records with an engine of its own
    elif resolved != "compat":
        return None
    discover_upstream()  # upstream classes imported since the last init change the key
    shape = tree_shape(module, kind, resolved)
    if shape is not None and resolved == "fast" and _meta_buffers(shape.modules):
        return None  # fast mode materialises the model first: new tensors
    return shape


def _meta_buffers(modules: list[nn.Module]) -> bool:
    return any(b is not None and b.is_meta for m in modules for b in m._buffers.values())


_INFO = "_params_init_info"


def replay_cached(
    module: nn.Module, kind: NativeKind, shape: TreeShape, observes: bool
) -> list[nn.Module] | None:
    """Replay the cached plan of ``shape`` on ``module`` if there is one, with the table on
    the modules that need it while it runs (returned: :func:`drop_table` them after the
    dump); ``None``: nothing done, walk instead."""
    if shape.mode == "compat" and compat_engine_classes()[1] is not CompatRecorder:
        return None  # mminit.explain records the plan anew, noting where each fill comes from
    plan = plan_cache.get(shape.key)
    if plan is None or not plan.current():
        return None  # (a name registered again since: the walk records the plan anew)
    table = new_params_init_info(module, kind.flavour, with_means=False, params=shape.params)
    # all of them, as in the walk, where a user's init_weights runs (it may read the
    # table); else the root, whose dump reads it
    holders = shape.modules if plan.has_barriers else shape.modules[:1]
    if shape.mode == "fast":
        share_table(holders, table)
        try:
            replay_fast(plan, shape.params, shape.modules, table, module, observes)
        except BaseException:
            drop_table(holders)
            raise
        return holders
    stats.engines += 1
    stats.replayed += 1
    if not observes:
        stats.unseen += 1
    share_table(holders, table)
    try:
        replay(plan, shape.params, shape.modules, table, observes)
    except BaseException:
        drop_table(holders)
        raise
    return holders


_PLAIN_ATTRS: dict[type, bool] = {}


def plain_attr(module: nn.Module) -> bool:
    """Whether ``module._params_init_info = ...`` / ``del`` would reach ``object``'s own
    (nothing registered under that name, ``nn.Module``'s ``__setattr__``/``__delattr__``)."""
    cls = type(module)
    plain = _PLAIN_ATTRS.get(cls)
    if plain is None:
        plain = _PLAIN_ATTRS[cls] = (
            cls.__setattr__ is nn.Module.__setattr__ and cls.__delattr__ is nn.Module.__delattr__
        )
    return (
        plain
        and _INFO not in module._parameters
        and _INFO not in module._buffers
        and _INFO not in module._modules
    )


def share_table(modules: Iterable[nn.Module], table: Any) -> None:
    """Put the ``_params_init_info`` table on each of ``modules``."""
    for m in modules:
        if plain_attr(m):
            object.__setattr__(m, _INFO, table)
        else:
            setattr(m, _INFO, table)


def drop_table(modules: Iterable[nn.Module]) -> None:
    """Take the table :func:`share_table` put on ``modules`` off again."""
    for m in modules:
        if plain_attr(m) and _INFO in m.__dict__:
            object.__delattr__(m, _INFO)
        else:
            delattr(m, _INFO)
