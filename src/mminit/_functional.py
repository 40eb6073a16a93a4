"""Module-level ``*_init`` helpers, ``bias_init_with_prob`` and ``trunc_normal_``.

These are the fills; everything else in mminit decides *which* module gets
*which* fill.  Both flavours share them unchanged (upstream's are identical).
"""

from __future__ import annotations

import math
import warnings
from typing import Literal

from torch import Tensor, nn

from ._engine import FillSpec, fill_module, trunc_normal_draw, trunc_normal_transform
from ._errors import InvalidInitArg

__all__ = [
    "Distribution",
    "FanMode",
    "bias_init_with_prob",
    "caffe2_xavier_init",
    "check_distribution",
    "constant_init",
    "kaiming_init",
    "normal_init",
    "trunc_normal_",
    "trunc_normal_init",
    "uniform_init",
    "xavier_init",
]

Distribution = Literal["normal", "uniform"]
FanMode = Literal["fan_in", "fan_out"]
_DISTRIBUTIONS = ("uniform", "normal")


def check_distribution(distribution: str) -> None:
    if distribution not in _DISTRIBUTIONS:
        raise InvalidInitArg(
            f"distribution must be one of {_DISTRIBUTIONS!r}, got {distribution!r}"
        )


def constant_init(module: nn.Module, val: float, bias: float = 0) -> None:
    """Fill ``module.weight`` with ``val`` and ``module.bias`` with ``bias``.

    Examples:
        >>> constant_init(nn.Linear(2, 3), 1.0, bias=0.5)
    """
    fill_module(module, FillSpec("constant", (val,)), bias)


def xavier_init(
    module: nn.Module, gain: float = 1, bias: float = 0, distribution: Distribution = "normal"
) -> None:
    """Glorot-initialise ``module.weight``; fill ``module.bias`` with ``bias``.

    Examples:
        >>> xavier_init(nn.Conv2d(3, 8, 3), distribution="uniform")
    """
    check_distribution(distribution)
    fill_module(module, FillSpec(f"xavier_{distribution}", (gain,)), bias)


def normal_init(module: nn.Module, mean: float = 0, std: float = 1, bias: float = 0) -> None:
    """Draw ``module.weight`` from N(mean, std**2); fill ``module.bias`` with ``bias``.

    Examples:
        >>> normal_init(nn.Linear(2, 3), std=0.01)
    """
    fill_module(module, FillSpec("normal", (mean, std)), bias)


def trunc_normal_init(
    module: nn.Module,
    mean: float = 0,
    std: float = 1,
    a: float = -2,
    b: float = 2,
    bias: float = 0,
) -> None:
    """Draw ``module.weight`` from a normal truncated to [a, b]; fill the bias.

    Examples:
        >>> trunc_normal_init(nn.Linear(2, 3), std=0.02)
    """
    fill_module(module, FillSpec("trunc_normal", (mean, std, a, b)), bias)


def uniform_init(module: nn.Module, a: float = 0, b: float = 1, bias: float = 0) -> None:
    """Draw ``module.weight`` from U(a, b); fill ``module.bias`` with ``bias``.

    Examples:
        >>> uniform_init(nn.Linear(2, 3), -0.1, 0.1)
    """
    fill_module(module, FillSpec("uniform", (a, b)), bias)


def kaiming_init(
    module: nn.Module,
    a: float = 0,
    mode: FanMode = "fan_out",
    nonlinearity: str = "relu",
    bias: float = 0,
    distribution: Distribution = "normal",
) -> None:
    """He-initialise ``module.weight``; fill ``module.bias`` with ``bias``.

    Examples:
        >>> kaiming_init(nn.Conv2d(3, 8, 3), mode="fan_in")
    """
    check_distribution(distribution)
    fill_module(module, FillSpec(f"kaiming_{distribution}", (a, mode, nonlinearity)), bias)


def caffe2_xavier_init(module: nn.Module, bias: float = 0) -> None:
    """Caffe2's ``XavierFill``.

    Examples:
        >>> caffe2_xavier_init(nn.Conv2d(3, 8, 3))
    """
    # Caffe2 "XavierFill" is kaiming_uniform_(a=1, mode="fan_in"), not torch's xavier.
    kaiming_init(
        module, a=1, mode="fan_in", nonlinearity="leaky_relu", bias=bias, distribution="uniform"
    )


def bias_init_with_prob(prior_prob: float) -> float:
    """Return the bias whose sigmoid is ``prior_prob``: ``-log((1 - p) / p)``.

    Computed as upstream does, ``float(-np.log((1 - p) / p))``, wherever numpy is
    importable (it always is beside mmengine or mmcv): numpy's log and ``math.log``
    differ in the last bit for some ``p`` (about 0.2% of them with numpy 2.x, 24% with
    numpy 1.26), and so would the bias and its init-info string.  Without numpy,
    ``math.log`` with numpy's warnings and results at 0 and below.

    Examples:
        >>> round(bias_init_with_prob(0.01), 4)
        -4.5951
    """
    ratio = (1 - prior_prob) / prior_prob
    try:
        import numpy as np
    except ImportError:
        return _math_bias(ratio)
    return float(-np.log(ratio))


def _math_bias(ratio: float) -> float:
    # numpy's log gives -inf at 0 and nan below it, each with numpy's RuntimeWarning,
    # where math.log would raise.
    if ratio == 0:
        warnings.warn("divide by zero encountered in log", RuntimeWarning, stacklevel=3)
        return math.inf
    if ratio < 0 or math.isnan(ratio):
        warnings.warn("invalid value encountered in log", RuntimeWarning, stacklevel=3)
        return math.nan
    return float(-math.log(ratio))


def trunc_normal_(
    tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0
) -> Tensor:
    """Fill ``tensor`` in place from N(mean, std**2) truncated to [a, b].

    Inverse-CDF sampling: one ``uniform_`` draw mapped through ``erfinv``,
    exactly as upstream (and so the same random stream).

    Examples:
        >>> w = torch.empty(3, 5)
        >>> _ = trunc_normal_(w, std=0.02)
    """
    trunc_normal_draw(tensor, mean, std, a, b)
    trunc_normal_transform(tensor, mean, std, a, b)
    return tensor
