"""Plans: one compat init recorded as flat steps, replayed on any tree of the same shape.

The first compat ``init_weights`` of an architecture runs the compat engine with a
plan recorder (:class:`~mminit._engine.compat.CompatRecorder`): the steps the engine
runs as its segments are, together with the barriers where a user's ``init_weights``
runs, the :class:`~mminit._engine.recorder.Plan` of the whole init (see
:mod:`mminit._engine.program` for the steps).  A later init of the same architecture
replays the plan (:func:`replay`): compiled once per visibility of the init-info
dump into a :class:`~mminit._engine.program.Program`, knowing every later fill, so a
random fill that anything later overwrites unread only draws its numbers, wherever
the barriers fall.  At a barrier the replay runs the user's code, whose
``super().init_weights()`` resumes the replay (:func:`resume_replay`).

What decides whether two trees share a plan is the cache key, built by
:mod:`mminit._modules.planned`.
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterator, Sequence
from contextvars import ContextVar
from typing import Any, Protocol

import torch
from torch import Tensor, nn

from .compat import CompatEngine
from .program import CALL_FOREIGN, CALL_USER, Program, ProgramRun
from .recorder import Plan
from .state import eager_block

__all__ = [
    "REPLAYING",
    "Plan",
    "PlanCache",
    "Program",
    "Resumable",
    "plan_cache",
    "replay",
    "resume_replay",
]


class _Replay(ProgramRun):
    """One replay of a program on a tree (see :func:`replay`)."""

    def __init__(
        self,
        prog: Program,
        params: Sequence[Tensor],
        modules: Sequence[nn.Module],
        table: Any,
        observes: bool,
    ) -> None:
        super().__init__(prog, params, table)
        self.modules = modules
        self.observes = observes
        self.grad = torch.is_grad_enabled()  # the caller's, for the user's code
        self.waiting: list[int] = []  # ids of the modules whose super() the replay awaits

    def barrier(self, op: tuple[Any, ...]) -> bool:
        tag = op[0]
        if tag == CALL_USER:
            self.resolve(self.prog.flush_upto[op[2]])
            self._call_user(self.modules[op[1]])
        elif tag == CALL_FOREIGN:
            self.resolve(self.prog.flush_upto[op[3]])
            self._call_foreign(self.modules[op[1]], op[2])
        else:  # RETURN_TO_USER
            self.resolve(self.prog.flush_upto[op[1]])
            return True
        return False

    def _call_foreign(self, module: nn.Module, eager: bool) -> None:
        """Run ``module``'s own ``init_weights`` whole, as the walk's
        :meth:`~mminit._engine.state.InitEngine.foreign_child` does (where the dump is
        seen, under a compat engine of its own; else as plain code)."""
        with torch.set_grad_enabled(self.grad):
            if not self.observes:
                with eager_block() if eager else contextlib.nullcontext():
                    module.init_weights()  # type: ignore[operator]
                return
            engine = CompatEngine(self.table, module, observes=True, counted=False)
            with engine.activate(), engine.foreign_child(module, eager):
                module.init_weights()  # type: ignore[operator]
        engine.finish()

    def _call_user(self, module: nn.Module) -> None:
        """Run ``module``'s own ``init_weights``; its ``super()`` call resumes the replay
        (:func:`resume_replay`).  Where the dump is seen, under a compat engine of its own,
        as in the walk (its checks are the dump's); where it is not, as plain code: the
        values, and the random stream, are upstream's either way."""
        engine = (
            CompatEngine(self.table, module, observes=True, counted=False)
            if self.observes
            else None
        )
        self.waiting.append(id(module))
        token = _REPLAYING.set(self)
        try:
            with torch.set_grad_enabled(self.grad):
                if engine is None:
                    module.init_weights()  # type: ignore[operator]
                else:
                    with engine.activate():
                        engine.run_user_code(module)
        finally:
            _REPLAYING.reset(token)
        if engine is not None:
            engine.finish()  # its checks' strings are in the table before the replay goes on
        if self.waiting and self.waiting[-1] == id(module):
            raise RuntimeError(
                f"{type(module).__name__}.init_weights did not call super().init_weights() "
                "this time, unlike when its plan was recorded; set MMINIT_PLAN_CACHE=0"
            )


class Resumable(Protocol):
    """A replay that a user's ``super().init_weights()`` resumes (:func:`resume_replay`)."""

    #: ids of the modules whose ``super()`` the replay awaits, innermost last
    waiting: list[int]

    def run(self) -> None:
        """Run the plan until the end, or until the awaited barrier's ``super()`` part ends."""


_REPLAYING: ContextVar[Resumable | None] = ContextVar("mminit_replaying", default=None)


def resume_replay(module: nn.Module) -> bool:
    """If a replay awaits ``module``'s ``super().init_weights()``, run that part of the
    plan now and return ``True`` (the caller then hands back to the user's code as the
    walk does); ``False``: walk as usual."""
    rep = _REPLAYING.get()
    if rep is None or not rep.waiting or rep.waiting[-1] != id(module):
        return False
    rep.waiting.pop()
    token = _REPLAYING.set(None)  # code in this part is the plan's, not the user's
    try:
        rep.run()
    finally:
        _REPLAYING.reset(token)
    return True


def replay(
    plan: Plan,
    params: Sequence[Tensor],
    modules: Sequence[nn.Module],
    table: Any,
    observes: bool,
) -> None:
    """Run ``plan`` on a tree of its shape: the same fills, random draws, records and
    (where the dump is visible) the same ``table`` entries as the recorded init."""
    prog = plan.program(observes, params)
    rep = _Replay(prog, params, modules, table, observes)
    if plan.has_barriers and not observes:
        # a user's code may call update_init_info, which compares with this (unseen)
        for p in params:
            table[p].setdefault("tmp_mean_value", math.nan)
    rep.take_baselines()
    rep.run()
    rep.resolve(len(prog.records))


class PlanCache:
    """The plans of the architectures met so far, least recently used dropped first."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._plans: OrderedDict[Hashable, Plan] = OrderedDict()
        self._lock = threading.Lock()  # inits in several threads share the cache
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> Plan | None:
        with self._lock:
            plan = self._plans.get(key)
            if plan is None:
                self.misses += 1
                return None
            self._plans.move_to_end(key)
            self.hits += 1
            return plan

    def put(self, key: Hashable, plan: Plan) -> None:
        with self._lock:
            self._plans[key] = plan
            self._plans.move_to_end(key)
            while len(self._plans) > self.size:
                self._plans.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._plans.clear()

    @contextlib.contextmanager
    def isolated(self) -> Iterator[None]:
        """Inside, the cache starts empty; afterwards it holds what it held before (a
        first init measured or tested without touching the other plans)."""
        with self._lock:
            saved = list(self._plans.items())
            self._plans.clear()
        try:
            yield
        finally:
            with self._lock:
                self._plans.clear()
                self._plans.update(saved)

    def __len__(self) -> int:
        return len(self._plans)

    def __iter__(self) -> Iterator[Hashable]:
        return iter(self._plans)


#: the process's plan cache (see :mod:`mminit._modules.planned`)
plan_cache = PlanCache()


#: the replay a user's ``super().init_weights()`` resumes, while that user's code runs
REPLAYING = _REPLAYING
