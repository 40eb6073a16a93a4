"""The layer classes upstream registers beside torch's own (both mmcv versions have the same ones).

Written for mminit from upstream's documented behaviour: the same class names
(``repr``), attributes, parameters, buffers and arithmetic (bit-identical
forward passes).  The ``Conv2d``/``Conv3d``/``ConvTranspose*``/``Linear``/
``MaxPool*`` classes are upstream's empty-input wrappers; the torch versions
mminit supports handle empty input themselves, so they add nothing but their
identity (a registered ``'Conv'`` is this ``Conv2d``, not ``nn.Conv2d``).
"""

from __future__ import annotations

import math
import warnings
from collections import OrderedDict
from typing import Any, Union

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .._functional import xavier_init

__all__ = [
    "Clamp",
    "Conv2d",
    "Conv2dAdaptivePadding",
    "Conv3d",
    "ConvAWS2d",
    "ConvTranspose2d",
    "ConvTranspose3d",
    "ConvWS2d",
    "HSigmoid",
    "HSwish",
    "Linear",
    "MaxPool2d",
    "MaxPool3d",
    "PixelShufflePack",
    "Swish",
    "SyncBatchNorm",
    "conv_ws_2d",
]

_Size2 = Union[int, tuple[int, int]]  # noqa: UP007 - runtime alias, python 3.9


class Conv2d(nn.Conv2d):
    """``nn.Conv2d`` as registered under ``'Conv'``."""


class Conv3d(nn.Conv3d):
    """``nn.Conv3d`` as registered under ``'Conv3d'``."""


class ConvTranspose2d(nn.ConvTranspose2d):
    """``nn.ConvTranspose2d`` as registered under ``'deconv'`` and ``'ConvTranspose2d'``."""


class ConvTranspose3d(nn.ConvTranspose3d):
    """``nn.ConvTranspose3d`` as registered under ``'deconv3d'`` and ``'ConvTranspose3d'``."""


class Linear(nn.Linear):
    """``nn.Linear`` (upstream's empty-input wrapper)."""


class MaxPool2d(nn.MaxPool2d):
    """``nn.MaxPool2d`` (upstream's empty-input wrapper)."""


class MaxPool3d(nn.MaxPool3d):
    """``nn.MaxPool3d`` (upstream's empty-input wrapper)."""


class SyncBatchNorm(nn.SyncBatchNorm):
    """``nn.SyncBatchNorm`` as registered under ``'SyncBN'``."""


class Clamp(nn.Module):
    """``torch.clamp(x, min, max)`` as a layer (registered as ``'Clamp'`` and ``'Clip'``)."""

    def __init__(self, min: float = -1.0, max: float = 1.0) -> None:
        super().__init__()
        self.min = min
        self.max = max

    def forward(self, x: Tensor) -> Tensor:
        return torch.clamp(x, min=self.min, max=self.max)


class Swish(nn.Module):
    """``x * sigmoid(x)``."""

    def forward(self, x: Tensor) -> Tensor:
        return x * torch.sigmoid(x)


class HSigmoid(nn.Module):
    """``clamp((x + bias) / divisor, min_value, max_value)``; warns on construction as upstream does."""

    def __init__(
        self,
        bias: float = 3.0,
        divisor: float = 6.0,
        min_value: float = 0.0,
        max_value: float = 1.0,
    ) -> None:
        super().__init__()
        warnings.warn(
            "In MMCV v1.4.4, we modified the default value of args to align with PyTorch "
            "official. Previous Implementation: Hsigmoid(x) = min(max((x + 1) / 2, 0), 1). "
            "Current Implementation: Hsigmoid(x) = min(max((x + 3) / 6, 0), 1)."
        )
        if divisor == 0:
            raise AssertionError("HSigmoid: divisor must not be 0, got 0")
        self.bias = bias
        self.divisor = divisor
        self.min_value = min_value
        self.max_value = max_value

    def forward(self, x: Tensor) -> Tensor:
        scaled = (x + self.bias) / self.divisor
        return scaled.clamp_(self.min_value, self.max_value)


class HSwish(nn.Module):
    """``x * relu6(x + 3) / 6`` (the exported class; the registry's ``'HSwish'`` is ``nn.Hardswish``)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.act = nn.ReLU6(inplace)

    def forward(self, x: Tensor) -> Tensor:
        out: Tensor = x * self.act(x + 3) / 6
        return out


class PixelShufflePack(nn.Module):
    """A conv that multiplies the channels by ``scale_factor**2``, then ``pixel_shuffle``.

    The conv is Xavier-uniform initialised on construction (and by ``init_weights``).
    """

    def __init__(
        self, in_channels: int, out_channels: int, scale_factor: int, upsample_kernel: int
    ) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.scale_factor = scale_factor
        self.upsample_kernel = upsample_kernel
        self.upsample_conv = nn.Conv2d(
            in_channels,
            out_channels * scale_factor * scale_factor,
            upsample_kernel,
            padding=(upsample_kernel - 1) // 2,
        )
        self.init_weights()

    def init_weights(self) -> None:
        xavier_init(self.upsample_conv, distribution="uniform")

    def forward(self, x: Tensor) -> Tensor:
        return F.pixel_shuffle(self.upsample_conv(x), self.scale_factor)


def conv_ws_2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
    eps: float = 1e-5,
) -> Tensor:
    """``conv2d`` with each output filter standardised: ``(w - mean) / (std + eps)``."""
    out_channels = weight.size(0)
    rows = weight.view(out_channels, -1)
    mean = rows.mean(dim=1, keepdim=True).view(out_channels, 1, 1, 1)
    std = rows.std(dim=1, keepdim=True).view(out_channels, 1, 1, 1)
    standardised = (weight - mean) / (std + eps)
    return F.conv2d(input, standardised, bias, stride, padding, dilation, groups)


class ConvWS2d(nn.Conv2d):
    """Weight-standardised ``Conv2d`` (registered as ``'ConvWS'``)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: _Size2,
        stride: _Size2 = 1,
        padding: _Size2 = 0,
        dilation: _Size2 = 1,
        groups: int = 1,
        bias: bool = True,
        eps: float = 1e-5,
    ) -> None:
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride=stride,
            padding=padding,
            dilation=dilation,
            groups=groups,
            bias=bias,
        )
        self.eps = eps

    def forward(self, x: Tensor) -> Tensor:
        return conv_ws_2d(
            x,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            self.dilation,
            self.groups,
            self.eps,
        )


def _filter_stats(weight: Tensor) -> tuple[Tensor, Tensor]:
    rows = weight.view(weight.size(0), -1)
    mean = rows.mean(dim=1).view(-1, 1, 1, 1)
    std = torch.sqrt(rows.var(dim=1) + 1e-5).view(-1, 1, 1, 1)
    return mean, std


class ConvAWS2d(nn.Conv2d):
    """Adaptive weight standardisation (registered as ``'ConvAWS'``).

    Buffers ``weight_gamma``/``weight_beta`` rescale the standardised weight.
    Loading a state dict without them derives them from the loaded weight
    (its per-filter std and mean), so plain conv checkpoints load unchanged.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: _Size2,
        stride: _Size2 = 1,
        padding: _Size2 = 0,
        dilation: _Size2 = 1,
        groups: int = 1,
        bias: bool = True,
    ) -> None:
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride=stride,
            padding=padding,
            dilation=dilation,
            groups=groups,
            bias=bias,
        )
        self.register_buffer("weight_gamma", torch.ones(self.out_channels, 1, 1, 1))
        self.register_buffer("weight_beta", torch.zeros(self.out_channels, 1, 1, 1))

    weight_gamma: Tensor
    weight_beta: Tensor

    def _get_weight(self, weight: Tensor) -> Tensor:
        mean, std = _filter_stats(weight)
        return self.weight_gamma * ((weight - mean) / std) + self.weight_beta

    def forward(self, x: Tensor) -> Tensor:
        return F.conv2d(
            x,
            self._get_weight(self.weight),
            self.bias,
            self.stride,
            self.padding,
            self.dilation,
            self.groups,
        )

    def _load_from_state_dict(
        self,
        state_dict: OrderedDict[str, Any],
        prefix: str,
        local_metadata: dict[str, Any],
        strict: bool,
        missing_keys: list[str],
        unexpected_keys: list[str],
        error_msgs: list[str],
    ) -> None:
        # A negative gamma marks "not loaded": a loaded gamma is positive.
        self.weight_gamma.data.fill_(-1)
        own_missing: list[str] = []
        super()._load_from_state_dict(
            state_dict, prefix, local_metadata, strict, own_missing, unexpected_keys, error_msgs
        )
        if self.weight_gamma.data.mean() > 0:
            missing_keys.extend(own_missing)
            return
        mean, std = _filter_stats(self.weight.data)
        self.weight_beta.data.copy_(mean)
        self.weight_gamma.data.copy_(std)
        missing_keys.extend(
            k for k in own_missing if not k.endswith(("weight_gamma", "weight_beta"))
        )


class Conv2dAdaptivePadding(nn.Conv2d):
    """``Conv2d`` with TensorFlow's ``'same'`` padding, computed from each input's size.

    The ``padding`` argument is accepted and ignored (the conv's own padding is 0).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: _Size2,
        stride: _Size2 = 1,
        padding: _Size2 = 0,
        dilation: _Size2 = 1,
        groups: int = 1,
        bias: bool = True,
    ) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, 0, dilation, groups, bias)

    def forward(self, x: Tensor) -> Tensor:
        pads: list[int] = []
        for size, kernel, stride, dilation in zip(
            reversed(x.size()[-2:]),
            reversed(self.weight.size()[-2:]),
            reversed(self.stride),
            reversed(self.dilation),
        ):
            out = math.ceil(size / stride)
            total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
            pads.append(total)
        pad_w, pad_h = pads
        if pad_h > 0 or pad_w > 0:
            x = F.pad(x, [pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2])
        return F.conv2d(
            x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups
        )
