"""The compat engine: upstream's init sequence, minus the work nobody can observe.

Upstream applies every ``init_cfg`` to a module's whole subtree before the
children apply theirs, so most transformer weights are filled 2-3 times, and
it recomputes every parameter's mean after every initializer.  While
``BaseModule.init_weights`` runs (mminit's, or an upstream one mminit drives),
:class:`CompatEngine` touches no tensor: it writes down what the walk asks (each
fill, each check) as the steps of a plan (:mod:`mminit._engine.program`), and runs
them as one compiled program, a *segment*, only where code outside the engine may
read the parameters (a user's ``init_weights`` after its ``super()``, a custom
initializer, ``Pretrained``) and at the end.  So, within a segment:

* a random fill that a later fill overwrites only draws its numbers (the random
  stream, and every surviving value, stays upstream's), a constant one is skipped;
* a check takes a mean only of what was written since the parameter's last check,
  consecutive checks with one string need only the last one's (the others' are
  regenerated from saved generator states in the rare case the last one equals the
  mean before them), and the means are read on the host once per segment, one
  transfer per dtype and device;
* with the init-info dump unseen, no mean is taken at all.

A fill the engine cannot run later without changing what the user sees (one that
warns or raises, a tensor that is not a plain ``nn.Parameter`` of the tree) ends the
segment and runs at once, as upstream's.  Inside code the engine does not control
(the rest of a user's ``init_weights``), whatever that code asks of the engine runs
at once too, since that code may read it right after.

:class:`CompatRecorder` is the same engine recording a plan of the whole init for
the cache (:mod:`mminit._engine.plan`).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from typing import Any

import torch
from torch import Tensor, nn

from .fills import (
    FillSpec,
    apply_fill,
    fill_plain,
    trunc_normal_draw,
    trunc_normal_transform,
    warns,
)
from .program import CHECK, WRITE, Program, ProgramRun, _Schedule, compile_schedule
from .recorder import PlanRecorder
from .state import InitEngine, regenerated_mean

__all__ = ["CompatEngine", "CompatRecorder", "compat_engine_classes", "using_compat_engines"]

_KNOWN_NONLINEARITIES = frozenset(
    {
        "linear",
        "conv1d",
        "conv2d",
        "conv3d",
        "conv_transpose1d",
        "conv_transpose2d",
        "conv_transpose3d",
        "sigmoid",
        "tanh",
        "relu",
        "leaky_relu",
    }
)


def _number(x: Any) -> bool:
    return type(x) in (int, float) and math.isfinite(x)


def _safe_spec(spec: FillSpec) -> bool:
    """Whether ``spec``, on a non-empty floating-point tensor (of two dimensions or more
    for the fan-based kinds), neither raises nor warns: such a fill may run later."""
    kind, args = spec
    try:
        if kind == "constant":
            return len(args) == 1 and _number(args[0])
        if kind == "normal":
            return len(args) == 2 and _number(args[0]) and _number(args[1]) and args[1] >= 0
        if kind == "uniform":
            a, b = args
            return _number(a) and _number(b) and a <= b and abs(a) < 1e30 and abs(b) < 1e30
        if kind == "trunc_normal":
            _, std, a, b = args
            return all(_number(x) for x in args) and std > 0 and a < b and not warns(spec)
        if kind in ("xavier_uniform", "xavier_normal"):
            return len(args) == 1 and _number(args[0])
        if kind in ("kaiming_uniform", "kaiming_normal"):
            slope, mode, nonlinearity = args
            return (
                _number(slope)
                and mode in ("fan_in", "fan_out")
                and nonlinearity in _KNOWN_NONLINEARITIES
            )
    except (TypeError, ValueError):
        return False
    return False


_SAFE: dict[FillSpec, bool] = {}


def _runs_later(t: Tensor, spec: FillSpec) -> bool:
    """Whether the fill ``spec`` of the tracked parameter ``t`` may join the segment."""
    try:
        safe = _SAFE.get(spec)
    except TypeError:  # an unhashable argument
        return False
    if safe is None:
        safe = _SAFE[spec] = _safe_spec(spec)
    if not safe or type(t) is not nn.Parameter or not t.is_floating_point() or not t.numel():
        return False
    return spec.kind[0] not in "xk" or t.dim() >= 2  # (xavier_*, kaiming_*: a fan)


class CompatEngine(InitEngine):
    """The compat engine (see the module docstring).

    Args:
        tensors: the parameters to number first, in order (a recorder's tree), so a
            segment's steps and the plan's are the same tuples.
    """

    def __init__(
        self,
        table: Any,
        root: nn.Module | None = None,
        observes: bool = True,
        counted: bool = True,
        tensors: Sequence[Tensor] = (),
    ) -> None:
        super().__init__(table, root=root, observes=observes, counted=counted)
        self._tensors: list[Tensor] = list(tensors)
        self._slot: dict[int, int] = {id(p): i for i, p in enumerate(self._tensors)}
        #: the steps of the segment not run yet
        self._pending: list[tuple[Any, ...]] = []
        #: positions written (or possibly written by code outside the engine) and not
        #: checked since, as of the last segment
        self._carried: set[int] = set()
        #: the modules whose own code runs now, after their ``super().init_weights()``
        self._regions: list[int] = []
        #: code outside the engine (a custom initializer, a foreign ``init_weights``) running
        self._foreign_depth = 0
        #: baselines of parameters filled at once, taken on the device before the fill and
        #: read with the next segment's means
        self._due: dict[int, tuple[int, Tensor]] = {}

    @property
    def _outside_code(self) -> bool:
        """Code outside the engine runs now: what it asks of the engine runs at once."""
        return bool(self._regions or self._foreign_depth)

    # -- positions ------------------------------------------------------------
    def _slot_of(self, p: Tensor) -> int:
        i = self._slot.get(id(p))
        if i is None:
            i = self._slot[id(p)] = len(self._tensors)
            self._tensors.append(p)
        return i

    def mark_written(self, p: Tensor) -> None:
        self._carried.add(self._slot_of(p))

    def mark_all_written(self, params: Sequence[Tensor]) -> None:
        self._carried.update(map(self._slot_of, params))

    def mark_checked(self, p: Tensor) -> None:
        i = self._slot.get(id(p))
        if i is not None:
            self._carried.discard(i)

    # -- what the walk asks -----------------------------------------------------
    def write_all(self, items: Sequence[tuple[Tensor, FillSpec]], info: str) -> None:
        pending, table = self._pending, self.table
        for t, spec in items:
            if _runs_later(t, spec) and t in table:
                pending.append((WRITE, self._slot_of(t), spec))
            else:
                self._write_now(t, spec)
                pending = self._pending  # (a new segment)
        if self._outside_code:
            self._flush()

    def _write_now(self, t: Tensor, spec: FillSpec) -> None:
        """Fill ``t`` at once, as upstream does (after the segment so far: the same order)."""
        self._flush()
        tracked = self.tracks(t)
        if (
            tracked
            and self.observes
            and id(t) not in self._due
            and "tmp_mean_value" not in self.table[t]
        ):
            self._due[id(t)] = (self._slot_of(t), t.detach().mean())
        with torch.no_grad():
            if spec.kind == "trunc_normal":  # (its warning from this frame's caller, as upstream's)
                trunc_normal_draw(t, *spec.args)
                trunc_normal_transform(t, *spec.args)
            elif type(t) is nn.Parameter:
                fill_plain(t, spec)
            else:
                apply_fill(t, spec)
        if tracked:
            self.mark_written(t)

    def check(self, module: nn.Module, info: str) -> None:
        params, known = self._params_of(module)
        self._check_slots(module, params, info, known)

    def _check_slots(
        self, module: nn.Module, params: Sequence[Tensor], info: str, known: bool
    ) -> None:
        if not known:
            table = self.table
            for p in params:
                if p not in table:
                    self._unknown(module, p)
        if not self.observes:  # nobody sees the strings: only upstream's assertion remains
            return
        slot = self._slot
        found = [i for i in [slot.get(id(p)) for p in params] if i is not None]
        if found:
            self._pending.append((CHECK, found, info))
        if self._outside_code:
            self._flush()

    # -- segments ------------------------------------------------------------------
    def _flush(self, reads: Sequence[Tensor] = ()) -> None:
        """Run the segment so far; ``reads``: parameters code outside the engine reads
        next (each given its baseline)."""
        steps = self._pending
        self._pending = []
        sched = _Schedule(self.observes, self._tensors, known_constants=False)
        sched.carry(self._carried)
        for step in steps:
            sched.add(step)
        prog = compile_schedule(sched)
        self._carried = sched.dirty
        run = self._program_run(prog)
        extra: list[int] = []
        if self.observes:
            # a baseline for each parameter a later check may compare (written here and
            # not checked since) or that code outside the engine reads next, where the
            # table has none: the value before this segment's fills
            # (a parameter filled at once has its baseline in ``_due`` already)
            table, tensors, have = self.table, self._tensors, prog.baselines
            wanted = {i for i in sched.last if i in sched.dirty}
            wanted.update(self._slot_of(p) for p in reads)
            wanted.difference_update(i for i, _ in self._due.values())
            extra = [
                i for i in wanted if i not in have and "tmp_mean_value" not in table[tensors[i]]
            ]
        else:
            for p in reads:
                self.table[p].setdefault("tmp_mean_value", math.nan)
        run.take_baselines(extra, skip_known=True)
        if self._due:
            run.extra += self._due.values()
            self._due = {}
        run.run()
        run.resolve(len(prog.records))

    def _program_run(self, prog: Program) -> ProgramRun:
        """The run of one segment's program on the parameters."""
        return ProgramRun(
            prog,
            self._tensors,
            self.table,
            self._host_means,
            lambda p, args, rng_state: self._regenerate_mean(p, (args, rng_state)),
        )

    def _regenerate_mean(self, p: Tensor, draw: tuple[tuple[Any, ...], Tensor]) -> Any:
        """The mean of a truncated normal that was only drawn: ``draw`` is its arguments
        and the generator state before the draw."""
        return regenerated_mean(p, *draw)

    def _seal(self, params: Sequence[Tensor]) -> None:
        self._flush(reads=params)

    def _seal_all(self) -> None:
        self._flush()

    # -- code outside the engine -------------------------------------------------------
    def expect_user_code(self, module: nn.Module) -> None:
        if "init_weights" in module.__dict__:  # the instance's own code runs before super()
            self._flush()
        super().expect_user_code(module)

    def before_write_only_code(self, module: nn.Module, params: list[Tensor] | None) -> None:
        super().before_write_only_code(module, params)
        self._regions.append(id(module))

    def settle(self, module: nn.Module) -> None:
        super().settle(module)
        self._regions.append(id(module))

    def user_code_done(self, module: nn.Module) -> bool:
        if self._regions and self._regions[-1] == id(module):
            self._regions.pop()
        self._flush()
        return super().user_code_done(module)

    @contextlib.contextmanager
    def foreign(self, module: nn.Module, eager: bool = False, what: str = "") -> Iterator[None]:
        regions = len(self._regions)
        with super().foreign(module, eager, what):
            self._foreign_depth += 1
            try:
                yield
            finally:
                self._foreign_depth -= 1
                del self._regions[regions:]  # (a settle inside, with no user_code_done)
                self._flush()


class CompatRecorder(PlanRecorder, CompatEngine):
    """The compat engine recording a plan of the init (:class:`PlanRecorder`)."""

    def __init__(
        self,
        table: Any,
        root: nn.Module,
        observes: bool,
        params: Sequence[Tensor],
        modules: Sequence[nn.Module],
    ) -> None:
        super().__init__(table, root, observes, params, modules)
        self._tensors = list(params)
        self._slot = {id(p): i for i, p in enumerate(self._tensors)}

    # (the engine's positions are the plan's: one step tuple serves both)
    def write_all(self, items: Sequence[tuple[Tensor, FillSpec]], info: str) -> None:
        if not self._recording:
            CompatEngine.write_all(self, items, info)
            return
        pidx, steps, pending, table = self._pidx, self.steps, self._pending, self.table
        recording = True
        for t, spec in items:
            i = pidx.get(id(t))  # (one of the tree's parameters, so in the table)
            if recording and (i is None or warns(spec)):
                # not one of the tree's parameters, or torch / upstream warn here: what
                # follows is the walk's alone
                self.pure = recording = False
            if i is not None and _runs_later(t, spec):
                step = (WRITE, i, spec)
                pending.append(step)
            elif i is None and _runs_later(t, spec) and t in table:
                step = (WRITE, self._slot_of(t), spec)
                pending.append(step)
            else:
                self._write_now(t, spec)
                pending = self._pending  # (a new segment)
                step = (WRITE, i or 0, spec)  # (recorded only where i is a position)
            if recording:
                steps.append(step)
        self._closing = None

    def check(self, module: nn.Module, info: str) -> None:
        if self._recording:
            found = self._param_indices(module)
            if found is not None:  # each of the tree's parameters, so in the table
                self._step((CHECK, found, info))
                if self.observes:
                    self._pending.append((CHECK, found, info))
                return
        CompatEngine.check(self, module, info)


_CLASSES: ContextVar[tuple[type[CompatEngine], type[CompatRecorder]]] = ContextVar(
    "mminit_compat_engine_classes", default=(CompatEngine, CompatRecorder)
)


def compat_engine_classes() -> tuple[type[CompatEngine], type[CompatRecorder]]:
    """The engine and recorder classes a compat ``init_weights`` starts (``mminit.explain``
    records with subclasses of its own)."""
    return _CLASSES.get()


@contextlib.contextmanager
def using_compat_engines(
    engine: type[CompatEngine], recorder: type[CompatRecorder]
) -> Iterator[None]:
    """Inside the block, compat inits run ``engine`` (a tree the plan cache cannot key) or
    ``recorder`` (one it can: the plan is recorded anew, never replayed from the cache)."""
    token = _CLASSES.set((engine, recorder))
    try:
        yield
    finally:
        _CLASSES.reset(token)
