"""Fast mode on plans: a later fast init of an architecture skips the walk.

The first fast ``init_weights`` of an architecture runs the fast engine with a
:class:`FastPlanRecorder`, which writes down what the walk asked (the steps of
:class:`~mminit._engine.plan.PlanRecorder`: fills, checks, log records, ``_is_init``).
A later one feeds those steps to a new :class:`~mminit._engine.fast.FastInitEngine`
(:func:`replay_fast`) without walking the tree: the engine then does what it does at
the end of any fast init (the last fill of each parameter, in the order the walk
first wrote them; the init-info strings replayed from the checks), so the values,
strings and random stream are the fast walk's.

Only a tree where nothing but the engine ran is recorded: a user's ``init_weights``
(a barrier, which fast mode settles around), a custom initializer, ``Pretrained``, a
warning or an error make the recording impure, and such inits always walk.
Fast plans and compat plans are cached apart (the mode is part of the key).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

from torch import Tensor, nn

from .fast import FastInitEngine
from .plan import CHECK, DROVE, EFFECT, INITIALISED, WRITE, Plan, PlanRecorder
from .state import stats

__all__ = ["FastPlanRecorder", "replay_fast"]


class FastPlanRecorder(PlanRecorder, FastInitEngine):
    """The fast engine, writing down what the walk asks of it (barriers make it impure)."""

    def expect_user_code(self, module: nn.Module) -> None:
        self.cannot_replay()  # fast mode settles around a user's code: walk every time
        super().expect_user_code(module)

    @contextlib.contextmanager
    def foreign_child(self, child: nn.Module, eager: bool) -> Iterator[None]:
        self.cannot_replay()
        with super().foreign_child(child, eager):
            yield


def replay_fast(
    plan: Plan,
    params: Sequence[Tensor],
    modules: Sequence[nn.Module],
    table: Any,
    root: nn.Module,
    observes: bool,
) -> None:
    """Run the fast init ``plan`` recorded on a tree of this shape: its steps go to a
    fast engine as the walk's calls did, then the engine finishes as a walk's does."""
    engine = FastInitEngine(table, None, root, observes)
    stats.replayed += 1
    if not observes:
        stats.unseen += 1
    for step in plan.steps:
        tag = step[0]
        if tag == WRITE:
            engine.defer(params[step[1]], step[2])
        elif tag == CHECK:
            engine.saw([params[i] for i in step[1]], step[2])
        elif tag == EFFECT:
            step[1]()
        elif tag == INITIALISED:
            modules[step[1]]._is_init = True
        elif tag == DROVE:
            stats.upstream_driven += 1
        else:  # a barrier: never in a fast plan
            raise AssertionError(f"a fast plan holds a barrier: {step!r}")
    engine.finish()
