"""``mminit.explain(model)``: what ``init_weights`` will do to every parameter, and why.

The plan is fast mode's own: :func:`explain` deep-copies the model and runs
``mminit.init_weights(copy, mode="fast")`` with :class:`_PlanEngine`, a
:class:`~mminit._fast.FastInitEngine` that also notes, for each fill it records,
which module's ``init_cfg`` asked for it (``layer`` match or ``override``).  The
init-info string each parameter ends with is the fast engine's table, which is
compat mode's (and upstream's) string; the fills it shadowed are the recorded
steps before the last.  The model passed in is never touched, and the random
streams are restored afterwards; a meta-device model's copy is materialised on
the CPU with PyTorch's defaults (each module's ``reset_parameters``).  Code mminit does not
control (a module's own ``init_weights``, custom initializers, ``Pretrained``)
runs on the copy as it would, and is reported as such, not guessed.

Lints (:mod:`mminit._explain_lints`) read the tree and the plan.
"""

from __future__ import annotations

import contextlib
import copy
import io
import logging
import sys
import threading
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import Tensor, nn

from ._fast import FastInitEngine, using_fast_engine
from ._fills import FillSpec
from ._initialize import _apply_overrides, initialize_with

__all__ = ["InitPlan", "Lint", "Step", "TensorPlan", "explain"]

_UNCHANGED = "The value is the same before and after calling `init_weights`"
_USER_CODE = "Initialized by user-defined `init_weights` in "


@dataclass(frozen=True)
class Step:
    """One fill an ``init_cfg`` (or code) asked for.

    Attributes:
        info: the initializer's init-info string.
        owner: path of the module whose ``init_cfg`` holds the entry (``""``: the root).
        owner_class: that module's class name.
        via: ``"layer=Linear"`` (the name that matched), ``"override name=head"``,
            ``"whole module"``, ``"direct call"`` (an initializer called by code) or
            ``"Pretrained"``/``"custom initializer"`` (code mminit does not control).
        fill: the fill kind (``trunc_normal``, ``constant`` ...), ``""`` for code.
    """

    info: str
    owner: str
    owner_class: str
    via: str
    fill: str = ""

    def describe(self) -> str:
        where = f" at {self.owner!r}" if self.owner else ""
        return f"{self.owner_class}.init_cfg{where}, {self.via}" if self.owner_class else self.via


@dataclass
class TensorPlan:
    """The plan for one parameter or buffer.

    Attributes:
        name: its name in ``model.named_parameters()`` / ``named_buffers()``.
        kind: ``"parameter"`` or ``"buffer"``.
        info: the init-info string ``init_weights`` will record (parameters only).
        origin: ``"init_cfg"``, ``"override"``, ``"pretrained"``, ``"user_code"``
            (a module's own ``init_weights``: foreign code, reported not guessed),
            ``"custom"`` (an initializer mminit does not know), ``"unchanged"``
            (written, but to the value it had) or ``"default"`` (nothing writes it:
            PyTorch's default stays).
        source: a person's description of where the final value comes from.
        shadowed: earlier fills that a later one overwrites.
        uncovered: the value after ``init_weights`` is the value before (compared
            on the copy).
    """

    name: str
    kind: str
    info: str | None
    origin: str
    source: str
    shadowed: list[Step] = field(default_factory=list)
    uncovered: bool = False


@dataclass(frozen=True)
class Lint:
    """A finding: ``code`` (``MI001`` ...), ``module`` path, ``key`` and a one-line message."""

    code: str
    module: str
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.code} {self.module or '(root)'} [{self.key}]: {self.message}"


@dataclass
class InitPlan:
    """What ``init_weights`` will do to ``model`` (see :func:`explain`)."""

    model: str
    flavours: list[str]
    tensors: list[TensorPlan]
    lints: list[Lint] = field(default_factory=list)
    error: str | None = None  # init_weights would raise this
    #: whether init_weights logs its per-parameter init-info dump (mmcv 1.x's dict
    #: Pretrained early return and a root that never reaches BaseModule's skip it)
    dumps: bool = True

    def __getitem__(self, name: str) -> TensorPlan:
        for t in self.tensors:
            if t.name == name:
                return t
        raise KeyError(f"no parameter or buffer named {name!r} in the plan of {self.model}")

    @property
    def uncovered(self) -> list[str]:
        return [t.name for t in self.tensors if t.uncovered]

    def infos(self) -> dict[str, str]:
        """Parameter name -> the init-info string ``init_weights`` will record."""
        return {t.name: t.info for t in self.tensors if t.kind == "parameter" and t.info is not None}

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "flavours": self.flavours, "error": self.error,
                "tensors": [asdict(t) for t in self.tensors], "lints": [asdict(x) for x in self.lints]}

    def format(self) -> str:
        """The plan as lines a person reads: runs of identical plans collapsed."""
        from ._explain_format import format_plan

        return format_plan(self)


# ------------------------------------------------------------------ recording
def _provenance() -> tuple[nn.Module | None, dict | None, str | None]:
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


class _PlanEngine(FastInitEngine):
    """Fast mode, noting the origin of every recorded fill (see the module docstring)."""

    recorder: _Recorder

    def write_all(self, items: Sequence[tuple[Tensor, FillSpec]], info: str) -> None:
        self.recorder.fills(items, info)
        super().write_all(items, info)

    def foreign(self, module: nn.Module, eager: bool = False, what: str = "") -> Any:
        self.recorder.foreign(module, what)
        return super().foreign(module, eager, what)

    def expect_user_code(self, module: nn.Module) -> None:
        self.recorder.user_code.append(module)
        super().expect_user_code(module)

    def finish(self, keep_table: bool = False) -> None:
        super().finish(keep_table)
        if self.root is not None:  # what code after the top-level init writes shows against this
            self.recorder.finished = {id(t): t._version for t in
                                      list(self.root.parameters()) + list(self.root.buffers())}


class _Recorder:
    def __init__(self, root: nn.Module) -> None:
        self.names = {id(m): n for n, m in root.named_modules(remove_duplicate=False)}
        self.tensor_module: dict[int, nn.Module] = {}
        for _, m in root.named_modules(remove_duplicate=False):
            for _, p in m.named_parameters(recurse=False):
                self.tensor_module.setdefault(id(p), m)
        self.steps: dict[int, list[Step]] = {}
        self.user_code: list[nn.Module] = []
        self.finished: dict[int, int] = {}

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

    def fills(self, items: Sequence[tuple[Tensor, FillSpec]], info: str) -> None:
        for tensor, spec in items:
            self.steps.setdefault(id(tensor), []).append(
                self._step(info, self.tensor_module.get(id(tensor)), spec.kind))

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


def _user_code_owner(rec: _Recorder, param: Tensor, cls_name: str) -> str:
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


def _plan_param(name: str, p: Tensor, info: str, rec: _Recorder) -> TensorPlan:
    steps = rec.steps.get(id(p), [])
    if info.startswith(_USER_CODE):
        cls_name = info[len(_USER_CODE):].strip()
        where = _user_code_owner(rec, p, cls_name)
        at = f" at {where!r}" if where else ""
        return TensorPlan(name, "parameter", info, "user_code",
                          f"{cls_name}'s own init_weights{at} (code mminit does not plan)", list(steps))
    if info.startswith(_UNCHANGED):
        origin = "unchanged" if steps else "default"
        src = ("written, to the value it already had" if steps
               else "no rule covers it: PyTorch's default stays")
        return TensorPlan(name, "parameter", info, origin, src, list(steps), uncovered=True)
    final = None
    for i in range(len(steps) - 1, -1, -1):
        if steps[i].info == info or (not steps[i].info and ": load from " in info and "Pretrained" in steps[i].via):
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
    return TensorPlan(name, "parameter", info, origin, step.describe(), steps[:final] + steps[final + 1:])


def _flavours(model: nn.Module) -> list[str]:
    from ._native import discover_upstream, native_kind

    discover_upstream()
    found = []
    for m in model.modules():
        kind = native_kind(m)
        if kind is not None:
            label = kind.flavour.name + (" (upstream)" if kind.upstream else "")
            if label not in found:
                found.append(label)
    return found


def _materialise_defaults(work: nn.Module) -> None:
    """A meta-device copy on the CPU, with PyTorch's defaults where a module can make them.

    Each module's ``reset_parameters()`` (Linear, Conv, norms ...) gives its
    parameters and buffers the values they would have had; tensors no module resets
    (``nn.Parameter(torch.zeros(...))`` made in a constructor) hold uninitialised
    memory, so a constant fill over one of them is planned as a change even where
    the real default equals the constant.
    """
    work.to_empty(device="cpu")
    with torch.no_grad():
        for m in work.modules():
            reset = getattr(m, "reset_parameters", None)
            if callable(reset) and not isinstance(m, (nn.ModuleList, nn.ModuleDict, nn.Sequential)):
                with contextlib.suppress(Exception):  # a custom reset that needs more: leave it
                    reset()


@contextlib.contextmanager
def _quiet_logs() -> Iterator[None]:
    """Drop the log records this thread emits meanwhile (the copy's init-info dump, the
    ``initialize ... with init_cfg`` lines, checkpoint messages).  ``logging.disable``
    is not enough: mmengine's ``MMLogger`` instances live outside the logging manager,
    so their cached level checks are never cleared."""
    thread = threading.get_ident()
    original = logging.Logger.handle

    def handle(logger: logging.Logger, record: logging.LogRecord) -> Any:
        if record.thread == thread:
            return None
        return original(logger, record)

    logging.Logger.handle = handle  # type: ignore[method-assign, assignment]
    try:
        yield
    finally:
        logging.Logger.handle = original  # type: ignore[method-assign]


def _dumps(model: nn.Module) -> bool:
    from ._native import _KINDS

    kind = next((k for k in (_KINDS.get(c.__dict__.get("init_weights")) for c in type(model).__mro__)
                 if k is not None), None)  # the BaseModule under a user-defined init_weights
    cfg = getattr(model, "init_cfg", None)
    if kind is None or not kind.flavour.pretrained_dict_returns_early or not isinstance(cfg, dict):
        return True
    return cfg.get("type") != "Pretrained"


def explain(model: nn.Module, lints: bool = True) -> InitPlan:
    """The init plan of ``model``: per parameter and buffer, what ``init_weights`` will
    write and why, before anything runs on ``model`` (which is left untouched).

    Args:
        model: a model with ``init_weights`` (mminit's ``BaseModule``, mmengine's or
            mmcv 1.x's), built but not initialised; the meta device is fine.
        lints: also run the lints (:attr:`InitPlan.lints`).

    Returns:
        An :class:`InitPlan`; if ``init_weights`` would raise, :attr:`InitPlan.error`
        says what and the tensors are left out.

    Examples:
        >>> plan = mminit.explain(model)
        >>> print(plan.format())
        >>> plan["head.fc.weight"].source
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"explain(model) takes an nn.Module, got {type(model)!r}")
    if not callable(getattr(model, "init_weights", None)):
        raise TypeError(f"{type(model).__name__} has no init_weights method; explain takes a BaseModule "
                        "(mminit's, mmengine's or mmcv 1.x's) or a module defining init_weights")
    devices = sorted({t.device.index or 0 for t in list(model.parameters()) + list(model.buffers())
                      if t.device.type == "cuda"})
    with torch.random.fork_rng(devices=devices):  # the caller's random streams stay as they are
        return _explain(model, lints)


def _explain(model: nn.Module, lints: bool) -> InitPlan:
    from ._route import init_weights

    work = copy.deepcopy(model)
    if any(t.is_meta for t in list(work.parameters()) + list(work.buffers())):
        _materialise_defaults(work)
    rec = _Recorder(work)
    engines: list[_PlanEngine] = []

    class _Engine(_PlanEngine):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.recorder = rec
            engines.append(self)

    named = list(work.named_parameters()) + list(work.named_buffers())
    # values before, to tell what init_weights leaves unchanged
    before = {name: t.detach().clone() for name, t in named}
    plan = InitPlan(type(model).__name__, _flavours(model), [])
    try:
        with warnings.catch_warnings(), using_fast_engine(_Engine), _quiet_logs(), \
                contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            init_weights(work, mode="fast")
    except Exception as exc:  # noqa: BLE001 - reported in the plan
        plan.error = f"{type(exc).__name__}: {exc}"
    if plan.error is None:
        plan.dumps = _dumps(model)
        if not engines:  # the root's own init_weights never reaches BaseModule's
            plan.dumps = False
            for name, p in work.named_parameters():
                plan.tensors.append(TensorPlan(
                    name, "parameter", None, "user_code",
                    f"{type(model).__name__}'s own init_weights (no BaseModule init_weights runs)",
                    uncovered=bool(torch.equal(before[name], p.detach()))))
        else:
            engine = engines[0]
            table = engine.table
            for name, p in work.named_parameters():
                info = table[p].get("init_info") if p in table else None
                if info is None:
                    plan.tensors.append(TensorPlan(name, "parameter", None, "default", "not in the init table"))
                    continue
                tp = _plan_param(name, p, info, rec)
                if id(p) in rec.finished and p._version != rec.finished[id(p)]:
                    # the root's own init_weights wrote it after BaseModule's (and its dump)
                    tp.origin = "user_code"
                    tp.source = (f"{type(model).__name__}'s own init_weights after the init-info dump, "
                                 f"which records {tp.source}")
                tp.uncovered = bool(torch.equal(before[name], p.detach()))  # what the values say
                plan.tensors.append(tp)
        for name, b in work.named_buffers():
            touched = not torch.equal(before[name], b.detach())
            plan.tensors.append(TensorPlan(
                name, "buffer", None, "written" if touched else "default",
                "changed during init_weights" if touched else "not written: its value stays",
                uncovered=not touched))
    if lints:
        from ._explain_lints import run_lints

        plan.lints = run_lints(model, plan)
    return plan

