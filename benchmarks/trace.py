"""Bit-identical references for *real* models, from a recorded run of upstream.

The references of :mod:`benchmarks.plan` are computed from ``init_cfg`` and a
model's declared ``user_fills()``; real models fill their weights in their own
``init_weights`` too (``nn.init.xavier_uniform_`` in a loop, ``m.weight.data.
normal_(0, 0.01)``, mmengine's ``trunc_normal_``), so for them the fill sequence
is *recorded*: :func:`record` runs upstream's ``init_weights()`` once with the
``torch.nn.init`` functions and the in-place ``Tensor`` methods that write
values wrapped, and keeps every outermost call (what ``nn.init.kaiming_uniform_``
does inside is one call).  Not recorded, because nothing observable depends on
it: the init-info bookkeeping (``param.data.mean().cpu()``), the dump, logging.

From the trace, per tensor storage of the model, *segments*: a call that writes
the whole storage (``uniform_``, ``fill_``, ``nn.init.*``, ...) opens one, and
the in-place calls that follow on that storage (``erfinv_``, ``mul_``,
``clamp_``, partial writes) belong to it.  A segment is *overwritten* when a
later segment opens on the same storage and no recorded call read the storage
in between.

* :meth:`Trace.replay`: every recorded call, in order: must be bit-identical to
  upstream, which proves the trace complete (the benchmark checks it).
* :meth:`Trace.ceiling`: overwritten segments skipped, except that each random
  call in them draws its numbers into a scratch buffer of the same size (so the
  generator advances exactly as upstream's): bit-identical, the practical
  ceiling for a bit-identical init on CPU, as in :func:`benchmarks.plan.ceiling`.
* :meth:`Trace.floor`: overwritten segments skipped entirely (not bit-identical:
  each tensor gets its final fill once).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

__all__ = ["Call", "Trace", "record"]

# in-place Tensor methods that write every element of their tensor
_WHOLE = (
    "uniform_",
    "normal_",
    "fill_",
    "zero_",
    "copy_",
    "random_",
    "bernoulli_",
    "exponential_",
    "geometric_",
    "log_normal_",
    "cauchy_",
)
# in-place Tensor methods that modify values already there (continuations of a segment)
_MODIFY = (
    "erfinv_",
    "mul_",
    "add_",
    "sub_",
    "div_",
    "clamp_",
    "clamp_min_",
    "clamp_max_",
    "abs_",
    "neg_",
    "sqrt_",
    "exp_",
    "log_",
    "pow_",
    "addcmul_",
    "addcdiv_",
    "masked_fill_",
    "index_fill_",
    "__setitem__",
    "__imul__",
    "__iadd__",
    "__isub__",
    "__itruediv__",
)
_RANDOM_METHODS = {
    "uniform_",
    "normal_",
    "random_",
    "bernoulli_",
    "exponential_",
    "geometric_",
    "log_normal_",
    "cauchy_",
}
_INIT_FUNCS = (
    "uniform_",
    "normal_",
    "trunc_normal_",
    "constant_",
    "ones_",
    "zeros_",
    "eye_",
    "dirac_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
    "orthogonal_",
    "sparse_",
)
# the first (only) draw of a random nn.init function: drawing it alone into a scratch
# tensor of the same size advances the generator exactly as the whole call does
_INIT_DRAW = {
    "uniform_": "uniform_",
    "xavier_uniform_": "uniform_",
    "kaiming_uniform_": "uniform_",
    "normal_": "normal_",
    "xavier_normal_": "normal_",
    "kaiming_normal_": "normal_",
}
_INIT_RANDOM = set(_INIT_DRAW) | {"trunc_normal_", "orthogonal_", "sparse_"}


@dataclass
class Call:
    """One outermost recorded call: ``fn(target, *args, **kwargs)``."""

    name: str
    fn: Callable[..., Any]
    target: torch.Tensor
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    whole: bool  # writes every element of target's storage
    random: bool
    draw: str | None  # Tensor method that reproduces the call's draws on a scratch buffer


def _storage(t: torch.Tensor) -> int:
    return t.untyped_storage().data_ptr()


def _covers_storage(t: torch.Tensor) -> bool:
    return (
        t.storage_offset() == 0
        and t.is_contiguous()
        and t.numel() * t.element_size() == t.untyped_storage().nbytes()
    )


class _Recorder:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.depth = 0

    def wrap(
        self, owner: Any, name: str, fn: Callable[..., Any], is_init: bool
    ) -> Callable[..., Any]:
        recorder = self

        @functools.wraps(fn)
        def wrapper(target: Any, *args: Any, **kwargs: Any) -> Any:
            if recorder.depth or not isinstance(target, torch.Tensor):
                return fn(target, *args, **kwargs)
            if is_init:
                random, draw = name in _INIT_RANDOM, _INIT_DRAW.get(name)
                whole = name not in ("sparse_",)
            else:
                random = name in _RANDOM_METHODS
                draw = name if random and name in ("uniform_", "normal_") else None
                whole = name in _WHOLE
            recorder.calls.append(
                Call(
                    name,
                    fn,
                    target,
                    args,
                    dict(kwargs),
                    whole and _covers_storage(target),
                    random,
                    draw,
                )
            )
            recorder.depth += 1
            try:
                return fn(target, *args, **kwargs)
            finally:
                recorder.depth -= 1

        return wrapper


@contextlib.contextmanager
def _recording() -> Iterator[_Recorder]:
    recorder = _Recorder()
    saved: list[tuple[Any, str, Any]] = []
    for name in _WHOLE + _MODIFY:
        if hasattr(torch.Tensor, name):
            saved.append((torch.Tensor, name, getattr(torch.Tensor, name)))
    for name in _INIT_FUNCS:
        saved.append((nn.init, name, getattr(nn.init, name)))
    try:
        for owner, name, fn in saved:
            setattr(owner, name, recorder.wrap(owner, name, fn, owner is nn.init))
        yield recorder
    finally:
        for owner, name, fn in saved:
            setattr(owner, name, fn)


@dataclass
class Trace:
    calls: list[Call]
    model_storages: set[int]
    # per call: "run", "draw" (overwritten random: scratch draw only) or "skip"
    ceiling_actions: list[str] = field(default_factory=list)
    floor_actions: list[str] = field(default_factory=list)
    _scratch: dict[tuple[torch.dtype, torch.device], torch.Tensor] = field(default_factory=dict)

    def __post_init__(self) -> None:
        segments: list[list[int]] = []  # call indices per segment
        overwritten: list[bool] = []
        current: dict[int, int] = {}  # storage -> index of its open segment
        closed_by_read: set[int] = set()
        segment_of: list[int | None] = []
        for i, call in enumerate(self.calls):
            key = _storage(call.target)
            for arg in (*call.args, *call.kwargs.values()):  # a read keeps what it read
                if isinstance(arg, torch.Tensor) and _storage(arg) in current:
                    closed_by_read.add(current[_storage(arg)])
            if key not in self.model_storages:
                segment_of.append(None)
                continue
            if call.whole:
                if key in current and current[key] not in closed_by_read:
                    overwritten[current[key]] = True
                current[key] = len(segments)
                segments.append([])
                overwritten.append(False)
            elif key not in current:  # modifies what the model was built with: never skipped
                current[key] = len(segments)
                segments.append([])
                overwritten.append(False)
                closed_by_read.add(current[key])
            segments[current[key]].append(i)
            segment_of.append(current[key])
        for i, call in enumerate(self.calls):
            seg = segment_of[i]
            if seg is None or not overwritten[seg]:
                self.ceiling_actions.append("run")
                self.floor_actions.append("run")
            else:
                self.ceiling_actions.append("draw" if call.random else "skip")
                self.floor_actions.append("skip")

    @property
    def stats(self) -> dict[str, int]:
        return {
            "calls": len(self.calls),
            "overwritten_random": self.ceiling_actions.count("draw"),
            "overwritten_other": self.ceiling_actions.count("skip"),
            "surviving": self.ceiling_actions.count("run"),
        }

    def _draw(self, call: Call) -> None:
        t = call.target
        if call.draw is None:  # no known first draw: run the call itself on scratch
            call.fn(torch.empty_like(t), *call.args, **call.kwargs)
            return
        key = (t.dtype, t.device)
        buf = self._scratch.get(key)
        if buf is None or buf.numel() < t.numel():
            buf = self._scratch[key] = torch.empty(t.numel(), dtype=t.dtype, device=t.device)
        getattr(buf[: t.numel()], call.draw)()

    def _run(self, actions: list[str]) -> None:
        with torch.no_grad():
            for call, action in zip(self.calls, actions):
                if action == "run":
                    call.fn(call.target, *call.args, **call.kwargs)
                elif action == "draw":
                    self._draw(call)

    def replay(self) -> None:
        self._run(["run"] * len(self.calls))

    def ceiling(self) -> None:
        self._run(self.ceiling_actions)

    def floor(self) -> None:
        self._run(self.floor_actions)


def record(model: nn.Module, init: Callable[[], Any]) -> Trace:
    """Run ``init()`` (upstream's ``model.init_weights()``) recording its fills."""
    with _recording() as recorder:
        init()
    storages = {
        _storage(t)
        for t in model.state_dict(keep_vars=True).values()
        if isinstance(t, torch.Tensor) and t.numel()
    }
    return Trace(recorder.calls, storages)
