"""Bricks that need no registry or ConvModule: ``DropPath``, ``Dropout``, ``Scale``, ``ContextBlock``.

The same classes serve both flavours (mmcv 1.7.2 and 2.2.0 define them alike);
written for mminit from upstream's documented behaviour: the same attribute and
parameter names, the same initial values drawn in the same order from torch's
generator, and the same arithmetic (bit-identical forward passes).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor, nn

from .._functional import constant_init, kaiming_init
from ._errors import InvalidBrickArg

__all__ = ["ContextBlock", "DropPath", "Dropout", "Scale", "drop_path"]

_POOLING_TYPES = ("avg", "att")
_FUSION_TYPES = ("channel_add", "channel_mul")


def drop_path(x: Tensor, drop_prob: float = 0.0, training: bool = False) -> Tensor:
    """Stochastic depth: zero whole samples with probability ``drop_prob`` (training only),
    scaling the kept ones by ``1 / (1 - drop_prob)``.

    Examples:
        >>> drop_path(torch.ones(4, 3), 0.5, training=True).shape
        torch.Size([4, 3])
    """
    if drop_prob == 0.0 or not training:
        return x
    keep = 1 - drop_prob
    mask_shape = (x.shape[0],) + (1,) * (x.ndim - 1)
    mask = (keep + torch.rand(mask_shape, dtype=x.dtype, device=x.device)).floor()
    return x.div(keep) * mask


class DropPath(nn.Module):
    """:func:`drop_path` as a layer (registered as ``'DropPath'``).

    Args:
        drop_prob: the probability that a sample's path is zeroed (default 0.1).
    """

    def __init__(self, drop_prob: float = 0.1) -> None:
        super().__init__()
        self.drop_prob = drop_prob

    def forward(self, x: Tensor) -> Tensor:
        return drop_path(x, self.drop_prob, self.training)


class Dropout(nn.Dropout):
    """``nn.Dropout`` whose probability is called ``drop_prob`` (default 0.5), as ``DropPath``'s is."""

    def __init__(self, drop_prob: float = 0.5, inplace: bool = False) -> None:
        super().__init__(p=drop_prob, inplace=inplace)


class Scale(nn.Module):
    """Multiplies its input by one learnable scalar ``scale`` (a 0-d float parameter).

    Args:
        scale: the initial value (default 1.0).
    """

    def __init__(self, scale: float = 1.0) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(scale, dtype=torch.float))

    def forward(self, x: Tensor) -> Tensor:
        return x * self.scale


def _transform(channels: int, planes: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(channels, planes, kernel_size=1),
        nn.LayerNorm([planes, 1, 1]),
        nn.ReLU(inplace=True),
        nn.Conv2d(planes, channels, kernel_size=1),
    )


def _check_context_args(pooling_type: str, fusion_types: Sequence[str]) -> None:
    if pooling_type not in _POOLING_TYPES:
        raise InvalidBrickArg(
            f"ContextBlock: pooling_type must be one of {_POOLING_TYPES}, got {pooling_type!r}"
        )
    if not isinstance(fusion_types, (list, tuple)):
        raise InvalidBrickArg(
            f"ContextBlock: fusion_types must be a list or tuple, got "
            f"{fusion_types!r} of type {type(fusion_types).__name__}"
        )
    if not all(f in _FUSION_TYPES for f in fusion_types):
        raise InvalidBrickArg(
            f"ContextBlock: each fusion type must be one of {_FUSION_TYPES}, "
            f"got {list(fusion_types)!r}"
        )
    if len(fusion_types) == 0:
        raise InvalidBrickArg("ContextBlock: at least one fusion should be used, got none")


class ContextBlock(nn.Module):
    """GCNet's global context block (arXiv:1904.11492), registered as a plugin layer.

    Context pooling (``'att'``: a 1x1 conv mask and a softmax over positions;
    ``'avg'``: average pooling), then per fusion type a conv-LayerNorm-ReLU-conv
    transform added to (``'channel_add'``) or, through a sigmoid, multiplied with
    (``'channel_mul'``) the input.  :meth:`reset_parameters` (run on
    construction): Kaiming (fan_in) for the mask conv, zeros for the last conv of
    each transform.

    Args:
        in_channels: input channels.
        ratio: bottleneck channels are ``int(in_channels * ratio)``.
        pooling_type: ``'att'`` (default) or ``'avg'``.
        fusion_types: a non-empty list/tuple of ``'channel_add'``/``'channel_mul'``.

    Examples:
        >>> ContextBlock(16, 1 / 4)(torch.randn(2, 16, 8, 8)).shape
        torch.Size([2, 16, 8, 8])
    """

    _abbr_ = "context_block"

    def __init__(
        self,
        in_channels: int,
        ratio: float,
        pooling_type: str = "att",
        fusion_types: tuple[Any, ...] = ("channel_add",),
    ) -> None:
        super().__init__()
        _check_context_args(pooling_type, fusion_types)
        self.in_channels = in_channels
        self.ratio = ratio
        self.planes = int(in_channels * ratio)
        self.pooling_type = pooling_type
        self.fusion_types = fusion_types
        if pooling_type == "att":
            self.conv_mask = nn.Conv2d(in_channels, 1, kernel_size=1)
            self.softmax = nn.Softmax(dim=2)
        else:
            self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.channel_add_conv = (
            _transform(in_channels, self.planes) if "channel_add" in fusion_types else None
        )
        self.channel_mul_conv = (
            _transform(in_channels, self.planes) if "channel_mul" in fusion_types else None
        )
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Kaiming (fan_in) for the mask conv; zero the last conv of each transform."""
        if self.pooling_type == "att":
            kaiming_init(self.conv_mask, mode="fan_in")
            self.conv_mask.inited = True  # type: ignore[assignment]  # upstream's marker
        for transform in (self.channel_add_conv, self.channel_mul_conv):
            if transform is not None:
                constant_init(transform[-1], val=0)

    def spatial_pool(self, x: Tensor) -> Tensor:
        """The per-channel context, shape ``(N, C, 1, 1)``."""
        batch, channels, height, width = x.size()
        if self.pooling_type != "att":
            return self.avg_pool(x)  # type: ignore[no-any-return]
        values = x.view(batch, channels, height * width).unsqueeze(1)
        mask = self.softmax(self.conv_mask(x).view(batch, 1, height * width)).unsqueeze(-1)
        return torch.matmul(values, mask).view(batch, channels, 1, 1)

    def forward(self, x: Tensor) -> Tensor:
        context = self.spatial_pool(x)
        out = x
        if self.channel_mul_conv is not None:
            out = out * torch.sigmoid(self.channel_mul_conv(context))
        if self.channel_add_conv is not None:
            out = out + self.channel_add_conv(context)
        return out
