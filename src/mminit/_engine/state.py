"""The engine's shared part: what every engine tracks while ``init_weights`` runs.

:class:`InitEngine` is what callers talk to (:func:`active_engine`): the table of
``update_init_info``, the tree's parameters and ``apply`` order (indexed once per
stretch of the walk in which no code outside the engine ran), the barriers where a
user's ``init_weights`` or other code the engine does not control runs
(:meth:`InitEngine.foreign`, :meth:`InitEngine.settle`,
:meth:`InitEngine.before_write_only_code`), and which parameters were written since
their last check.  How fills and checks are carried out is a subclass's: the compat
engine (:mod:`mminit._engine.compat`) runs them as compiled segments, fast mode
(:mod:`mminit._engine.fast`) makes each parameter's last fill only, and
``mminit.explain`` records them.  A subclass changes behaviour by overriding the hooks
(:meth:`InitEngine.write_all`, :meth:`InitEngine.check`, :meth:`InitEngine._seal`,
:meth:`InitEngine.before_initializer`, :meth:`InitEngine.wrote`, ...); callers never
test an engine's class.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import (
    Any,
    NamedTuple,
    Protocol,
    runtime_checkable,
)

import torch
from torch import Tensor, nn

from .._errors import check_known
from .fills import (
    FillSpec,
    trunc_normal_draw,
    trunc_normal_transform,
)

__all__ = [
    "EngineStats",
    "InitEngine",
    "LoadsParameters",
    "Undriven",
    "active_engine",
    "eager_block",
    "host_means",
    "in_eager_block",
    "plain_walk",
    "stats",
    "subtree_modules",
    "subtree_params",
]

_ACTIVE: ContextVar[InitEngine | None] = ContextVar("mminit_init_engine", default=None)

_EAGER_BLOCK: ContextVar[bool] = ContextVar("mminit_eager_block", default=False)


def active_engine() -> InitEngine | None:
    return _ACTIVE.get()


def in_eager_block() -> bool:
    """Whether the code now running is upstream's literal sequence (an engine left it
    so, or the top-level ``init_weights`` runs eagerly): no engine starts inside."""
    return _EAGER_BLOCK.get()


@contextlib.contextmanager
def eager_block() -> Iterator[None]:
    """Run the block as upstream's literal sequence (see :func:`in_eager_block`)."""
    token = _EAGER_BLOCK.set(True)
    try:
        yield
    finally:
        _EAGER_BLOCK.reset(token)


@dataclass
class EngineStats:
    """Counters showing what the engine did (tests read them to tell it really ran).

    Attributes:
        engines: top-level ``init_weights`` calls run by an engine (compat or fast).
        upstream_driven: upstream ``BaseModule``s whose ``init_weights`` the engine ran.
        eager_subtrees: subtrees left to upstream's own code, run eagerly.
        unseen: engines that took no means (nobody could see the init-info dump).
        replayed: inits that replayed a cached plan instead of walking the tree.
    """

    engines: int = 0
    upstream_driven: int = 0
    eager_subtrees: int = 0
    unseen: int = 0
    replayed: int = 0


stats = EngineStats()


class Undriven(NamedTuple):
    """A module whose subtree ran outside the engine, and what ran instead."""

    module: nn.Module
    what: str


@runtime_checkable
class LoadsParameters(Protocol):
    """An initializer that overwrites parameters from a checkpoint (``PretrainedInit``).

    Fast mode leaves the pending fills of its module unmade while it runs and drops
    those of the parameters it overwrote, so the checkpoint is read once, by the load.
    """

    loads_checkpoint: bool


def _generator_for(t: Tensor) -> torch.Generator:
    if t.device.type == "cuda":
        return torch.cuda.default_generators[t.device.index or torch.cuda.current_device()]
    return torch.default_generator


def host_means(means: Sequence[Tensor]) -> list[Any]:
    """The values of 0-d ``means`` (``.item()``'s), in one host transfer per dtype and device."""
    if not means:
        return []
    if all(m.device.type == "cpu" for m in means):
        return [m.item() for m in means]
    # one host transfer per dtype and device: each mean keeps its own precision
    # (exactly what ``.item()`` gives), and a model may span devices
    out: list[Any] = [None] * len(means)
    groups: dict[tuple[torch.dtype, torch.device], list[int]] = {}
    for i, m in enumerate(means):
        groups.setdefault((m.dtype, m.device), []).append(i)
    for idx in groups.values():
        for i, value in zip(idx, torch.stack([means[i] for i in idx]).cpu().tolist()):
            out[i] = value
    return out


def regenerated_mean(p: Tensor, args: tuple[Any, ...], rng_state: Tensor) -> Any:
    """The mean of the truncated normal ``args`` drawn into a tensor like ``p`` from the
    generator state ``rng_state`` (a draw whose transform was skipped), on the host."""
    gen = torch.Generator(device=p.device)
    gen.set_state(rng_state)
    scratch = torch.empty_like(p.detach())
    mean, std, a, b = args
    trunc_normal_draw(scratch, mean, std, a, b, generator=gen)
    trunc_normal_transform(scratch, *args)
    return host_means([scratch.mean()])[0]


def _scalar(x: Any) -> Any:
    return x.item() if isinstance(x, Tensor) else x


_WALK_METHODS = ("named_parameters", "_named_members", "named_modules")
_APPLY_METHODS = ("apply", "children", "named_children")

#: module classes known to use ``nn.Module``'s own walk (``named_modules`` and friends)
_PLAIN_WALK: set[type] = set()
#: module classes known to use ``nn.Module``'s own ``apply`` (and ``children``)
_PLAIN_APPLY: set[type] = set()


def _uses_module_methods(cls: type, names: tuple[str, ...], known: set[type]) -> bool:
    """Whether ``cls`` inherits ``nn.Module``'s own ``names`` (cached in ``known``)."""
    if cls in known:
        return True
    if any(getattr(cls, n) is not getattr(nn.Module, n) for n in names):
        return False
    known.add(cls)
    return True


def plain_walk(cls: type) -> bool:
    """Whether ``cls`` walks its children as ``nn.Module`` does (``named_modules`` ...)."""
    return _uses_module_methods(cls, _WALK_METHODS, _PLAIN_WALK)


def _plain_apply(cls: type) -> bool:
    return _uses_module_methods(cls, _APPLY_METHODS, _PLAIN_APPLY)


class _ApplyOrder(NamedTuple):
    """The modules ``root.apply(fn)`` calls ``fn`` on, in order (children first), and
    per module the run of that list its own ``apply`` visits (the same run wherever a
    shared module is met: it depends on the module alone)."""

    modules: list[nn.Module]
    spans: dict[int, tuple[nn.Module, int, int]]  # id(module): (module, start, end)


_STALE = _ApplyOrder([], {})  # no order of this epoch yet


def _apply_order(root: nn.Module) -> _ApplyOrder | None:
    """``root.apply``'s order, or ``None`` where a class walks its own way or the
    graph has a cycle (then ``apply`` itself runs, and fails as upstream's does)."""
    modules: list[nn.Module] = []
    spans: dict[int, tuple[nn.Module, int, int]] = {}
    open_: set[int] = set()

    def visit(m: nn.Module) -> None:
        if (type(m) not in _PLAIN_APPLY and not _plain_apply(type(m))) or id(m) in open_:
            raise _NotATree
        open_.add(id(m))
        start = len(modules)
        memo: set[int] = set()  # children(): each child once per parent
        for child in m._modules.values():
            if child is not None and id(child) not in memo:
                memo.add(id(child))
                visit(child)
        modules.append(m)
        spans.setdefault(id(m), (m, start, len(modules)))
        open_.discard(id(m))

    try:
        visit(root)
    except (_NotATree, RecursionError):
        return None
    return _ApplyOrder(modules, spans)


class _NotATree(Exception):
    """A parameter, or a module holding parameters, appears twice, or a class walks its own way."""


class _TreeIndex(NamedTuple):
    """Every module's ``named_parameters()`` as a slice of one pre-order list.

    Only for a tree without shared parameters or shared modules holding any: then
    a subtree's parameters are exactly a contiguous run of the whole tree's
    pre-order.  A shared module without parameters (one activation used by
    several blocks) adds nothing to any walk, wherever it is met first.
    """

    params: list[Tensor]
    spans: dict[int, tuple[nn.Module, int, int]]  # id(module): (module, start, end)
    all_known: bool  # every parameter was in the table when the index was built


def _tree_index(root: nn.Module, table: Any) -> _TreeIndex | None:
    params: list[Tensor] = []
    spans: dict[int, tuple[nn.Module, int, int]] = {}
    seen: set[int] = set()
    open_: set[int] = set()  # modules being visited (one met again inside itself: a cycle)

    def visit(m: nn.Module) -> None:
        if type(m) not in _PLAIN_WALK and not plain_walk(type(m)):
            raise _NotATree
        if id(m) in spans:
            _, start, end = spans[id(m)]
            if start == end and id(m) not in open_:
                return  # shared, no parameters in its subtree: nothing to add here either
            raise _NotATree
        open_.add(id(m))
        start = len(params)
        spans[id(m)] = (m, start, start)
        for p in m._parameters.values():
            if p is None:
                continue
            if id(p) in seen:
                raise _NotATree
            seen.add(id(p))
            params.append(p)
        for child in m._modules.values():
            if child is not None:
                visit(child)
        spans[id(m)] = (m, start, len(params))
        open_.discard(id(m))

    try:
        visit(root)
    except _NotATree:
        return None
    return _TreeIndex(params, spans, all(p in table for p in params))


def _subtree_params(module: nn.Module) -> list[Tensor] | None:
    """``[p for _, p in module.named_parameters()]`` without building names (``None``
    where a class walks its own way): each module and each parameter once, pre-order."""
    params: list[Tensor] = []
    seen_modules: set[int] = set()
    seen_params: set[int] = set()
    stack: list[nn.Module | None] = [module]  # None children are skipped when popped
    while stack:
        m = stack.pop()
        if m is None or id(m) in seen_modules:
            continue
        if type(m) not in _PLAIN_WALK and not plain_walk(type(m)):
            return None
        seen_modules.add(id(m))
        for p in m._parameters.values():
            if p is not None and id(p) not in seen_params:
                seen_params.add(id(p))
                params.append(p)
        stack.extend(reversed(m._modules.values()))
    return params


def subtree_params(module: nn.Module) -> list[Tensor]:
    """``[p for _, p in module.named_parameters()]``, walked in one frame where every
    class of the subtree walks as ``nn.Module`` does."""
    params = _subtree_params(module)
    return [p for _, p in module.named_parameters()] if params is None else params


def subtree_modules(module: nn.Module) -> list[nn.Module]:
    """``list(module.modules())``, walked in one frame (``modules()`` nests a generator
    per level) where every class of the subtree walks as ``nn.Module`` does."""
    if type(module).modules is nn.Module.modules:
        out: list[nn.Module] = []
        seen: set[int] = set()
        stack: list[nn.Module | None] = [module]  # None children are skipped when popped
        while stack:
            m = stack.pop()
            if m is None or id(m) in seen:
                continue
            if type(m) not in _PLAIN_WALK and not plain_walk(type(m)):
                break
            seen.add(id(m))
            out.append(m)
            stack.extend(reversed(m._modules.values()))
        else:
            return out
    return list(module.modules())


class InitEngine:
    """Bookkeeping for one top-level ``init_weights`` call (see the module docstring)."""

    #: a check reads its means on the host at the next settle, not at once (fast mode
    #: replays its own steps over the table, so its checks resolve at once)
    defers_check_means: bool = True

    def __init__(
        self,
        table: Any,
        root: nn.Module | None = None,
        observes: bool = True,
        counted: bool = True,
    ) -> None:
        self.table = table
        self.root = root
        #: whether anyone can see the init-info strings (the dump is emitted somewhere):
        #: if not, no mean is taken at all (a check only asserts its parameters are known)
        self.observes = observes
        if not observes and counted:
            stats.unseen += 1
        #: parameters written since their last check (by the engine or by code outside it)
        self._dirty: dict[int, Tensor] = {}
        #: modules whose subtree ran outside the engine, and what ran instead
        self.undriven: list[Undriven] = []
        self._failed = False
        self._user_code: set[int] = set()
        self._watched: dict[int, list[tuple[Tensor, int]]] = {}
        # A subtree's parameters, indexed at the first check that needs them and reused
        # (for it and every module inside) until code outside the engine runs (only such
        # code can add, replace or move a parameter or module; the engine's own fills
        # never do).
        self._epoch = 0
        self._index: _TreeIndex | None = None
        self._index_epoch = -1
        self._indexing = True  # until a subtree turns out not to be a tree
        # ``apply``'s order, kept as the index is (until code outside the engine runs)
        self._order: _ApplyOrder | None = None
        self._order_epoch = -1
        #: id(module) -> (module, its subtree's parameters), where a replay's plan gives
        #: them (the tree has the plan's shape): no walk of the subtree
        self._given: dict[int, tuple[nn.Module, list[Tensor]]] = {}
        if counted:  # (not: a replay's engine for one user's init_weights)
            stats.engines += 1

    def _outside(self) -> None:
        """Code outside the engine may run (or has run): it may have changed the tree."""
        self._epoch += 1

    def _span(self, module: nn.Module) -> tuple[_TreeIndex, int, int] | None:
        """``module``'s run in the index of this epoch, indexing its subtree if no index
        of this epoch holds it (a walk of the subtree, as a check without one makes)."""
        index = self._index if self._index_epoch == self._epoch else None
        span = index.spans.get(id(module)) if index is not None else None
        if span is None and self._indexing:
            index = self._index = _tree_index(module, self.table)
            self._index_epoch = self._epoch
            if index is None:  # shared parameters: each check walks its own subtree
                self._indexing = False
                return None
            span = index.spans[id(module)]
        if index is None or span is None or span[0] is not module:
            return None
        return index, span[1], span[2]

    def apply_order(self, module: nn.Module) -> list[nn.Module] | None:
        """The modules ``module.apply(fn)`` would call ``fn`` on, in order (``None``: call
        ``apply``), from one walk of the largest subtree asked for in this epoch."""
        order = self._order if self._order_epoch == self._epoch else _STALE
        if order is None:
            return None  # this epoch's tree has a class that walks its own way
        span = order.spans.get(id(module))
        if span is None:
            order = self._order = _apply_order(module)
            self._order_epoch = self._epoch
            if order is None:
                return None
            span = order.spans[id(module)]
        m, start, end = span
        return order.modules[start:end] if m is module else None

    def give_params(self, module: nn.Module, params: list[Tensor]) -> None:
        """``module``'s subtree holds ``params``, all in the table (a replay's plan says so,
        for the tree of its shape): the engine takes them from here, without a walk."""
        self._given[id(module)] = (module, params)

    def _params_of(self, module: nn.Module) -> tuple[list[Tensor], bool]:
        """What ``module.named_parameters()`` yields (the values), and whether all are
        known to be in the table (``False``: not known either way)."""
        given = self._given.get(id(module))
        if given is not None and given[0] is module:
            return given[1], True
        found = self._span(module)
        if found is not None:
            index, start, end = found
            return index.params[start:end], index.all_known
        params = _subtree_params(module)
        if params is None:
            params = [p for _, p in module.named_parameters()]
        return params, False

    def _tracked_params(self, module: nn.Module) -> list[Tensor]:
        """The parameters of ``module``'s subtree that the table knows."""
        params, known = self._params_of(module)
        if known:
            return params
        table = self.table
        return [p for p in params if p in table]

    def _unknown(self, module: nn.Module, p: Tensor) -> None:
        """Raise as upstream asserts: ``p``, of ``module``'s subtree, is missing from the table."""
        name = next(n for n, q in module.named_parameters() if q is p)
        check_known(name, p, module, self.table)

    def expect_user_code(self, module: nn.Module) -> None:
        """``module``'s own ``init_weights`` (starting with ``super()``) is about to run.

        No code of the user's runs before its ``super()`` reaches mminit's own (every
        ``init_weights`` on the class's MRO starts with it), so the tree is as the engine
        last saw it, unless the instance holds a function of its own.
        """
        if "init_weights" in module.__dict__:
            self._outside()
        self._user_code.add(id(module))

    def run_user_code(self, module: nn.Module) -> None:
        """Run ``module.init_weights()``, user code that starts with
        ``super().init_weights()``, between :meth:`expect_user_code` and
        :meth:`user_code_done` (and :meth:`foreign_wrote` where its writes were not watched)."""
        self.expect_user_code(module)
        try:
            module.init_weights()  # type: ignore[operator]
        finally:
            watched = self.user_code_done(module)
        if not watched:
            self.foreign_wrote(module)

    def expects_user_code(self, module: nn.Module) -> bool:
        return id(module) in self._user_code

    def before_write_only_code(self, module: nn.Module, params: list[Tensor] | None) -> None:
        """The rest of ``module``'s own ``init_weights`` only overwrites whole parameters
        (among ``params``; ``None``: any of the subtree) through fills that move their
        version counters: settle those (their values before that code, as upstream's
        checks see them) and note their versions, so :meth:`user_code_done` marks only
        what it wrote."""
        targets = self._targets(module, params)
        self._outside()  # (the user's code runs next: the tree as it was before it)
        self._seal(targets)
        self._watch_versions(module, targets)

    def _targets(self, module: nn.Module, params: list[Tensor] | None) -> list[Tensor]:
        if params is None:
            return self._tracked_params(module)
        return [p for p in params if p in self.table]

    def _watch_versions(self, module: nn.Module, params: list[Tensor]) -> None:
        self._watched[id(module)] = [(p, p._version) for p in params]

    def user_code_done(self, module: nn.Module) -> bool:
        """``module``'s own ``init_weights`` returned; ``True`` if its writes were watched."""
        self._outside()
        self._user_code.discard(id(module))
        watched = self._watched.pop(id(module), None)
        if watched is None:
            return False
        self.wrote([p for p, version in watched if p._version != version])
        return True

    def wrote(self, params: Sequence[Tensor]) -> None:
        """Code outside the engine wrote ``params`` (their version counters moved)."""
        self._outside()
        self.mark_all_written(params)

    def mark_written(self, p: Tensor) -> None:
        """``p`` changed since its last check: the next check compares its mean."""
        self._dirty[id(p)] = p

    def mark_all_written(self, params: Sequence[Tensor]) -> None:
        """:meth:`mark_written` each of ``params``."""
        self._dirty.update((id(p), p) for p in params)

    def mark_checked(self, p: Tensor) -> None:
        """A check saw ``p``'s latest write."""
        self._dirty.pop(id(p), None)

    def before_initializer(self, module: nn.Module, initializer: object) -> None:
        """An initializer the engine does not drive is about to run on ``module``.

        Nothing to do here (it runs inside :meth:`foreign`); fast mode drops the
        pending fills of what a :class:`LoadsParameters` initializer loads.
        """

    def looked_up(self, registry: Any, name: str, found: type) -> None:
        """The walk built an initializer ``name`` from ``registry``: ``found``."""

    def cannot_replay(self) -> None:
        """Something ran that a recorded plan could not stand for (a warning the walk
        issued, say); only :class:`~mminit._engine.plan.PlanRecorder` keeps note."""

    def effect(self, emit: Callable[[], None]) -> None:
        """The walk makes a record (a log line): ``emit`` makes it."""
        emit()

    def initialised(self, module: nn.Module) -> None:
        """The walk finished ``module``'s own ``init_cfg`` and children."""
        module._is_init = True  # type: ignore[assignment]

    def drove(self, module: nn.Module) -> None:
        """The engine runs ``module``, an upstream ``BaseModule``."""
        stats.upstream_driven += 1

    def failed(self) -> None:
        """The init raised; :meth:`finish` follows."""
        self._failed = True

    @contextlib.contextmanager
    def activate(self) -> Iterator[InitEngine]:
        token = _ACTIVE.set(self)
        try:
            yield self
        finally:
            _ACTIVE.reset(token)

    # -- helpers -------------------------------------------------------------
    def tracks(self, t: Tensor) -> bool:
        # ``type(t) is``: nn.Parameter's metaclass makes isinstance a Python-level call
        return (type(t) is nn.Parameter or isinstance(t, nn.Parameter)) and t in self.table

    def _ensure_baseline(self, params: Sequence[Tensor]) -> None:
        """Give ``params`` upstream's initial ``tmp_mean_value`` in the table where they
        have none: their mean now (unseen strings: a NaN, which differs from every mean
        upstream's own code may compare it with)."""
        table = self.table
        if not self.observes:
            for p in params:
                table[p].setdefault("tmp_mean_value", math.nan)
            return
        missing = [p for p in params if "tmp_mean_value" not in table[p]]
        for p, mean in zip(missing, self._means(missing)):
            table[p]["tmp_mean_value"] = mean

    @classmethod
    def _means(cls, params: Sequence[Tensor]) -> list[Any]:
        return cls._host_means([p.detach().mean() for p in params])  # detached: no autograd graph

    @staticmethod
    def _host_means(means: Sequence[Tensor]) -> list[Any]:
        return host_means(means)

    def _seal(self, params: Sequence[Tensor]) -> None:
        """Code outside the engine is about to read ``params``: make their values final
        (what the engine left pending, a subclass's) and give them their baselines."""
        self._ensure_baseline(params)

    def _seal_all(self) -> None:
        """The init ends: make every value the engine left pending final."""

    # -- what initializers call ---------------------------------------------
    def write_all(self, items: Sequence[tuple[Tensor, FillSpec]], info: str) -> None:
        """One initializer's fills, in order (each a tracked parameter's or another tensor's)."""
        raise NotImplementedError

    def check(self, module: nn.Module, info: str) -> None:
        """``update_init_info(module, info)`` for the parameters written since their last check."""
        params, known = self._params_of(module)
        self._check_params(module, params, info, known)

    def _check_params(
        self, module: nn.Module, params: Sequence[Tensor], info: str, known: bool = False
    ) -> None:
        """Upstream's check, at once: each parameter written since its last check gets
        ``info`` where its mean changed."""
        table = self.table
        if not self.observes:  # nobody sees the strings: only upstream's assertion remains
            if not known:
                for p in params:
                    if p not in table:
                        self._unknown(module, p)
            return
        dirty = self._dirty
        need: list[Tensor] = []
        for p in params:
            if not known and p not in table:
                self._unknown(module, p)
            if id(p) in dirty:
                need.append(p)
        if not need:
            return
        self._ensure_baseline(need)
        for p, mean in zip(need, self._means(need)):
            entry = table[p]
            if mean != _scalar(entry["tmp_mean_value"]):
                entry["init_info"], entry["tmp_mean_value"] = info, mean
            del dirty[id(p)]

    @contextlib.contextmanager
    def foreign(self, module: nn.Module, eager: bool = False, what: str = "") -> Iterator[None]:
        """Run code the engine does not control on ``module``'s subtree.

        Args:
            eager: that code reads parameters directly (upstream's own
                ``BaseModule.init_weights``): run the whole subtree without the
                engine, so no deferred value can be seen.
            what: what runs, for fast mode's report of what it could not drive.
        """
        params = self._tracked_params(module)
        self._outside()  # (that code runs next: the tree as it was before it)
        self._seal(params)
        self.mark_all_written(params)
        tokens = None
        if eager:
            stats.eager_subtrees += 1
            self.undriven.append(Undriven(module, what))
            tokens = _ACTIVE.set(None), _EAGER_BLOCK.set(True)
        try:
            yield
        finally:
            if tokens is not None:
                _ACTIVE.reset(tokens[0])
                _EAGER_BLOCK.reset(tokens[1])
            self._outside()
            self.foreign_wrote(module)

    @contextlib.contextmanager
    def foreign_child(self, child: nn.Module, eager: bool) -> Iterator[None]:
        """Run ``child``'s own ``init_weights`` (code that does not start with
        ``super().init_weights()``) inside: :meth:`foreign` on its subtree."""
        with self.foreign(child, eager=eager, what="its own init_weights"):
            yield

    def foreign_wrote(self, module: nn.Module) -> None:
        """Code outside the engine may have written ``module``'s subtree."""
        self._outside()
        self.mark_all_written(self._tracked_params(module))

    def settle(self, module: nn.Module) -> None:
        """Materialise ``module``'s subtree: code outside the engine is about to read it,
        and may write any of it (so its parameters count as written, as after
        :meth:`foreign_wrote`; one walk of the subtree for both)."""
        params = self._tracked_params(module)
        self._outside()  # (that code runs next: the tree as it was before it)
        self._seal(params)
        self.mark_all_written(params)

    def finish(self, keep_table: bool = False) -> None:
        """Materialise and resolve everything (end of init, or an exception).

        Args:
            keep_table: the table outlives this call (an exception skips upstream's
                cleanup, and a later ``init_weights`` reuses the table), so give every
                entry its ``tmp_mean_value`` as upstream's would have.
        """
        self._seal_all()
        if keep_table:
            if not self.observes:  # the table outlives the call: real means, not NaNs
                self.observes = True
                for entry in self.table.values():
                    if isinstance(entry.get("tmp_mean_value"), float) and math.isnan(
                        entry["tmp_mean_value"]
                    ):
                        del entry["tmp_mean_value"]
            self._ensure_baseline(list(self.table))
