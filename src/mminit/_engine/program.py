"""Programs: recorded init steps compiled into flat operations, and their runs.

The steps (tuples, by position in a list of parameters / modules):

* ``(WRITE, i, spec)``: a fill of parameter ``i`` (:class:`~mminit._engine.fills.FillSpec`);
* ``(CHECK, params, info)``: an ``update_init_info`` of a module (its parameters, the
  info string);
* ``(EFFECT, emit)``, ``(INITIALISED, j)``, ``(DROVE,)``: a log record, a module's
  ``_is_init`` set, an upstream module run;
* barriers, where a user's ``init_weights`` runs: ``(USER_CODE, j)`` / ``(SUPER_DONE,
  params)`` around what its ``super()`` asked, or ``(FOREIGN, j, eager, params)``.

A :class:`_Schedule` turns steps into operations and :func:`compile_schedule` prunes
them into a :class:`Program`:

* every fill whose value survives (the last one of its parameter, or one a
  visible check or a barrier's code may read) runs in full, as upstream's;
* a random fill overwritten before anyone reads it only draws its numbers
  (``trunc_normal``: the ``uniform_`` draw without the transform), so the
  random stream, and every surviving value, stays upstream's; an overwritten
  constant fill is skipped;
* with the dump visible, a check takes the mean of each parameter written since its
  last check (a plan's constant fill's mean is computed once, from the spec), a
  parameter's consecutive same-string checks fold into one record (the earlier ones'
  means are needed only where the run ends on the mean it started from, and are then
  regenerated from saved generator states), and the means are read on the host at each
  barrier and at the end, one transfer per dtype and device, the strings resolved with
  ``update_init_info``'s rule ("the mean changed").  With the dump unseen no mean is
  taken at all.

:class:`ProgramRun` runs a program on the parameters; the compat engine runs one per
*segment* (the steps between two points where code outside the engine may read the
parameters, :mod:`mminit._engine.compat`), a cached plan's replay one per init
(:mod:`mminit._engine.plan`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from .fills import FillSpec, _trunc_normal_bounds, fill_plain, fixed_result
from .state import _generator_for, host_means, regenerated_mean, stats

__all__ = [
    "Program",
    "ProgramRun",
    "compile_schedule",
]

# step tags (tuples, not objects: a replay touches each once)
WRITE, CHECK, EFFECT, INITIALISED, DROVE, USER_CODE, SUPER_DONE, FOREIGN = range(8)
# program operation tags
FULL, DRAW, RUN_EFFECT, SET_INIT, COUNT_DROVE, MEAN = range(6)
CALL_USER, RETURN_TO_USER, DRAW_SAVE, CALL_FOREIGN = range(6, 10)


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


_UNKNOWN = (None, None)  # a parameter the user's code may have written: its mean is read


class _Schedule:
    """A plan's steps as operations, in order, before pruning (see :func:`_compile`)."""

    def __init__(
        self, observes: bool, params: Sequence[Tensor], known_constants: bool = True
    ) -> None:
        self.observes = observes
        self.params = params
        #: a checked constant fill's mean computed from the spec (a plan compiled once and
        #: replayed often), not read from the tensor after the fill (a segment run once)
        self.known_constants = known_constants
        self.ops: list[tuple[Any, ...]] = []
        # parameter -> (op index, spec) of its latest write (_UNKNOWN after user code)
        self.last: dict[int, tuple[int | None, FillSpec | None]] = {}
        self.readers: dict[int, int] = {}  # write op index -> how many read it
        self.dirty: set[int] = set()
        # per visible check: (parameter, info, source, write op read, MEAN op, flush no.)
        self.checks: list[tuple[int, str, tuple[Any, ...], int | None, int | None, int]] = []
        self.flushes = 0
        self.n_means = 0

    def carry(self, params: Iterable[int]) -> None:
        """``params`` were written before these steps (by earlier steps or by code outside
        the engine) and not checked since: their next check reads their mean."""
        for i in params:
            self.last[i] = _UNKNOWN
            self.dirty.add(i)

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
            if spec is not None and spec.kind == "constant" and self.known_constants:
                known = ("k", _known_mean(self.params[i], spec))
                self.checks.append((i, info, known, None, None, self.flushes))
                continue
            if j is not None:
                self.readers[j] = self.readers.get(j, 0) + 1
            self.checks.append((i, info, ("m", self.n_means), j, len(self.ops), self.flushes))
            self.ops.append((MEAN, self.n_means, i))
            self.n_means += 1

    def _code_may_touch(self, params: Iterable[int]) -> None:
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


def compile_schedule(sched: _Schedule) -> Program:
    """The program of the steps added to ``sched`` (see the module docstring)."""
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


_ABSENT = object()


def _host(x: Any) -> Any:
    return x.item() if isinstance(x, Tensor) else x


class ProgramRun:
    """One run of a program on ``params`` (see the module docstring); a barrier's
    operation goes to :meth:`barrier` (a replay's; a segment has none)."""

    def __init__(
        self,
        prog: Program,
        params: Sequence[Tensor],
        table: Any,
        host_read: Callable[[Sequence[Tensor]], list[Any]] = host_means,
        regenerate: Callable[[Tensor, tuple[Any, ...], Tensor], Any] = regenerated_mean,
    ) -> None:
        #: the host read of 0-d means (one transfer per dtype and device)
        self.host_read = host_read
        #: the mean of a truncated normal that was only drawn (from the saved state)
        self.regenerate = regenerate
        self.ops = prog.ops
        self.prog = prog
        self.params = params
        self.table = table
        self.means: list[Any] = [None] * prog.n_means
        self.saves: list[Any] = [None] * prog.n_saves  # generator states before draws
        self.resolved = 0  # records already applied to the table
        self.pos = 0
        self.modules: Sequence[nn.Module] = ()  # a replay's tree, by position
        self.extra: list[tuple[int, Tensor]] = []

    def take_baselines(self, extra: Sequence[int] = (), skip_known: bool = False) -> None:
        """The means before any fill of the parameters the records compare (and of
        ``extra``: :meth:`resolve` puts theirs in the table), on the device.
        ``skip_known``: none for a parameter whose table entry has its ``tmp_mean_value``
        already (a check before this program, or the table of upstream's code), which
        the records compare instead."""
        params, means = self.params, self.means
        known = self.table if skip_known else None
        for i, slot in self.prog.baselines.items():
            if known is None or "tmp_mean_value" not in known.get(params[i], ()):
                means[slot] = params[i].detach().mean()
        self.extra = [(i, params[i].detach().mean()) for i in extra]

    def run(self) -> None:
        """Run operations until the end, or until :meth:`barrier` says to stop."""
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
                elif self.barrier(op):
                    return

    def barrier(self, op: tuple[Any, ...]) -> bool:
        """Run a barrier's (or a module's) operation; ``True``: stop the run here."""
        raise AssertionError(f"operation {op[0]} outside a replay")

    def resolve(self, upto: int) -> None:
        """Apply the visible checks made so far to the table (``update_init_info``'s rule:
        a new string where the mean changed), as the walk's table is at this point; the
        means they need are read on the host now, one transfer per dtype and device (with
        the extra baselines, put in the table where it has none)."""
        todo = self.prog.records[self.resolved : upto]
        extra = self.extra
        if not todo and not extra:
            return
        self.resolved = upto
        self.extra = []
        baselines, means = self.prog.baselines, self.means
        slots = {s for s in (baselines[i] for i, *_ in todo) if means[s] is not None}
        for _, _, last, earlier in todo:
            slots.update(src[1] for src in (last, *earlier) if src[0] == "m")
        order = sorted(slots)
        read = self.host_read([means[s] for s in order] + [m for _, m in extra])
        values = dict(zip(order, read))
        table, params = self.table, self.params
        for (i, _), value in zip(extra, read[len(order) :]):
            table[params[i]].setdefault("tmp_mean_value", value)
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
        return self.regenerate(self.params[i], src[2].args, self.saves[src[1]])
