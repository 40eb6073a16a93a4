"""Fast mode on plans: a later fast init of an architecture skips the walk.

The first fast ``init_weights`` of an architecture runs the fast engine with a
:class:`FastPlanRecorder`, which writes down what the walk asked (the steps of
:class:`~mminit._engine.recorder.PlanRecorder`: fills, checks, log records, ``_is_init``).
A later one feeds those steps to a new :class:`~mminit._engine.fast.FastInitEngine`
(:func:`replay_fast`) without walking the tree: the engine then does what it does at
the end of any fast init (the last fill of each parameter, in the order the walk
first wrote them; the init-info strings replayed from the checks), so the values,
strings and random stream are the fast walk's.

A child's own ``init_weights`` is a barrier, as in compat mode: the replay runs that
code again under the engine (one that starts with ``super()`` goes on with the plan's
steps there; one that does not runs whole, as foreign code), so the engine is told
everything the walk told it, in order.  A custom initializer, ``Pretrained``, a warning
or an error make the recording impure: such inits always walk.
Fast plans and compat plans are cached apart (the mode is part of the key).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from torch import Tensor, nn

from .fast import FastInitEngine
from .plan import REPLAYING, Plan
from .program import CHECK, DROVE, EFFECT, INITIALISED, SUPER_DONE, USER_CODE, WRITE
from .recorder import PlanRecorder
from .state import stats

__all__ = ["FastPlanRecorder", "replay_fast"]


class FastPlanRecorder(PlanRecorder, FastInitEngine):
    """The fast engine, writing down what the walk asks of it (the barriers as in
    compat mode: see :class:`~mminit._engine.recorder.PlanRecorder`)."""


#: a fast plan's run of consecutive ``write`` steps, one step: ``(WRITES, ((i, spec), ...))``
WRITES = -1


def _fast_steps(steps: list[tuple[Any, ...]], observes: bool) -> list[tuple[Any, ...]]:
    """``steps`` as a fast replay feeds them: each run of consecutive ``write`` steps
    made one ``WRITES`` step, and, where nobody sees the dump, no ``check`` steps.

    With the dump unseen a fast check only notes which fill its string saw, for the
    strings replayed at settle, which are then not made (a check of a parameter
    without pending fills does nothing: it takes no mean, and every parameter of a
    plan is in the table); the fills made are each parameter's last either way.
    """
    out: list[tuple[Any, ...]] = []
    run: list[tuple[int, Any]] = []
    for step in steps:
        if step[0] == WRITE:
            run.append((step[1], step[2]))
            continue
        if step[0] == CHECK and not observes:
            continue
        if run:
            out.append((WRITES, tuple(run)))
            run = []
        out.append(step)
    if run:
        out.append((WRITES, tuple(run)))
    return out


class _FastReplay:
    """The steps of a fast plan, fed to a fast engine (see :func:`replay_fast`)."""

    def __init__(
        self,
        plan: Plan,
        params: Sequence[Tensor],
        modules: Sequence[nn.Module],
        engine: FastInitEngine,
    ) -> None:
        steps = plan.fast_steps.get(engine.observes)
        if steps is None:
            steps = plan.fast_steps[engine.observes] = _fast_steps(plan.steps, engine.observes)
        self.steps = steps
        self.params = params
        self.modules = modules
        self.engine = engine
        self.pos = 0
        # the barriers' subtrees, from the plan (the tree has its shape): the engine
        # settles them, and counts them written after the user's code, without a walk
        for m, found in plan.barriers:
            engine.give_params(modules[m], [params[i] for i in found])
        self.waiting: list[int] = []  # ids of the modules whose super() the replay awaits

    def run(self) -> None:
        """Feed steps until the end, or until a barrier's ``super()`` part ends."""
        steps, params, engine = self.steps, self.params, self.engine
        while self.pos < len(steps):
            step = steps[self.pos]
            self.pos += 1
            tag = step[0]
            if tag == WRITES:
                engine.defer_all([(params[i], spec) for i, spec in step[1]])
            elif tag == CHECK:
                engine.check_known([params[i] for i in step[1]], step[2])
            elif tag == EFFECT:
                step[1]()
            elif tag == INITIALISED:
                self.modules[step[1]]._is_init = True
            elif tag == DROVE:
                stats.upstream_driven += 1
            elif tag == USER_CODE:
                self._call_user(self.modules[step[1]])
            elif tag == SUPER_DONE:
                return  # back to the user's code, which tells the engine as the walk's did
            else:  # FOREIGN: the child's own init_weights runs whole, as in the walk
                with engine.foreign_child(self.modules[step[1]], step[2]):
                    self.modules[step[1]].init_weights()

    def _call_user(self, module: nn.Module) -> None:
        """Run ``module``'s own ``init_weights`` under the engine, as the walk did; its
        ``super()`` resumes this replay (:func:`~mminit._engine.plan.resume_replay`)."""
        self.waiting.append(id(module))
        token = REPLAYING.set(self)
        try:
            self.engine.run_user_code(module)
        finally:
            REPLAYING.reset(token)
        if self.waiting and self.waiting[-1] == id(module):
            raise RuntimeError(
                f"{type(module).__name__}.init_weights did not call super().init_weights() "
                "this time, unlike when its plan was recorded; set MMINIT_PLAN_CACHE=0"
            )


def replay_fast(
    plan: Plan,
    params: Sequence[Tensor],
    modules: Sequence[nn.Module],
    table: Any,
    root: nn.Module,
    observes: bool,
) -> None:
    """Run the fast init ``plan`` recorded on a tree of this shape: its steps go to a
    fast engine as the walk's calls did (a user's ``init_weights`` runs again, under that
    engine), then the engine finishes as a walk's does."""
    engine = FastInitEngine(table, None, root, observes)
    stats.replayed += 1
    if not observes:
        stats.unseen += 1
    failed = True
    try:
        with engine.activate():
            _FastReplay(plan, params, modules, engine).run()
        failed = False
    finally:
        if failed:
            engine.failed()
    engine.finish()
