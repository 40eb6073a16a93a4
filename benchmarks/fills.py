"""One tensor fill, as data, and the code that performs it.

A :class:`Fill` names a tensor, a distribution and its arguments.  The replay
and floor references (``plan.py``) are nothing but loops over fills, so how a
fill is performed decides whether they are bit-identical to upstream.  Every
kind is performed by the ``torch.nn.init`` function upstream's helpers call,
except the truncated normal: upstream samples it by the inverse CDF (one
``uniform_`` then ``erfinv_``, ``mul_``, ``add_``, ``clamp_``), whereas torch
2.13's own ``trunc_normal_`` uses rejection sampling, which draws a different
random stream.  :func:`trunc_normal_icdf_` is our implementation of the
inverse-CDF method.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import torch
from torch import nn

__all__ = ["RANDOM_KINDS", "Fill", "FillKind", "apply_fill", "trunc_normal_icdf_"]

FillKind = Literal[
    "constant",
    "normal",
    "uniform",
    "trunc_normal",
    "xavier_uniform",
    "xavier_normal",
    "kaiming_uniform",
    "kaiming_normal",
]

RANDOM_KINDS: frozenset[str] = frozenset(
    {
        "normal",
        "uniform",
        "trunc_normal",
        "xavier_uniform",
        "xavier_normal",
        "kaiming_uniform",
        "kaiming_normal",
    }
)


@dataclass(frozen=True, eq=False)
class Fill:
    """Fill ``tensor`` in place with ``kind`` drawn using ``args``."""

    tensor: torch.Tensor
    kind: FillKind
    args: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        shown = ", ".join(f"{k}={v}" for k, v in self.args.items())
        return f"{self.kind}({shown}) on {tuple(self.tensor.shape)}"


def _standard_normal_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def trunc_normal_icdf_(
    tensor: torch.Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0
) -> torch.Tensor:
    """Truncated normal by inverse CDF, drawing the same stream as upstream.

    Map ``[a, b]`` to ``[2*cdf(a)-1, 2*cdf(b)-1]``, draw uniformly there, apply
    ``erfinv`` and scale by ``std * sqrt(2)``; clamp to ``[a, b]`` last.
    """
    low = 2.0 * _standard_normal_cdf((a - mean) / std) - 1.0
    high = 2.0 * _standard_normal_cdf((b - mean) / std) - 1.0
    with torch.no_grad():
        tensor.uniform_(low, high)
        tensor.erfinv_()
        tensor.mul_(std * math.sqrt(2.0))
        tensor.add_(mean)
        tensor.clamp_(min=a, max=b)
    return tensor


def apply_fill(fill: Fill) -> None:
    """Perform ``fill`` in place."""
    t, kw = fill.tensor, fill.args
    kind = fill.kind
    if kind == "constant":
        nn.init.constant_(t, kw["val"])
    elif kind == "normal":
        nn.init.normal_(t, kw["mean"], kw["std"])
    elif kind == "uniform":
        nn.init.uniform_(t, kw["a"], kw["b"])
    elif kind == "trunc_normal":
        trunc_normal_icdf_(t, kw["mean"], kw["std"], kw["a"], kw["b"])
    elif kind == "xavier_uniform":
        nn.init.xavier_uniform_(t, gain=kw["gain"])
    elif kind == "xavier_normal":
        nn.init.xavier_normal_(t, gain=kw["gain"])
    elif kind == "kaiming_uniform":
        nn.init.kaiming_uniform_(t, a=kw["a"], mode=kw["mode"], nonlinearity=kw["nonlinearity"])
    elif kind == "kaiming_normal":
        nn.init.kaiming_normal_(t, a=kw["a"], mode=kw["mode"], nonlinearity=kw["nonlinearity"])
    else:
        raise ValueError(
            f"unknown fill kind {kind!r}; expected one of {sorted(RANDOM_KINDS | {'constant'})}"
        )
