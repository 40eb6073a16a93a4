"""``mminit.explain(model)``: what ``init_weights`` will do to every parameter, and why.

:func:`explain` deep-copies the model and runs a compat ``init_weights`` on the copy
with engines that also note, for each fill asked for, which module's ``init_cfg``
asked for it (``layer`` match or ``override``; :mod:`mminit._explain.record`).  Where
the plan cache can key the tree (:mod:`mminit._modules.planned`), that run records
the architecture's plan anew and puts it in the cache, and the explanation is read
from the plan itself: each parameter's fills are the plan's write steps on it, in
order, so an ``init_weights`` of the model that follows replays exactly the plan
explained, without walking the tree again (:attr:`InitPlan.cached`).  The init-info
string each parameter ends with is the compat engine's table, upstream's string;
the fills it shadowed are the steps before the last.  The model passed in is never
touched, and the random streams are restored afterwards; a meta-device model's copy
is materialised on the CPU with PyTorch's defaults (each module's
``reset_parameters``).  Code mminit does not control (a module's own
``init_weights``, custom initializers, ``Pretrained``) runs on the copy as it would,
and is reported as such, not guessed.

The plan's data types are in :mod:`mminit._explain.plan`; lints
(:mod:`mminit._explain.lints`) read the tree and the plan.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import sys
from collections.abc import Callable

import torch
from torch import Tensor, nn

from .._engine import using_compat_engines
from .._init import INITIALIZER_CLASSES
from .capture import quiet_run
from .plan import InitPlan, Lint, Step, TensorPlan
from .record import NeedsValues, Recorder, explain_engines, plan_param

__all__ = ["InitPlan", "Lint", "Step", "TensorPlan", "explain"]


def _flavours(model: nn.Module) -> list[str]:
    from .._modules import discover_upstream, native_kind

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


def _logger_maker(labels: list[str]) -> Callable[[], None]:
    """Create the loggers the copy's init run would create, so :func:`quiet_run` filters them."""

    def make() -> None:
        from .._logging import LOGGER_NAME
        from .._modules import native as _native

        logging.getLogger(LOGGER_NAME)
        if "mmengine (upstream)" in labels and "mmengine.logging.logger" in sys.modules:
            _native._mmengine_logger()  # print_log(logger='current') creates it
        if (
            any(label.startswith("mmcv1") for label in labels)
            and "mmcv.utils.logging" in sys.modules
        ):
            _native._mmcv_logger()

    return make


def _dumps(model: nn.Module) -> bool:
    from .._modules.native import _KINDS

    kind = next(
        (
            k
            for k in (_KINDS.get(c.__dict__.get("init_weights")) for c in type(model).__mro__)
            if k is not None
        ),
        None,
    )  # the BaseModule under a user-defined init_weights
    cfg = getattr(model, "init_cfg", None)
    if kind is None or not kind.flavour.pretrained_dict_returns_early or not isinstance(cfg, dict):
        return True
    return cfg.get("type") != "Pretrained"


def explain(model: nn.Module, lints: bool = True, run_fills: bool = False) -> InitPlan:
    """The init plan of ``model``: per parameter and buffer, what ``init_weights`` will
    write and why, before anything runs on ``model`` (which is left untouched).

    Args:
        model: a model with ``init_weights`` (mminit's ``BaseModule``, mmengine's or
            mmcv 1.x's), built but not initialised; the meta device is fine.
        lints: also run the lints (:attr:`InitPlan.lints`).
        run_fills: run every fill on the copy.  By default, where no code in the init
            can read the values (only built-in initializers, and user ``init_weights``
            that only overwrite whole parameters after their ``super()``), the fills are
            evaluated from the plan instead of run (:attr:`InitPlan.fills_evaluated`):
            a random fill's mean counts as changed, which a real draw misses with a
            probability of about one in 2**24 per check (``float32``; fills of other
            dtypes run, and so does everything if such code turns up after all).

    Returns:
        An :class:`InitPlan`; if ``init_weights`` would raise, :attr:`InitPlan.error`
        says what and the tensors are left out.  Where :attr:`InitPlan.cached`, the plan
        explained is in the plan cache: a compat ``init_weights`` of ``model`` replays it.

    Examples:
        >>> plan = mminit.explain(model)
        >>> print(plan.format())
        >>> plan["head.fc.weight"].source
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"explain(model) takes an nn.Module, got {type(model)!r}")
    if not callable(getattr(model, "init_weights", None)):
        raise TypeError(
            f"{type(model).__name__} has no init_weights method; explain takes a BaseModule "
            "(mminit's, mmengine's or mmcv 1.x's) or a module defining init_weights"
        )
    devices = sorted(
        {
            t.device.index or 0
            for t in list(model.parameters()) + list(model.buffers())
            if t.device.type == "cuda"
        }
    )
    with torch.random.fork_rng(devices=devices):  # the caller's random streams stay as they are
        if not run_fills and _may_evaluate(model):
            with torch.random.fork_rng(devices=devices):
                try:
                    return _explain(model, lints, evaluates=True)
                except NeedsValues:
                    pass  # code read the values after all: explain again, running every fill
        return _explain(model, lints, evaluates=False)


#: the registry names of the built-in initializers that only fill (not ``Pretrained``)
_BUILTIN_INITS = frozenset(
    name for name, cls in INITIALIZER_CLASSES.items() if not getattr(cls, "loads_checkpoint", False)
)


def _cfg_types_builtin(cfg: object) -> bool:
    """Whether every initializer an ``init_cfg`` names is a built-in fill (no
    ``Pretrained``, no custom initializer: code that may read the values)."""
    if isinstance(cfg, (list, tuple)):
        return all(_cfg_types_builtin(c) for c in cfg)
    if isinstance(cfg, dict):
        typ = cfg.get("type")
        name = typ if isinstance(typ, str) else getattr(typ, "__name__", "")
        base = name.removesuffix("Init")
        if typ is not None and base not in _BUILTIN_INITS:
            return False
        return all(_cfg_types_builtin(v) for v in cfg.values() if isinstance(v, (dict, list)))
    return True


def _may_evaluate(model: nn.Module) -> bool:
    """Whether no code in ``model``'s init can read the parameters (only built-in fills,
    user code that only overwrites after its ``super()``): explain may then evaluate
    fills instead of running them.  (A run that meets such code anyway starts again.)"""
    from .._modules import discover_upstream, only_write_only_code

    discover_upstream()  # (upstream classes imported since the last init: their kinds)
    return only_write_only_code(model) and all(
        _cfg_types_builtin(getattr(m, "init_cfg", None)) for m in model.modules()
    )


def _explain(model: nn.Module, lints: bool, evaluates: bool) -> InitPlan:
    from .._modules import init_weights

    try:
        work = copy.deepcopy(model)
    except Exception as exc:
        raise TypeError(
            f"explain plans on a deep copy of the model (the model itself stays untouched), "
            f"and this {type(model).__name__} cannot be deep-copied: {type(exc).__name__}: "
            f"{exc}. Make it deep-copyable (drop or re-create the attribute that holds a lock, "
            f"file or process handle, or define __deepcopy__), then explain again"
        ) from exc
    named = list(work.named_parameters()) + list(work.named_buffers())
    if any(t.is_meta for _, t in named):
        _materialise_defaults(work)
        named = list(work.named_parameters()) + list(work.named_buffers())
        # values before, to tell what init_weights leaves unchanged
        before = {name: t.detach().clone() for name, t in named}
    else:  # the model's own (never written), named as the copy's
        before = {
            name: t.detach()
            for name, t in list(model.named_parameters()) + list(model.named_buffers())
        }
    rec = Recorder(work, evaluates)
    plan = InitPlan(type(model).__name__, _flavours(model), [])
    try:
        with quiet_run(_logger_maker(plan.flavours)), using_compat_engines(*explain_engines(rec)):
            init_weights(work, mode="compat")
    except Exception as exc:  # noqa: BLE001 - reported in the plan
        plan.error = f"{type(exc).__name__}: {exc}"
    if plan.error is None:
        rec.read_plan()
        plan.cached = rec.plan is not None
        plan.dumps = _dumps(model) and bool(rec.engines)
        plan.tensors = _tensor_plans(model, work, rec, before)
        plan.fills_evaluated = rec.evaluation.skipped
    if lints:
        from .lints import run_lints

        plan.lints = run_lints(model, plan)
    return plan


def _tensor_plans(
    model: nn.Module, work: nn.Module, rec: Recorder, before: dict[str, Tensor]
) -> list[TensorPlan]:
    """The plans of ``work``'s parameters, then its buffers, after its init run."""
    plans: list[TensorPlan] = []
    if not rec.engines:  # the root's own init_weights never reaches BaseModule's
        for name, p in work.named_parameters():
            plans.append(
                TensorPlan(
                    name,
                    "parameter",
                    None,
                    "user_code",
                    f"{type(model).__name__}'s own init_weights (no BaseModule init_weights runs)",
                    uncovered=bool(torch.equal(before[name], p.detach())),
                )
            )
    else:
        table = rec.engines[0].table
        for name, p in work.named_parameters():
            info = table[p].get("init_info") if p in table else None
            if info is None:
                plans.append(
                    TensorPlan(name, "parameter", None, "default", "not in the init table")
                )
                continue
            tp = plan_param(name, p, info, rec)
            if id(p) in rec.finished and p._version != rec.finished[id(p)]:
                # the root's own init_weights wrote it after BaseModule's (and its dump)
                tp.origin = "user_code"
                tp.source = (
                    f"{type(model).__name__}'s own init_weights after the init-info dump, "
                    f"which records {tp.source}"
                )
            # what the values say (or, where its last fill was evaluated, that fill)
            tp.uncovered = rec.evaluation.equal(p, before[name])
            plans.append(tp)
    for name, b in work.named_buffers():
        touched = not torch.equal(before[name], b.detach())
        plans.append(
            TensorPlan(
                name,
                "buffer",
                None,
                "written" if touched else "default",
                "changed during init_weights" if touched else "not written: its value stays",
                uncovered=not touched,
            )
        )
    return plans
