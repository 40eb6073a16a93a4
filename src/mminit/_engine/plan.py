"""Plans: one compat init recorded as flat steps, replayed on any tree of the same shape.

The first compat ``init_weights`` of an architecture runs the compat engine
(:class:`~mminit._engine.state.InitEngine`) with a :class:`PlanRecorder`: it
does everything the engine does and also writes down, in order, what the walk
asked of it, by position in the tree's pre-order (the ``i``-th parameter of
``named_parameters()``, the ``j``-th module of ``modules()``):

* ``write``: a fill of a parameter (:class:`~mminit._engine.fills.FillSpec`);
* ``check``: an ``update_init_info`` of a module (its parameters, the info string);
* ``effect``: a log record the walk made (replayed by calling the same function);
* ``initialised``: a module's ``_is_init`` set; ``drove``: an upstream module run;
* *barriers*, where a child's own ``init_weights`` runs: ``user_code`` /
  ``super_done`` around what its ``super().init_weights()`` asked (the user's code
  before and after is not recorded: it runs again at every replay), or ``foreign``
  for one that does not start with ``super()`` (run whole at every replay).

If anything else ran that the engine does not control (a custom initializer,
``Pretrained``, a warning, an error), the recording is *impure* and nothing is
kept: such inits always walk.  A pure recording becomes a :class:`Plan`, compiled
once per visibility of the init-info dump into a :class:`Program`, a flat list of
operations:

* every fill whose value survives (the last one of its parameter, or one a
  visible check or a barrier's code may read) runs in full, as upstream's;
* a random fill overwritten before anyone reads it only draws its numbers
  (``trunc_normal``: the ``uniform_`` draw without the transform), so the
  random stream, and every surviving value, stays upstream's; an overwritten
  constant fill is skipped;
* with the dump visible, a check takes the mean of each parameter written
  since its last check (a constant fill's mean is computed once, from the plan),
  a parameter's consecutive same-string checks fold into one record (the earlier
  ones' means are needed only where the run ends on the mean it started from, and
  are then regenerated from saved generator states), the baselines are taken
  before the first fill, and the means are read on the host at each barrier and
  at the end, one transfer per dtype and device, the strings resolved with
  ``update_init_info``'s rule ("the mean changed").  With the dump unseen no mean
  is taken at all.

:func:`replay` runs a program on a tree; what decides whether two trees share a
plan is the cache key, built by :mod:`mminit._modules.planned`.
"""

from __future__ import annotations

import contextlib
import functools
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Protocol

import torch
from torch import Tensor, nn

from .fills import FillSpec, _trunc_normal_bounds, fill_plain, fixed_result
from .state import InitEngine, _generator_for, eager_block, host_means, regenerated_mean, stats

__all__ = [
    "REPLAYING",
    "Plan",
    "PlanCache",
    "PlanRecorder",
    "Program",
    "Resumable",
    "plan_cache",
    "replay",
    "resume_replay",
]

# step tags (tuples, not objects: a replay touches each once)
WRITE, CHECK, EFFECT, INITIALISED, DROVE, USER_CODE, SUPER_DONE, FOREIGN = range(8)
# program operation tags
FULL, DRAW, RUN_EFFECT, SET_INIT, COUNT_DROVE, MEAN = range(6)
CALL_USER, RETURN_TO_USER, DRAW_SAVE, CALL_FOREIGN = range(6, 10)


class PlanRecorder(InitEngine):
    """The compat engine, writing down what the walk asks of it (see the module docstring).

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
                if i is None or (spec.kind == "trunc_normal" and _warns(spec)):
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


def _warns(spec: FillSpec) -> bool:
    """Whether the fill warns (a truncated normal far from its bounds)."""
    if spec.kind != "trunc_normal":
        return False
    mean, std, a, b = spec.args
    try:
        return bool((mean < a - 2 * std) or (mean > b + 2 * std))
    except TypeError:
        return True


def _known_mean(p: Tensor, spec: FillSpec) -> Any:
    """The mean upstream's check reads after the constant fill ``spec`` of ``p``: computed
    once, on a tensor like ``p`` (same shape, dtype, device and strides)."""
    return fixed_result(p.detach(), spec).mean().item()


@dataclass
class Program:
    """A plan compiled for one visibility of the dump (see the module docstring)."""

    ops: list[tuple[Any, ...]]
    #: the visible checks, a record per run of one parameter's consecutive checks with
    #: one info string: ``(parameter, info, last, earlier)``, each a value source:
    #: ``("m", slot)`` a mean taken at replay, ``("k", mean)`` a constant fill's, or
    #: ``("r", save, spec)`` a truncated normal drawn only (its mean regenerated from the
    #: generator state saved before its draw, if ever needed)
    records: list[tuple[int, str, tuple[Any, ...], tuple[tuple[Any, ...], ...]]]
    #: per flush (a barrier's start and end), how many records it applies
    flush_upto: list[int]
    #: per parameter with visible checks, the slot of its baseline mean (taken first)
    baselines: dict[int, int]
    n_means: int
    n_saves: int


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
            prog = self._programs[observes] = _compile(self, observes, params)
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


_UNKNOWN = (None, None)  # a parameter the user's code may have written: its mean is read


class _Schedule:
    """A plan's steps as operations, in order, before pruning (see :func:`_compile`)."""

    def __init__(self, observes: bool, params: Sequence[Tensor]) -> None:
        self.observes = observes
        self.params = params
        self.ops: list[tuple[Any, ...]] = []
        # parameter -> (op index, spec) of its latest write (_UNKNOWN after user code)
        self.last: dict[int, tuple[int | None, FillSpec | None]] = {}
        self.readers: dict[int, int] = {}  # write op index -> how many read it
        self.dirty: set[int] = set()
        # per visible check: (parameter, info, source, write op read, MEAN op, flush no.)
        self.checks: list[tuple[int, str, tuple[Any, ...], int | None, int | None, int]] = []
        self.flushes = 0
        self.n_means = 0

    def add(self, step: tuple[Any, ...]) -> None:
        tag, ops = step[0], self.ops
        if tag == WRITE:
            self.last[step[1]] = (len(ops), step[2])
            ops.append((FULL, step[1], step[2]))
            self.dirty.add(step[1])
        elif tag == CHECK:
            if self.observes:
                self._check(step[1], step[2])
        elif tag == EFFECT:
            ops.append((RUN_EFFECT, step[1]))
        elif tag == INITIALISED:
            ops.append((SET_INIT, step[1]))
        elif tag == DROVE:
            ops.append((COUNT_DROVE,))
        elif tag == USER_CODE:
            self._flush_op((CALL_USER, step[1]))
        elif tag == FOREIGN:  # the child's code may read, and write, every parameter below
            self._code_may_touch(step[3])
            self._flush_op((CALL_FOREIGN, step[1], step[2]))
        else:  # SUPER_DONE: the user's code may read, and write, every parameter below
            self._code_may_touch(step[1])
            self._flush_op((RETURN_TO_USER,))

    def _check(self, params: tuple[int, ...], info: str) -> None:
        for i in params:
            if i not in self.dirty:
                continue
            self.dirty.discard(i)
            j, spec = self.last[i]
            if spec is not None and spec.kind == "constant":
                known = ("k", _known_mean(self.params[i], spec))
                self.checks.append((i, info, known, None, None, self.flushes))
                continue
            if j is not None:
                self.readers[j] = self.readers.get(j, 0) + 1
            self.checks.append((i, info, ("m", self.n_means), j, len(self.ops), self.flushes))
            self.ops.append((MEAN, self.n_means, i))
            self.n_means += 1

    def _code_may_touch(self, params: tuple[int, ...]) -> None:
        for i in params:
            j, _ = self.last.get(i, _UNKNOWN)
            if j is not None:
                self.readers[j] = self.readers.get(j, 0) + 1
            self.last[i] = _UNKNOWN
            self.dirty.add(i)

    def _flush_op(self, op: tuple[Any, ...]) -> None:
        """A barrier's operation: the visible checks so far are applied to the table first."""
        self.ops.append((*op, self.flushes))
        self.flushes += 1


def _compile(plan: Plan, observes: bool, params: Sequence[Tensor]) -> Program:
    sched = _Schedule(observes, params)
    for step in plan.steps:
        sched.add(step)
    ops, readers = sched.ops, sched.readers
    final = {j for j, _ in sched.last.values() if j is not None}
    records, dropped, n_saves = _runs(sched.checks, ops, readers, final)
    out: list[tuple[Any, ...]] = []
    for j, op in enumerate(ops):
        if j in dropped:
            continue
        if op[0] == FULL and j not in final and not readers.get(j):
            spec = op[2]
            if spec.kind == "constant":
                continue  # overwritten unread (or read through its known mean): no draw
            if spec.kind == "trunc_normal":
                op = (DRAW, op[1], spec)  # the draw alone: the transform is overwritten
        out.append(op)
    flush_upto = [0] * sched.flushes
    for rec_no, (_, _, _, _, seg) in enumerate(records):
        for f in range(seg, sched.flushes):
            flush_upto[f] = rec_no + 1
    # a baseline for each parameter a visible check compares, taken before any fill
    n_means = sched.n_means
    baselines: dict[int, int] = {}
    for i, *_ in records:
        if i not in baselines:
            baselines[i] = n_means + len(baselines)
    recs = [rec[:4] for rec in records]
    return Program(out, recs, flush_upto, baselines, n_means + len(baselines), n_saves)


def _runs(
    checks: list[tuple[int, str, tuple[Any, ...], int | None, int | None, int]],
    ops: list[tuple[Any, ...]],
    readers: dict[int, int],
    final: set[int],
) -> tuple[list[tuple[Any, ...]], set[int], int]:
    """Fold each parameter's consecutive checks with one info string (between two
    flushes) into one record.  Whatever the earlier checks of such a run saw, the run ends
    with its info string and its last mean if any of its means differs from the one before
    the run; so the earlier means are needed only when the last equals that one.  An
    earlier check that read a truncated normal nobody else reads and that is overwritten
    later no longer reads it: the fill only draws (its generator state saved first), and
    its mean is regenerated in that rare case.  Returns the records, the MEAN operations
    no longer needed, and the number of saved generator states."""
    runs: list[list[Any]] = []
    open_run: dict[int, list[Any]] = {}  # parameter -> its run still open
    for i, info, source, j, mean_op, seg in checks:
        run = open_run.get(i)
        if run is None or run[1] != info or run[4] != seg:
            run = open_run[i] = [i, info, [], [], seg]
            runs.append(run)
        run[2].append((source, j, mean_op))
    dropped: set[int] = set()
    n_saves = 0
    records: list[tuple[Any, ...]] = []
    for i, info, members, _, seg in runs:
        earlier: list[tuple[Any, ...]] = []
        for source, j, mean_op in members[:-1]:
            if (
                source[0] == "m"
                and j is not None
                and j not in final
                and readers.get(j) == 1
                and ops[j][0] == FULL
                and ops[j][2].kind == "trunc_normal"
            ):
                readers[j] = 0
                dropped.add(mean_op)
                ops[j] = (DRAW_SAVE, i, ops[j][2], n_saves)
                earlier.append(("r", n_saves, ops[j][2]))
                n_saves += 1
            else:
                earlier.append(source)
        records.append((i, info, members[-1][0], tuple(earlier), seg))
    return records, dropped, n_saves


class _Replay:
    """One replay of a program on a tree (see :func:`replay`)."""

    def __init__(
        self,
        prog: Program,
        params: Sequence[Tensor],
        modules: Sequence[nn.Module],
        table: Any,
        observes: bool,
    ) -> None:
        self.ops = prog.ops
        self.prog = prog
        self.params = params
        self.modules = modules
        self.table = table
        self.observes = observes
        self.means: list[Any] = [None] * prog.n_means
        self.saves: list[Any] = [None] * prog.n_saves  # generator states before draws
        self.resolved = 0  # records already applied to the table
        self.pos = 0
        self.grad = torch.is_grad_enabled()  # the caller's, for the user's code
        self.waiting: list[int] = []  # ids of the modules whose super() the replay awaits

    def run(self) -> None:
        """Run operations until the end, or until a barrier's ``super()`` part ends."""
        ops, params, means = self.ops, self.params, self.means
        n = len(ops)
        with torch.no_grad():
            while self.pos < n:
                op = ops[self.pos]
                self.pos += 1
                tag = op[0]
                if tag == FULL:
                    fill_plain(params[op[1]], op[2])
                elif tag == DRAW:
                    mean, std, a, b = op[2].args
                    low, high = _trunc_normal_bounds(mean, std, a, b, warn=False)
                    params[op[1]].uniform_(low, high)
                elif tag == MEAN:
                    means[op[1]] = params[op[2]].detach().mean()
                elif tag == DRAW_SAVE:
                    p = params[op[1]]
                    self.saves[op[3]] = _generator_for(p).get_state()
                    mean, std, a, b = op[2].args
                    low, high = _trunc_normal_bounds(mean, std, a, b, warn=False)
                    p.uniform_(low, high)
                elif tag == RUN_EFFECT:
                    op[1]()
                elif tag == SET_INIT:
                    self.modules[op[1]]._is_init = True
                elif tag == COUNT_DROVE:
                    stats.upstream_driven += 1
                elif tag == CALL_USER:
                    self.resolve(self.prog.flush_upto[op[2]])
                    self._call_user(self.modules[op[1]])
                elif tag == CALL_FOREIGN:
                    self.resolve(self.prog.flush_upto[op[3]])
                    self._call_foreign(self.modules[op[1]], op[2])
                else:  # RETURN_TO_USER
                    self.resolve(self.prog.flush_upto[op[1]])
                    return

    def resolve(self, upto: int) -> None:
        """Apply the visible checks made so far to the table (``update_init_info``'s rule:
        a new string where the mean changed), as the walk's table is at this point; the
        means they need are read on the host now, one transfer per dtype and device."""
        todo = self.prog.records[self.resolved : upto]
        if not todo:
            return
        self.resolved = upto
        baselines, means = self.prog.baselines, self.means
        slots = {baselines[i] for i, *_ in todo}
        for _, _, last, earlier in todo:
            slots.update(src[1] for src in (last, *earlier) if src[0] == "m")
        order = sorted(slots)
        values = dict(zip(order, host_means([means[s] for s in order])))
        table, params = self.table, self.params
        for i, info, last, earlier in todo:
            entry = table[params[i]]
            before = entry.get("tmp_mean_value", _ABSENT)
            before = values[baselines[i]] if before is _ABSENT else _host(before)
            end = self._value(last, i, values)
            if end != before or any(self._value(src, i, values) != before for src in earlier):
                entry["init_info"], entry["tmp_mean_value"] = info, end
            else:
                entry["tmp_mean_value"] = before

    def _value(self, src: tuple[Any, ...], i: int, values: dict[int, Any]) -> Any:
        """The mean a check saw (regenerated for a truncated normal that was only drawn)."""
        if src[0] == "m":
            return values[src[1]]
        if src[0] == "k":
            return src[1]
        return regenerated_mean(self.params[i], src[2].args, self.saves[src[1]])

    def _call_foreign(self, module: nn.Module, eager: bool) -> None:
        """Run ``module``'s own ``init_weights`` whole, as the walk's
        :meth:`~mminit._engine.state.InitEngine.foreign_child` does (where the dump is
        seen, under a compat engine of its own; else as plain code)."""
        with torch.set_grad_enabled(self.grad):
            if not self.observes:
                with eager_block() if eager else contextlib.nullcontext():
                    module.init_weights()  # type: ignore[operator]
                return
            engine = InitEngine(self.table, module, observes=True, counted=False)
            with engine.activate(), engine.foreign_child(module, eager):
                module.init_weights()  # type: ignore[operator]
        engine.finish()

    def _call_user(self, module: nn.Module) -> None:
        """Run ``module``'s own ``init_weights``; its ``super()`` call resumes the replay
        (:func:`resume_replay`).  Where the dump is seen, under a compat engine of its own,
        as in the walk (its checks are the dump's); where it is not, as plain code: the
        values, and the random stream, are upstream's either way."""
        engine = (
            InitEngine(self.table, module, observes=True, counted=False) if self.observes else None
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


_ABSENT = object()


def _host(x: Any) -> Any:
    return x.item() if isinstance(x, Tensor) else x


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
    for i, slot in prog.baselines.items():
        rep.means[slot] = params[i].detach().mean()
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
