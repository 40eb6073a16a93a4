"""Built-in layer names, as data: what upstream registers (the same in mmcv 1.7.2 and 2.2.0)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from torch import nn

from . import _layers as L

__all__ = ["BUILTIN", "KINDS", "NO_INPLACE_ACTIVATIONS", "merged_builtins"]

#: registry kinds, in mmcv 1.x's names
KINDS = ("conv", "norm", "activation", "upsample", "padding")

_CONV = {
    "Conv1d": nn.Conv1d,
    "Conv2d": nn.Conv2d,
    "Conv3d": L.Conv3d,
    "Conv": L.Conv2d,
    "Conv2dAdaptivePadding": L.Conv2dAdaptivePadding,
    "ConvWS": L.ConvWS2d,
    "ConvAWS": L.ConvAWS2d,
    "deconv": L.ConvTranspose2d,
    "ConvTranspose2d": L.ConvTranspose2d,
    "deconv3d": L.ConvTranspose3d,
    "ConvTranspose3d": L.ConvTranspose3d,
}
_NORM = {
    "BN": nn.BatchNorm2d,
    "BN1d": nn.BatchNorm1d,
    "BN2d": nn.BatchNorm2d,
    "BN3d": nn.BatchNorm3d,
    "SyncBN": L.SyncBatchNorm,
    "GN": nn.GroupNorm,
    "LN": nn.LayerNorm,
    "IN": nn.InstanceNorm2d,
    "IN1d": nn.InstanceNorm1d,
    "IN2d": nn.InstanceNorm2d,
    "IN3d": nn.InstanceNorm3d,
}
_ACTIVATION = {
    "ReLU": nn.ReLU,
    "LeakyReLU": nn.LeakyReLU,
    "PReLU": nn.PReLU,
    "RReLU": nn.RReLU,
    "ReLU6": nn.ReLU6,
    "ELU": nn.ELU,
    "Sigmoid": nn.Sigmoid,
    "Tanh": nn.Tanh,
    "SiLU": nn.SiLU,
    "Clamp": L.Clamp,
    "Clip": L.Clamp,
    "GELU": nn.GELU,
    "HSigmoid": L.HSigmoid,
    "HSwish": nn.Hardswish,
    "Swish": L.Swish,
}
_UPSAMPLE = {
    "nearest": nn.Upsample,
    "bilinear": nn.Upsample,
    "pixel_shuffle": L.PixelShufflePack,
    "deconv": L.ConvTranspose2d,
    "deconv3d": L.ConvTranspose3d,
}
_PADDING = {"zero": nn.ZeroPad2d, "reflect": nn.ReflectionPad2d, "replicate": nn.ReplicationPad2d}

#: kind -> name -> class, as mmcv 1.x's five registries hold them
BUILTIN: Mapping[str, Mapping[str, Any]] = MappingProxyType(
    {
        "conv": MappingProxyType(_CONV),
        "norm": MappingProxyType(_NORM),
        "activation": MappingProxyType(_ACTIVATION),
        "upsample": MappingProxyType(_UPSAMPLE),
        "padding": MappingProxyType(_PADDING),
    }
)

#: ConvModule does not pass ``inplace`` to these activation types
NO_INPLACE_ACTIVATIONS = ("Tanh", "PReLU", "Sigmoid", "HSigmoid", "Swish", "GELU")


def merged_builtins() -> dict[str, Any]:
    """mmcv 2.x's single table: every kind in one namespace (the names do not clash)."""
    merged: dict[str, Any] = {}
    for kind in KINDS:
        merged.update(BUILTIN[kind])
    return merged
