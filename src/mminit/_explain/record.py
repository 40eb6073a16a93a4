"""Recording an init run for :func:`mminit.explain`: which ``init_cfg`` asked for each fill.

:class:`_Explaining` is the compat engine (:class:`_ExplainingRecorder` the one that
records a plan for the cache), noting every fill it is asked for (and every piece of
code it does not control) with a :class:`Recorder`, which reads the provenance from
the call stack (:func:`_provenance`) and keeps it per step of the recorded plan.
Where a plan was recorded, :meth:`Recorder.read_plan` takes each tensor's steps from
that plan, the one ``init_weights`` replays from the cache afterwards.
:func:`plan_param` turns what was recorded for one parameter into its
:class:`~mminit._explain.plan.TensorPlan`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from torch import Tensor, nn

from .._engine import CompatEngine, CompatRecorder, FillSpec, Plan, PlanRecorder
from .._engine.program import FOREIGN, USER_CODE, WRITE, Program, ProgramRun
from .._engine.symbolic import Evaluation, SymbolicRun, evaluable
from .._init.initialize import _apply_overrides, initialize_with
from .plan import Step, TensorPlan

__all__ = ["NeedsValues", "Recorder", "explain_engines", "plan_param"]


class NeedsValues(BaseException):
    """An explain run that evaluated fills met code that may read the values: it is run
    again with every fill run.  (A ``BaseException``: a user's ``except Exception``
    around ``super().init_weights()`` must not swallow it.)"""


_UNCHANGED = "The value is the same before and after calling `init_weights`"
_USER_CODE = "Initialized by user-defined `init_weights` in "


def _provenance() -> tuple[nn.Module | None, dict[str, Any] | None, str | None]:
    """The ``init_cfg`` owner, entry and override name of the initializer now running.

    Read from the call stack: the innermost ``initialize_with`` frame holds the
    owner and the entry, an ``_apply_overrides`` frame below it the override name.
    """
    override = None
    frame = sys._getframe(1)
    while frame is not None:
        code = frame.f_code
        if code is _apply_overrides.__code__ and override is None:
            override = frame.f_locals.get("name")
        elif code is initialize_with.__code__:
            return frame.f_locals.get("module"), frame.f_locals.get("cfg"), override
        frame = frame.f_back  # type: ignore[assignment]
    return None, None, None


class _Explaining(CompatEngine):
    """A compat engine (or recorder) noting the origin of every fill it is asked for, and
    of the code it does not control, in its run's :class:`Recorder` (see the module
    docstring).  It takes the means every init-info string needs, seen or not."""

    recorder: Recorder  # set on each run's subclass, see explain_engines

    def __init__(
        self, table: Any, root: nn.Module | None = None, observes: bool = True, *args: Any
    ) -> None:
        # (``observes`` is the caller's: the plan shows the strings, seen or not)
        super().__init__(table, root, True, *args)
        rec = self.recorder
        rec.engines.append(self)
        if rec.engines[0] is not self or root is not rec.root:
            rec.needs_values()  # an engine for code mminit does not drive, which reads after it

    def _program_run(self, prog: Program) -> ProgramRun:
        rec = self.recorder
        if rec.aborted:  # (the run is being unwound: nothing it computes is kept)
            return SymbolicRun(prog, self._tensors, self.table, self._host_means, rec.evaluation)
        reads, self._reads_next = self._reads_next, False
        if rec.evaluates and rec.engines[0] is self and not reads:
            if evaluable(prog, self._tensors):
                return SymbolicRun(
                    prog, self._tensors, self.table, self._host_means, rec.evaluation
                )
            rec.needs_values()
        return super()._program_run(prog)

    _reads_next = False

    def _values_read(self) -> None:
        """Code outside the engine reads the parameters next: the segment it flushes runs
        for real, and none before it may have been evaluated."""
        self._reads_next = True
        self.recorder.needs_values()

    def settle(self, module: nn.Module) -> None:
        self._values_read()
        super().settle(module)

    def _write_now(self, t: Tensor, spec: FillSpec) -> None:
        if self.recorder.evaluation.pending(t) is not None:
            self.recorder.needs_values()  # its mean before the fill is a real one
        super()._write_now(t, spec)

    def write_all(self, items: Sequence[tuple[Tensor, FillSpec]], info: str) -> None:
        made = self.recorder.fills(items, info)
        steps = self.steps if isinstance(self, PlanRecorder) else None
        first = len(steps) if steps is not None else 0
        super().write_all(items, info)
        if steps is not None:  # the plan steps this call added: one per item, in order
            for k in range(first, len(steps)):
                self.recorder.plan_steps[k] = made[k - first]

    def foreign(self, module: nn.Module, eager: bool = False, what: str = "") -> Any:
        self.recorder.foreign(module, what)
        if self._write_only_child is not module:
            self._values_read()
        self._write_only_child = None
        return super().foreign(module, eager, what)

    _write_only_child: nn.Module | None = None

    def foreign_child(self, child: nn.Module, eager: bool) -> Any:
        from .._modules import writes_only

        if not eager and writes_only(type(child)):  # (its code reads no value: `pass`, say)
            self._write_only_child = child
        return super().foreign_child(child, eager)

    def expect_user_code(self, module: nn.Module) -> None:
        self.recorder.user_code.append(module)
        if "init_weights" in module.__dict__:  # the instance's own code runs before super()
            self._values_read()
        super().expect_user_code(module)

    def finish(self, keep_table: bool = False) -> None:
        if keep_table and not self._failed:  # (mmcv 1.x's early return: the table stays)
            self._values_read()
        super().finish(keep_table)
        if self.root is not None:  # what code after the top-level init writes shows against this
            self.recorder.finished = {
                id(t): t._version for t in list(self.root.parameters()) + list(self.root.buffers())
            }


class _ExplainingRecorder(_Explaining, CompatRecorder):
    """The recording compat engine of an explain run: the plan it records goes to the plan
    cache as any compat init's does, and the explanation is read from it."""

    def plan(self) -> Plan | None:
        plan = super().plan()
        if plan is not None:
            self.recorder.plan = plan
            self.recorder.plan_params = self.params
            self.recorder.plan_modules = self.modules
        return plan


def explain_engines(recorder: Recorder) -> tuple[type[CompatEngine], type[CompatRecorder]]:
    """The compat engine and recorder classes of one explain run: their engines note their
    fills in ``recorder`` (and list themselves in ``recorder.engines``)."""
    ns = {"recorder": recorder}
    return (
        type("_Explaining", (_Explaining,), ns),
        type("_ExplainingRecorder", (_ExplainingRecorder,), ns),
    )


class Recorder:
    """What one explain run observed: the steps per tensor, the modules whose own code
    ran, the engines made and the tensor versions when the top-level init finished."""

    def __init__(self, root: nn.Module, evaluates: bool = False) -> None:
        self.root = root
        #: the top-level engine's segments may be evaluated instead of run
        #: (:mod:`mminit._engine.symbolic`) where no code reads the values after them
        self.evaluates = evaluates
        self.evaluation = Evaluation()
        #: the run is being unwound by :class:`NeedsValues`
        self.aborted = False
        self.names = {id(m): n for n, m in root.named_modules(remove_duplicate=False)}
        self.tensor_module: dict[int, nn.Module] = {}
        for _, m in root.named_modules(remove_duplicate=False):
            for _, p in m.named_parameters(recurse=False):
                self.tensor_module.setdefault(id(p), m)
        self.steps: dict[int, list[Step]] = {}
        self.user_code: list[nn.Module] = []
        self.finished: dict[int, int] = {}
        self.engines: list[CompatEngine] = []
        #: the plan recorded (the one the cache now holds), its tree, and each of its write
        #: steps' origin, by position in ``plan.steps``
        self.plan: Plan | None = None
        self.plan_params: list[Tensor] = []
        self.plan_modules: list[nn.Module] = []
        self.plan_steps: dict[int, Step] = {}

    def _step(self, info: str, tensor_owner: nn.Module | None, fill: str) -> Step:
        owner, cfg, override = _provenance()
        if owner is None:
            return Step(info, "", "", "direct call (an initializer called by code)", fill)
        layers = cfg.get("layer") if isinstance(cfg, dict) else None
        if override is not None:
            via = f"override name={override}"
        elif layers and tensor_owner is not None:
            wanted = {layers} if isinstance(layers, str) else set(layers)
            cls = type(tensor_owner)
            hit = [n for n in [cls.__name__] + [b.__name__ for b in cls.__bases__] if n in wanted]
            via = f"layer={hit[0] if hit else layers}"
        else:
            via = "whole module"
        return Step(info, self.names.get(id(owner), "?"), type(owner).__name__, via, fill)

    def fills(self, items: Sequence[tuple[Tensor, FillSpec]], info: str) -> list[Step]:
        made = [self._step(info, self.tensor_module.get(id(t)), spec.kind) for t, spec in items]
        for (tensor, _), step in zip(items, made):
            self.steps.setdefault(id(tensor), []).append(step)
        return made

    def needs_values(self) -> None:
        """Code may read the values now: if a fill was evaluated, not run, before, this
        run cannot go on (:class:`NeedsValues`); from here on nothing is evaluated."""
        self.evaluates = False
        if self.evaluation.skipped and not self.aborted:
            self.aborted = True
            raise NeedsValues

    def read_plan(self) -> None:
        """Where a plan was recorded, the steps per tensor and the user's code are the
        plan's own: its write steps in order, each with its origin, and the modules of
        its barriers.  (What the walk noted is the same; the plan is what
        ``init_weights`` will replay.)"""
        plan = self.plan
        if plan is None:
            return
        steps: dict[int, list[Step]] = {}
        user_code: list[nn.Module] = []
        for k, step in enumerate(plan.steps):
            if step[0] == WRITE:
                steps.setdefault(id(self.plan_params[step[1]]), []).append(self.plan_steps[k])
            elif step[0] in (USER_CODE, FOREIGN):
                user_code.append(self.plan_modules[step[1]])
        self.steps = steps
        self.user_code = user_code

    def foreign(self, module: nn.Module, what: str) -> None:
        owner, cfg, _ = _provenance()
        if owner is None:
            if what:
                self.user_code.append(module)
            return
        typ = cfg.get("type") if isinstance(cfg, dict) else None
        is_pretrained = typ == "Pretrained" or getattr(typ, "__name__", "") == "PretrainedInit"
        via = "Pretrained" if is_pretrained else f"custom initializer {typ!r}"
        if is_pretrained and isinstance(cfg, dict):
            via += f" checkpoint={cfg.get('checkpoint')!r}"
            if cfg.get("prefix"):
                via += f" prefix={cfg['prefix']!r}"
        step = Step("", self.names.get(id(owner), "?"), type(owner).__name__, via, "")
        for p in module.parameters():
            self.steps.setdefault(id(p), []).append(step)


def _user_code_owner(rec: Recorder, param: Tensor, cls_name: str) -> str:
    """The innermost module of class ``cls_name`` holding ``param`` whose own code ran."""
    best = ""
    for m in rec.user_code:
        if type(m).__name__ != cls_name:
            continue
        if any(p is param for p in m.parameters()):
            name = rec.names.get(id(m), "?")
            if len(name) >= len(best):
                best = name
    return best


def plan_param(name: str, p: Tensor, info: str, rec: Recorder) -> TensorPlan:
    """The plan of parameter ``name`` whose init-info string ends as ``info``."""
    steps = rec.steps.get(id(p), [])
    if info.startswith(_USER_CODE):
        cls_name = info[len(_USER_CODE) :].strip()
        where = _user_code_owner(rec, p, cls_name)
        at = f" at {where!r}" if where else ""
        return TensorPlan(
            name,
            "parameter",
            info,
            "user_code",
            f"{cls_name}'s own init_weights{at} (code mminit does not plan)",
            list(steps),
        )
    if info.startswith(_UNCHANGED):
        origin = "unchanged" if steps else "default"
        src = (
            "written, to the value it already had"
            if steps
            else "no rule covers it: PyTorch's default stays"
        )
        return TensorPlan(name, "parameter", info, origin, src, list(steps), uncovered=True)
    final = None
    for i in range(len(steps) - 1, -1, -1):
        if steps[i].info == info or (
            not steps[i].info and ": load from " in info and "Pretrained" in steps[i].via
        ):
            final = i
            break
    if final is None:  # an initializer called by foreign code, or a custom one
        origin = "pretrained" if ": load from " in info else "custom"
        return TensorPlan(name, "parameter", info, origin, "code mminit does not plan", list(steps))
    step = steps[final]
    if "Pretrained" in step.via:
        origin = "pretrained"
    elif step.via.startswith("override"):
        origin = "override"
    elif step.via.startswith("custom"):
        origin = "custom"
    else:
        origin = "init_cfg"
    return TensorPlan(
        name, "parameter", info, origin, step.describe(), steps[:final] + steps[final + 1 :]
    )
