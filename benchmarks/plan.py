"""Reference plans: the sequence of fills upstream's ``init_weights`` performs.

:func:`init_plan` walks a module tree the way mmengine 0.10.7's
``BaseModule.init_weights`` does and lists, in order, every tensor fill it
would make:

* a module's non-``Pretrained`` ``init_cfg`` entries run first, each over the
  module's whole subtree in ``Module.apply`` order (children before parents);
  an entry touches a submodule whose class name, or the name of one of its
  *direct* base classes, is in ``layer``, and fills its ``weight`` then its
  ``bias`` (bias always constant);
* an ``override`` then fills every submodule of the named child;
* then each direct child that has ``init_weights`` (and is not yet
  initialised) is visited recursively; children without one are not;
* then the fills a user-defined ``init_weights`` adds after calling
  ``super()``, which our models describe through ``user_fills()``.

:func:`replay` performs that whole sequence with no bookkeeping: under the
same seed it gives exactly the weights ``init_weights`` gives.  :func:`floor`
performs only the last fill of each tensor: the same distributions, each
tensor written once, the least work any init with these results can do.
:func:`ceiling` is bit-identical to :func:`replay` but skips everything a
later fill makes unobservable except the random draws.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from .fills import RANDOM_KINDS, Fill, apply_fill

__all__ = [
    "PlanStats",
    "ceiling",
    "final_fills",
    "floor",
    "init_plan",
    "plan_stats",
    "replay",
]

# Each initializer type: its defaults, and the fill it makes on a weight.
_DEFAULTS: dict[str, dict[str, Any]] = {
    "Constant": {},
    "Normal": {"mean": 0, "std": 1},
    "Uniform": {"a": 0, "b": 1},
    "TruncNormal": {"mean": 0, "std": 1, "a": -2, "b": 2},
    "Xavier": {"gain": 1, "distribution": "normal"},
    "Kaiming": {"a": 0, "mode": "fan_out", "nonlinearity": "relu", "distribution": "normal"},
    "Caffe2Xavier": {},
}


def _weight_fill(tensor: Any, kind: str, args: dict[str, Any]) -> Fill:
    if kind == "Constant":
        return Fill(tensor, "constant", {"val": args["val"]})
    if kind == "Normal":
        return Fill(tensor, "normal", {"mean": args["mean"], "std": args["std"]})
    if kind == "Uniform":
        return Fill(tensor, "uniform", {"a": args["a"], "b": args["b"]})
    if kind == "TruncNormal":
        return Fill(tensor, "trunc_normal", {k: args[k] for k in ("mean", "std", "a", "b")})
    if kind == "Xavier":
        return Fill(tensor, f"xavier_{args['distribution']}", {"gain": args["gain"]})  # type: ignore[arg-type]
    if kind == "Kaiming":
        kw = {k: args[k] for k in ("a", "mode", "nonlinearity")}
        return Fill(tensor, f"kaiming_{args['distribution']}", kw)  # type: ignore[arg-type]
    if kind == "Caffe2Xavier":
        kw = {"a": 1, "mode": "fan_in", "nonlinearity": "leaky_relu"}
        return Fill(tensor, "kaiming_uniform", kw)
    raise ValueError(
        f"initializer type {kind!r} is not modelled; expected one of {sorted(_DEFAULTS)}"
    )


def _post_order(module: nn.Module) -> Iterator[nn.Module]:
    """``Module.apply`` order: each child's subtree, then the module itself."""
    for child in module.children():
        yield from _post_order(child)
    yield module


def _matches(m: nn.Module, layers: set[str]) -> bool:
    names = {type(m).__name__} | {b.__name__ for b in type(m).__bases__}
    return bool(names & layers)


def _initializer_fills(module: nn.Module, cfg: dict[str, Any], whole: bool) -> list[Fill]:
    cfg = dict(cfg)
    kind = cfg.pop("type")
    if kind not in _DEFAULTS:
        raise ValueError(
            f"initializer type {kind!r} is not modelled; expected one of {sorted(_DEFAULTS)}"
        )
    layer = cfg.pop("layer", None)
    layers = {layer} if isinstance(layer, str) else set(layer or [])
    bias_prob = cfg.pop("bias_prob", None)
    bias = cfg.pop("bias", 0)
    if bias_prob is not None:
        bias = -math.log((1 - bias_prob) / bias_prob)
    args = {**_DEFAULTS[kind], **cfg}
    fills: list[Fill] = []
    for m in _post_order(module):
        if not (whole or _matches(m, layers)):
            continue
        weight = getattr(m, "weight", None)
        if weight is not None:
            fills.append(_weight_fill(weight, kind, args))
        b = getattr(m, "bias", None)
        if b is not None:
            fills.append(Fill(b, "constant", {"val": bias}))
    return fills


def _cfg_fills(module: nn.Module, cfgs: list[dict[str, Any]]) -> list[Fill]:
    fills: list[Fill] = []
    for cfg in cfgs:
        cfg = copy.deepcopy(cfg)
        override = cfg.pop("override", None)
        fills += _initializer_fills(module, cfg, whole=False)
        if override is None:
            continue
        cfg.pop("layer", None)
        for ov in [override] if isinstance(override, dict) else override:
            ov = dict(ov)
            target = getattr(module, ov.pop("name"))
            fills += _initializer_fills(target, ov if ov else cfg, whole=True)
    return fills


def _is_pretrained(cfg: dict[str, Any]) -> bool:
    return cfg["type"] == "Pretrained"


def init_plan(model: nn.Module) -> list[Fill]:
    """Every fill ``model.init_weights()`` performs, in upstream's order.

    ``Pretrained`` entries are not modelled (the benchmark models have none):
    a tree that uses one is refused rather than planned wrongly.
    """
    fills: list[Fill] = []

    def visit(m: nn.Module) -> None:
        init_cfg = getattr(m, "init_cfg", None)
        if init_cfg:
            cfgs = [init_cfg] if isinstance(init_cfg, dict) else list(init_cfg)
            if any(_is_pretrained(c) for c in cfgs):
                raise ValueError(
                    f"{type(m).__name__}: Pretrained init_cfg entries are not modelled"
                )
            fills.extend(_cfg_fills(m, cfgs))
        for child in m.children():
            if hasattr(child, "init_weights") and not getattr(child, "is_init", False):
                visit(child)
        user_fills = getattr(m, "user_fills", None)
        if user_fills is not None:
            fills.extend(user_fills())

    visit(model)
    return fills


def final_fills(plan: list[Fill]) -> list[Fill]:
    """The last fill of each tensor, in the order those last fills occur."""
    last: dict[int, int] = {}
    for i, f in enumerate(plan):
        last[id(f.tensor)] = i
    return [plan[i] for i in sorted(last.values())]


def replay(plan: list[Fill]) -> None:
    """Perform every fill of ``plan`` in order (bit-identical to upstream)."""
    for f in plan:
        apply_fill(f)


def floor(finals: list[Fill]) -> None:
    """Perform each tensor's final fill once (``finals`` from :func:`final_fills`)."""
    for f in finals:
        apply_fill(f)


# The random draw each kind starts with; drawing it alone into a scratch tensor
# of the same size and dtype advances the generator exactly as the fill does.
_FIRST_DRAW = {
    "normal": "normal_",
    "xavier_normal": "normal_",
    "kaiming_normal": "normal_",
    "uniform": "uniform_",
    "xavier_uniform": "uniform_",
    "kaiming_uniform": "uniform_",
    "trunc_normal": "uniform_",
}


def ceiling(plan: Sequence[Fill], finals: Sequence[Fill]) -> None:
    """Bit-identical to :func:`replay`, doing only the unavoidable work.

    Overwritten constant fills are skipped; an overwritten random fill only
    draws its numbers into a scratch buffer (its ``erfinv``/scaling passes and
    its write to the parameter are skipped); surviving fills run as usual.
    The practical ceiling for a bit-identical init on CPU.
    """
    survivors = {id(f) for f in finals}
    scratch: dict[tuple[torch.dtype, torch.device], torch.Tensor] = {}
    for f in plan:
        if id(f) in survivors:
            apply_fill(f)
            continue
        draw = _FIRST_DRAW.get(f.kind)
        if draw is None:
            continue
        key = (f.tensor.dtype, f.tensor.device)
        buf = scratch.get(key)
        if buf is None or buf.numel() < f.tensor.numel():
            buf = scratch[key] = torch.empty(f.tensor.numel(), dtype=key[0], device=key[1])
        getattr(buf[: f.tensor.numel()], draw)()


@dataclass(frozen=True)
class PlanStats:
    fills: int
    surviving: int
    overwritten_random: int
    overwritten_constant: int
    params_covered: int
    params_total: int
    elements_filled: int
    elements_final: int


def plan_stats(model: nn.Module, plan: list[Fill]) -> PlanStats:
    finals = final_fills(plan)
    survivors = {id(f) for f in finals}
    doomed = [f for f in plan if id(f) not in survivors]
    return PlanStats(
        fills=len(plan),
        surviving=len(finals),
        overwritten_random=sum(f.kind in RANDOM_KINDS for f in doomed),
        overwritten_constant=sum(f.kind not in RANDOM_KINDS for f in doomed),
        params_covered=len(finals),
        params_total=sum(1 for _ in model.parameters()),
        elements_filled=sum(f.tensor.numel() for f in plan),
        elements_final=sum(f.tensor.numel() for f in finals),
    )
