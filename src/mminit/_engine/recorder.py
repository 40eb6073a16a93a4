"""Recording an init as a plan's steps (see :mod:`mminit._engine.program`).

The first init of an architecture runs an engine with :class:`PlanRecorder` mixed in:
it does everything the engine does and also writes down, in order, what the walk
asked of it, by position in the tree's pre-order (the ``i``-th parameter of
``named_parameters()``, the ``j``-th module of ``modules()``).  A child's own
``init_weights`` is a barrier: what its ``super()`` walk asks is recorded, the rest
of the user's code is not (it runs again, as the user's code, at every replay).

If anything else ran that the engine does not control (a custom initializer,
``Pretrained``, a warning, an error), the recording is *impure* and nothing is
kept: such inits always walk.  A pure recording becomes a
:class:`~mminit._engine.plan.Plan`.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from torch import Tensor, nn

from .fills import FillSpec, warns
from .program import (
    CHECK,
    DROVE,
    EFFECT,
    FOREIGN,
    INITIALISED,
    SUPER_DONE,
    USER_CODE,
    WRITE,
    Program,
    _Schedule,
    compile_schedule,
)
from .state import InitEngine

__all__ = ["Plan", "PlanRecorder"]


class PlanRecorder(InitEngine):
    """An engine writing down what the walk asks of it (see the module docstring): mixed
    into the compat engine (:class:`~mminit._engine.compat.CompatRecorder`) or the fast
    one (:class:`~mminit._engine.fast_plan.FastPlanRecorder`).

    A child's own ``init_weights`` that starts with ``super().init_weights()`` is a
    *barrier*: what its ``super()`` walk asks is recorded (the replay runs it when the
    user's code calls ``super()``), what the rest of the user's code does is not (it
    runs again, as the user's code, at every replay).

    Args:
        params: the tree's parameters in ``named_parameters()`` order.
        modules: the tree's modules in ``modules()`` order.
    """

    def __init__(
        self,
        table: Any,
        root: nn.Module,
        observes: bool,
        params: Sequence[Tensor],
        modules: Sequence[nn.Module],
    ) -> None:
        super().__init__(table, root=root, observes=observes)
        self.params = list(params)
        self.modules = list(modules)
        # (a fill of a zero-element tensor warns: such a parameter is not in the plan)
        self._pidx = {id(p): i for i, p in enumerate(self.params) if p.numel()}
        #: id(tree index) -> (the index, its first parameter's position in ``params``, or
        #: ``None`` where its parameters are not a run of ``params``)
        self._bases: dict[int, tuple[Any, int | None]] = {}
        self._midx = {id(m): i for i, m in enumerate(self.modules)}
        self.steps: list[tuple[Any, ...]] = []
        #: nothing the engine does not control ran: the steps are the whole init
        self.pure = True
        #: the barriers open now: (module id, whether its super() walk returned)
        self._frames: list[list[Any]] = []
        self._closing: int | None = None  # the barrier whose bookkeeping now runs
        self._after = 0  # open barriers whose super() walk returned (the user's code runs)
        #: the registry names the walk looked up, and what they named
        self.lookups: dict[tuple[int, str], tuple[Any, str, type]] = {}

    @property
    def _recording(self) -> bool:
        """Steps are the plan's (not the rest of a user's ``init_weights``)."""
        return self.pure and not self._after

    def looked_up(self, registry: Any, name: str, found: type) -> None:
        if self._recording:
            self.lookups.setdefault((id(registry), name), (registry, name, found))

    def cannot_replay(self) -> None:
        if self._recording:
            self.pure = False

    def _step(self, step: tuple[Any, ...]) -> None:
        self._closing = None
        self.steps.append(step)

    # -- what the walk asks -------------------------------------------------
    def write_all(self, items: Sequence[tuple[Tensor, FillSpec]], info: str) -> None:
        # (every engine write comes through here: recorded in one pass, before the fills)
        if self._recording:
            pidx, steps = self._pidx, self.steps
            for t, spec in items:
                i = pidx.get(id(t))
                if i is None or (spec.kind == "trunc_normal" and warns(spec)):
                    # not one of the tree's parameters, or torch / upstream warn here:
                    # leave it to the walk
                    self.pure = False
                    break
                steps.append((WRITE, i, spec))
            self._closing = None
        super().write_all(items, info)

    def check(self, module: nn.Module, info: str) -> None:
        if self._recording:
            found = self._param_indices(module)
            if found is not None:
                self._step((CHECK, found, info))
        super().check(module, info)

    def _param_indices(self, module: nn.Module) -> Sequence[int] | None:
        """The positions of ``module.named_parameters()`` in the tree's parameters (``None``,
        and the recording impure, where one is not among them)."""
        span = self._span(module)
        if span is not None:  # a run of the engine's tree index: a run of ours, if aligned
            index, start, end = span
            known = self._bases.get(id(index))
            if known is None or known[0] is not index:
                known = self._bases[id(index)] = (index, self._base_of(index.params))
            base = known[1]
            if base is not None:
                return range(base + start, base + end)
        pidx = self._pidx
        found = [pidx.get(id(p)) for p in self._params_of(module)[0]]
        if any(i is None for i in found):
            self.pure = False
            return None
        return tuple(found)  # type: ignore[arg-type]

    def _base_of(self, run: Sequence[Tensor]) -> int | None:
        """Where ``run`` starts in the tree's parameters, if it is a run of them (all of
        them in the plan)."""
        if not run:
            return 0
        base = self._pidx.get(id(run[0]))
        if base is None or base + len(run) > len(self.params):
            return None
        params, pidx = self.params, self._pidx
        ok = all(params[base + k] is p and id(p) in pidx for k, p in enumerate(run))
        return base if ok else None

    def effect(self, emit: Callable[[], None]) -> None:
        if self._recording:
            self._step((EFFECT, emit))
        emit()

    def initialised(self, module: nn.Module) -> None:
        if self._recording:
            i = self._midx.get(id(module))
            if i is None:
                self.pure = False
            else:
                self._step((INITIALISED, i))
        super().initialised(module)

    def drove(self, module: nn.Module) -> None:
        if self._recording:
            self._step((DROVE,))
        super().drove(module)

    # -- a child's own init_weights (a barrier) -----------------------------
    def expect_user_code(self, module: nn.Module) -> None:
        if self._recording:
            i = self._midx.get(id(module))
            if i is None:
                self.pure = False
            else:
                self._step((USER_CODE, i))
        self._frames.append([id(module), False])
        super().expect_user_code(module)

    def _super_done(self, module: nn.Module) -> bool:
        """``module``'s ``super().init_weights()`` returned to the user's code: ``True`` if
        that is what the engine is told now (else it is code a plan cannot stand for)."""
        if not self._frames or self._frames[-1] != [id(module), False]:
            return False
        if self._recording:
            found = self._param_indices(module)
            if found is not None:
                self._step((SUPER_DONE, found))
        self._frames[-1][1] = True
        self._after += 1
        return True

    def before_write_only_code(self, module: nn.Module, params: list[Tensor] | None) -> None:
        if not self._super_done(module):
            self.cannot_replay()
        super().before_write_only_code(module, params)

    def settle(self, module: nn.Module) -> None:
        if not self._super_done(module):
            self.cannot_replay()
        super().settle(module)

    def user_code_done(self, module: nn.Module) -> bool:
        if self._frames and self._frames[-1][0] == id(module):
            if self._frames.pop()[1]:
                self._after -= 1
            elif self._recording:
                # its super() never reached BaseModule.init_weights (a mixin's init_weights
                # in between, say): what ran inside is the user's, not the plan's
                self.pure = False
        elif self._recording:
            self.pure = False
        self._closing = id(module)
        try:
            return super().user_code_done(module)
        finally:
            self._closing = id(module)

    def wrote(self, params: Sequence[Tensor]) -> None:
        if self._closing is None:
            self.cannot_replay()
        super().wrote(params)

    def foreign_wrote(self, module: nn.Module) -> None:
        if self._closing != id(module) and not (
            self._frames and self._frames[-1] == [id(module), True]
        ):
            self.cannot_replay()
        super().foreign_wrote(module)

    @contextlib.contextmanager
    def foreign_child(self, child: nn.Module, eager: bool) -> Iterator[None]:
        """A child's own ``init_weights`` that does not start with ``super()``: a barrier
        the replay runs whole, as the user's code (nothing inside is the plan's)."""
        if self._recording:
            i = self._midx.get(id(child))
            found = self._param_indices(child)
            if i is None or found is None:
                self.pure = False
            else:
                self._step((FOREIGN, i, eager, found))
        self._after += 1
        try:
            with self.foreign(child, eager=eager, what="its own init_weights"):
                yield
        finally:
            self._after -= 1

    # -- code the engine does not control: the recording cannot stand for the init
    def before_initializer(self, module: nn.Module, initializer: object) -> None:
        self.cannot_replay()
        super().before_initializer(module, initializer)

    @contextlib.contextmanager
    def foreign(self, module: nn.Module, eager: bool = False, what: str = "") -> Iterator[None]:
        self.cannot_replay()
        with super().foreign(module, eager, what):
            yield

    def failed(self) -> None:
        self.pure = False
        super().failed()

    def plan(self) -> Plan | None:
        """The plan of this init, if it was pure."""
        if not self.pure or self._frames:
            return None
        return Plan(self.steps, len(self.params), tuple(self.lookups.values()))


@dataclass
class Plan:
    """A pure recorded init: its steps, compiled on demand (see the module docstring)."""

    steps: list[tuple[Any, ...]]
    n_params: int
    #: ``(registry, name, class)`` for each initializer name the walk looked up: the plan
    #: stands only while each name still means that class
    lookups: tuple[tuple[Any, str, type], ...] = ()
    _programs: dict[bool, Program] = field(default_factory=dict)
    #: the steps as fast mode replays them, per visibility of the dump (see
    #: :mod:`mminit._engine.fast_plan`)
    fast_steps: dict[bool, list[tuple[Any, ...]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        #: a user's ``init_weights`` runs inside (see :class:`PlanRecorder`)
        self.has_barriers = any(step[0] in (USER_CODE, FOREIGN) for step in self.steps)

    @functools.cached_property
    def barriers(self) -> list[tuple[int, Sequence[int]]]:
        """Each barrier's module and its subtree's parameters, by position in the tree."""
        return _barriers(self.steps)

    def current(self) -> bool:
        """Whether every initializer name the walk looked up still means the same class."""
        return all(registry.get(name) is found for registry, name, found in self.lookups)

    def program(self, observes: bool, params: Sequence[Tensor]) -> Program:
        """The program for a dump that is (not) visible; ``params``: a tree of the
        plan's shape, to compute constant fills' means on."""
        prog = self._programs.get(observes)
        if prog is None:
            sched = _Schedule(observes, params)
            for step in self.steps:
                sched.add(step)
            prog = self._programs[observes] = compile_schedule(sched)
        return prog


def _barriers(steps: Sequence[tuple[Any, ...]]) -> list[tuple[int, Sequence[int]]]:
    """Each barrier of ``steps``: its module's position and its parameters' (a user's
    code starting with ``super()``: those its ``super_done`` step names)."""
    out: list[tuple[int, Sequence[int]]] = []
    open_: list[int] = []  # the user's code whose super() walk runs now, innermost last
    for step in steps:
        if step[0] == USER_CODE:
            open_.append(step[1])
        elif step[0] == SUPER_DONE:
            out.append((open_.pop(), step[1]))
        elif step[0] == FOREIGN:
            out.append((step[1], step[3]))
    return out
