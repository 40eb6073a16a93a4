"""Explain's replay: a program evaluated from its steps, without running its fills.

``mminit.explain`` needs each parameter's init-info string, and whether its value ends
as it began; it never needs the values themselves, except where code mminit does not
control reads them (a user's ``init_weights``, a custom initializer, ``Pretrained``).
So where no such code can read them (``mminit._explain.api`` checks the tree first, and
the explain engines stop the run if such code turns up after all), each segment of an
explain run is evaluated here instead of run (:class:`SymbolicRun`), its fills noted in
an :class:`Evaluation` the later segments read:

* a constant (or otherwise fixed) fill's mean is computed from its spec, as a cached
  plan's replay does;
* a random fill's mean is a :class:`Drawn` token, equal only to itself: upstream's
  check ("the mean changed") is true for it, as it is for real numbers except with a
  probability of about one in 2**24 per check in ``float32`` (the draw's mean equal,
  bit for bit, to the mean before it);
* means of what no evaluated fill wrote (or what real code wrote since) are taken from
  the tensors, as a real run's.

Only a segment whose every fill is fixed, or random with a spread that surely moves a
``float32``/``float64`` mean (:func:`evaluable`), is evaluated; any other runs for real.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import torch
from torch import Tensor, nn

from .fills import FillSpec, _degenerate_trunc_normal, _trunc_normal_bounds, fixed_result, is_fixed
from .program import DRAW, DRAW_SAVE, FULL, MEAN, Program, ProgramRun

__all__ = ["Drawn", "Evaluated", "Evaluation", "SymbolicRun", "evaluable", "moves_surely"]

_FLOATS = (torch.float32, torch.float64)
_TINY = 1e-6  # a spread below this (relative to the centre) is not "surely moves"


class Drawn:
    """The mean of a random fill: not known, and different from every other mean."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return self is other

    def __ne__(self, other: object) -> bool:
        return self is not other

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return "<the mean of a random fill>"


def _wide(spread: float, *centres: float) -> bool:
    scale = max([1.0, *(abs(c) for c in centres)])
    return math.isfinite(spread) and _TINY * scale <= spread < 1e30


def moves_surely(spec: FillSpec) -> bool:
    """Whether the random fill ``spec`` writes values spread enough that their mean equals
    a given number only by a float coincidence (``False`` for a fixed fill, or an
    argument mminit cannot judge)."""
    kind, args = spec
    try:
        if kind == "normal":
            return _wide(args[1], args[0])
        if kind == "uniform":
            return _wide(args[1] - args[0], args[0], args[1])
        if kind == "trunc_normal":
            mean, std, a, b = args
            if _degenerate_trunc_normal(spec) is not None or not _wide(std, mean):
                return False
            low, high = _trunc_normal_bounds(mean, std, a, b, warn=False)
            return _wide(b - a, a, b) and high - low >= 1e-3
        if kind in ("xavier_uniform", "xavier_normal"):
            return _wide(abs(args[0]))
        if kind in ("kaiming_uniform", "kaiming_normal"):
            return _wide(nn.init.calculate_gain(args[2], args[0]))
    except (TypeError, ValueError, IndexError, ZeroDivisionError, OverflowError):
        return False
    return False


def evaluable(prog: Program, params: Sequence[Tensor]) -> bool:
    """Whether :class:`SymbolicRun` gives ``prog``'s records exactly as a real run does
    (but for the float coincidence the module docstring names)."""
    for op in prog.ops:
        if op[0] in (FULL, DRAW, DRAW_SAVE):
            if params[op[1]].dtype not in _FLOATS:
                return False
            spec = op[2]
            if not (is_fixed(spec) or moves_surely(spec)):
                return False
    return True


class Evaluated(NamedTuple):
    """A tensor's last evaluated fill, not run: the tensor still holds its value before
    that fill, as long as its version counter is ``version``."""

    tensor: Tensor
    spec: FillSpec
    drawn: Drawn | None  # its mean where random
    version: int


class Evaluation:
    """What the evaluated segments of one explain run left unwritten (see the module
    docstring), shared by its segments: a later one's means read it."""

    def __init__(self) -> None:
        self.fills: dict[int, Evaluated] = {}
        #: fills evaluated instead of run
        self.skipped = 0

    def pending(self, t: Tensor) -> Evaluated | None:
        """``t``'s last evaluated fill, if nothing wrote ``t`` since."""
        e = self.fills.get(id(t))
        if e is None or e.tensor is not t or t._version != e.version:
            return None
        return e

    def mean(self, t: Tensor) -> Any:
        """The mean a real run would take of ``t`` now (a 0-d tensor, or a :class:`Drawn`)."""
        e = self.pending(t)
        if e is None:
            return t.detach().mean()
        if e.drawn is None:
            return fixed_result(t.detach(), e.spec).mean()
        return e.drawn

    def equal(self, t: Tensor, before: Tensor) -> bool:
        """Whether ``t`` ends equal to ``before`` (its value before the init)."""
        e = self.pending(t)
        if e is None:
            return bool(torch.equal(before, t.detach()))
        return e.drawn is None and bool(torch.equal(before, fixed_result(t.detach(), e.spec)))


class SymbolicRun(ProgramRun):
    """A run of ``prog`` that writes nothing (see the module docstring), noting its fills
    in ``evaluation``."""

    def __init__(
        self,
        prog: Program,
        params: Sequence[Tensor],
        table: Any,
        host_read: Callable[[Sequence[Tensor]], list[Any]],
        evaluation: Evaluation,
    ) -> None:
        super().__init__(prog, params, table, self._read, lambda p, args, state: Drawn())
        self._host_read = host_read
        self.evaluation = evaluation

    def _read(self, values: Sequence[Any]) -> list[Any]:
        real = [v for v in values if isinstance(v, Tensor)]
        read = iter(self._host_read(real) if real else [])
        return [next(read) if isinstance(v, Tensor) else v for v in values]

    def take_baselines(self, extra: Sequence[int] = (), skip_known: bool = False) -> None:
        params, means, mean = self.params, self.means, self.evaluation.mean
        known = self.table if skip_known else None
        for i, slot in self.prog.baselines.items():
            if known is None or "tmp_mean_value" not in known.get(params[i], ()):
                means[slot] = mean(params[i])
        self.extra = [(i, mean(params[i])) for i in extra]

    def run(self) -> None:
        params, means, ev = self.params, self.means, self.evaluation
        for op in self.ops[self.pos :]:
            tag = op[0]
            if tag == FULL:
                p, spec = params[op[1]], op[2]
                drawn = None if is_fixed(spec) else Drawn()
                ev.fills[id(p)] = Evaluated(p, spec, drawn, p._version)
                ev.skipped += 1
            elif tag == MEAN:
                means[op[1]] = ev.mean(params[op[2]])
            elif tag in (DRAW, DRAW_SAVE):
                ev.skipped += 1
            else:  # (a segment's steps are the engine's fills and checks only)
                raise AssertionError(f"operation {tag} in a segment explain evaluates")
        self.pos = len(self.ops)
