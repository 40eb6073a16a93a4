"""Weight fills as data: ``(kind, args)`` pairs applied to one tensor.

The compat engine splits ``trunc_normal`` into its random draw and its
deterministic transform so a draw that a later fill overwrites can skip the
transform; every other kind is one torch call, exactly as upstream makes it.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, NamedTuple

import torch
from torch import Tensor, nn

__all__ = [
    "FillSpec",
    "apply_fill",
    "fill_module",
    "fill_plain",
    "fixed_result",
    "is_fixed",
    "module_fills",
    "trunc_normal_draw",
    "trunc_normal_transform",
    "validate_fill",
    "warns",
]


class FillSpec(NamedTuple):
    kind: str  # constant | normal | uniform | trunc_normal | xavier_* | kaiming_*
    args: tuple[Any, ...]


def _norm_cdf(x: float) -> float:
    return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0


def _trunc_normal_bounds(
    mean: float, std: float, a: float, b: float, warn: bool
) -> tuple[float, float]:
    if warn and ((mean < a - 2 * std) or (mean > b + 2 * std)):
        warnings.warn(
            "mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
            "The distribution of values may be incorrect.",
            stacklevel=4,
        )
    lower = _norm_cdf((a - mean) / std)
    upper = _norm_cdf((b - mean) / std)
    return 2 * lower - 1, 2 * upper - 1


def trunc_normal_draw(
    tensor: Tensor,
    mean: float,
    std: float,
    a: float,
    b: float,
    generator: torch.Generator | None = None,
) -> None:
    """The random half of ``trunc_normal_``: warn as upstream, then the ``uniform_`` draw."""
    low, high = _trunc_normal_bounds(mean, std, a, b, warn=generator is None)
    with torch.no_grad():
        tensor.uniform_(low, high, generator=generator)


def trunc_normal_transform(tensor: Tensor, mean: float, std: float, a: float, b: float) -> None:
    """The deterministic half of ``trunc_normal_``: inverse CDF, scale, shift, clamp."""
    with torch.no_grad():
        tensor.erfinv_()
        tensor.mul_(std * math.sqrt(2.0))
        tensor.add_(mean)
        tensor.clamp_(min=a, max=b)


def _fixed_value(spec: FillSpec) -> float | None:
    """The value a ``uniform``/``normal`` fill writes everywhere when its range is one
    point (``a == b``, ``std == 0``); ``None`` otherwise."""
    kind, args = spec
    try:
        if kind == "uniform" and args[0] == args[1]:
            return float(args[0])
        if kind == "normal" and args[1] == 0:
            return float(args[0])
    except (TypeError, ValueError, IndexError):
        return None
    return None


def _degenerate_trunc_normal(spec: FillSpec) -> float | None:
    """The one uniform draw bound of a truncated normal whose CDF bounds coincide.

    Far outside ``[a, b]`` (``mean=6, a=-2, b=2``) both bounds round to the same
    float, ``uniform_`` then writes that bound everywhere, and the whole fill is the
    same value whatever the random stream; ``None`` for every other spec.
    """
    if spec.kind != "trunc_normal":
        return None
    mean, std, a, b = spec.args
    try:
        if not std > 0:
            return None
        low, high = _trunc_normal_bounds(mean, std, a, b, warn=False)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    return low if low == high else None


def is_fixed(spec: FillSpec) -> bool:
    """Whether ``spec`` writes values that do not depend on the random draws: a constant,
    a one-point uniform/normal, or a truncated normal whose bounds coincide."""
    return (
        spec.kind == "constant"
        or _fixed_value(spec) is not None
        or _degenerate_trunc_normal(spec) is not None
    )


def fixed_result(tensor: Tensor, spec: FillSpec) -> Tensor:
    """A new tensor like ``tensor`` holding exactly what the fixed fill ``spec`` writes
    (computed with upstream's own operations, so its mean is the mean upstream sees)."""
    if spec.kind == "constant":
        return torch.full_like(tensor, spec.args[0])
    value = _fixed_value(spec)
    if value is not None:
        return torch.full_like(tensor, value)
    low = _degenerate_trunc_normal(spec)
    if low is None:
        raise ValueError(f"{spec!r} depends on the random draws")
    out = torch.full_like(tensor, low)
    trunc_normal_transform(out, *spec.args)
    return out


_SCRATCH_GENERATOR: torch.Generator | None = None


def _check_scalar_fill(tensor: Tensor, spec: FillSpec) -> None:
    """Run a constant/normal/uniform fill on a one-element CPU tensor of ``tensor``'s dtype.

    torch raises the same errors there (an argument of the wrong type, a negative
    std, ``a > b``) and a private generator leaves the random stream alone.
    """
    global _SCRATCH_GENERATOR
    if _SCRATCH_GENERATOR is None:
        _SCRATCH_GENERATOR = torch.Generator()
    kind, args = spec
    scratch = torch.empty((), dtype=tensor.dtype, device="cpu")  # not the default device (meta)
    with torch.no_grad():
        if kind == "constant":
            scratch.fill_(*args)
        elif kind == "normal":
            scratch.normal_(*args, generator=_SCRATCH_GENERATOR)
        else:
            scratch.uniform_(*args, generator=_SCRATCH_GENERATOR)


def _check_gain(name: str, value: Any) -> None:
    """The ``TypeError`` upstream's ``gain * math.sqrt(...)`` raises, with a clear message."""
    try:
        value * 1.0
    except TypeError:
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}") from None


def apply_fill(tensor: Tensor, spec: FillSpec) -> None:
    """Apply ``spec`` to ``tensor`` in full, bit-identical to upstream's helper."""
    kind, args = spec
    if kind == "constant":
        nn.init.constant_(tensor, *args)
    elif kind == "normal":
        nn.init.normal_(tensor, *args)
    elif kind == "uniform":
        nn.init.uniform_(tensor, *args)
    elif kind == "trunc_normal":
        trunc_normal_draw(tensor, *args)
        trunc_normal_transform(tensor, *args)
    elif kind == "xavier_uniform":
        _check_gain("gain", args[0])
        nn.init.xavier_uniform_(tensor, gain=args[0])
    elif kind == "xavier_normal":
        _check_gain("gain", args[0])
        nn.init.xavier_normal_(tensor, gain=args[0])
    elif kind == "kaiming_uniform":
        nn.init.kaiming_uniform_(tensor, a=args[0], mode=args[1], nonlinearity=args[2])
    elif kind == "kaiming_normal":
        nn.init.kaiming_normal_(tensor, a=args[0], mode=args[1], nonlinearity=args[2])
    else:
        raise ValueError(f"unknown fill kind {kind!r}")


def fill_plain(p: Tensor, spec: FillSpec) -> None:
    """:func:`apply_fill` of a plain tensor or ``nn.Parameter`` (no ``__torch_function__``)
    under ``no_grad`` already: the same tensor calls ``nn.init`` makes for the constant,
    normal, uniform and truncated normal fills, without a ``no_grad`` block per call and
    without the truncated normal's warning (given when the fill was recorded); the
    others through ``apply_fill``."""
    kind, args = spec
    if kind == "constant":
        p.fill_(args[0])
    elif kind == "normal":
        p.normal_(args[0], args[1])
    elif kind == "uniform":
        p.uniform_(args[0], args[1])
    elif kind == "trunc_normal":
        mean, std, a, b = args
        low, high = _trunc_normal_bounds(mean, std, a, b, warn=False)
        p.uniform_(low, high)
        p.erfinv_()
        p.mul_(std * math.sqrt(2.0))
        p.add_(mean)
        p.clamp_(min=a, max=b)
    else:
        apply_fill(p, spec)


#: class -> whether ``module.weight`` / ``module.bias`` reach ``nn.Module.__getattr__``
#: (no property or class attribute of those names, no ``__getattr__`` of its own)
_PLAIN_WEIGHT_BIAS: dict[type, bool] = {}


def _plain_weight_bias(cls: type) -> bool:
    known = _PLAIN_WEIGHT_BIAS.get(cls)
    if known is None:
        known = _PLAIN_WEIGHT_BIAS[cls] = (
            getattr(cls, "__getattr__", None) is nn.Module.__getattr__
            and cls.__getattribute__ is object.__getattribute__  # type: ignore[comparison-overlap]
            and not any(n in vars(k) for k in cls.__mro__ for n in ("weight", "bias"))
        )
    return known


def _module_attr(module: nn.Module, name: str) -> Any:
    """``getattr(module, name, None)`` for a class of :func:`_plain_weight_bias`: the
    instance's own attribute, else ``nn.Module.__getattr__``'s lookup."""
    d = module.__dict__
    if name in d:
        return d[name]
    for store in ("_parameters", "_buffers", "_modules"):
        found = d.get(store)
        if found is not None and name in found:
            return found[name]
    return None


def module_fills(module: nn.Module, weight: FillSpec, bias: float) -> list[tuple[Tensor, FillSpec]]:
    """What a ``*_init`` helper writes: ``weight`` into ``module.weight``, the constant
    ``bias`` into ``module.bias`` (each only where the module has one), in that order."""
    if _plain_weight_bias(module.__class__):
        w, b = _module_attr(module, "weight"), _module_attr(module, "bias")
    else:
        w, b = getattr(module, "weight", None), getattr(module, "bias", None)
    fills = []
    if w is not None:
        fills.append((w, weight))
    if b is not None:
        fills.append((b, FillSpec("constant", (bias,))))
    return fills


def fill_module(module: nn.Module, weight: FillSpec, bias: float) -> None:
    """Apply :func:`module_fills` now."""
    for tensor, spec in module_fills(module, weight, bias):
        apply_fill(tensor, spec)


def validate_fill(tensor: Tensor, spec: FillSpec) -> None:
    """Raise and warn exactly as :func:`apply_fill` would, without touching ``tensor``.

    Fast mode records fills and runs only the last one; this keeps every
    error (the fan of a 1-D weight, an unknown nonlinearity or mode, std=0)
    and warning at the point where upstream raises it.
    """
    kind, args = spec
    if kind in ("constant", "normal", "uniform"):
        _check_scalar_fill(tensor, spec)
        return
    if not tensor.is_floating_point():
        apply_fill(torch.empty_like(tensor, device="meta"), spec)  # dtype errors, rare
        return
    if kind == "trunc_normal":
        mean, std, a, b = args
        _trunc_normal_bounds(mean, std, a, b, warn=True)
    elif kind.startswith("xavier_"):
        fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(tensor)
        _check_gain("gain", args[0])
        _ = args[0] * math.sqrt(2.0 / float(fan_in + fan_out))
    elif kind.startswith("kaiming_"):
        slope, mode, nonlinearity = args
        if 0 in tensor.shape:
            warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=4)
            return
        fan = nn.init._calculate_correct_fan(tensor, mode)
        _ = nn.init.calculate_gain(nonlinearity, slope) / math.sqrt(fan)
    elif kind not in ("normal", "uniform"):
        raise ValueError(f"unknown fill kind {kind!r}")


def warns(spec: FillSpec) -> bool:
    """Whether the fill warns (a truncated normal far from its bounds)."""
    if spec.kind != "trunc_normal":
        return False
    mean, std, a, b = spec.args
    try:
        return bool((mean < a - 2 * std) or (mean > b + 2 * std))
    except TypeError:
        return True
