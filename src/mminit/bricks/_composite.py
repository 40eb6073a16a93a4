"""Bricks built from the flavour's ``ConvModule``: ``DepthwiseSeparableConvModule`` and
``NonLocal1d``/``NonLocal2d``/``NonLocal3d``, made once per flavour.

Each flavour gets its own classes (they build that flavour's ``ConvModule``),
assembled from the functions below so that the class ancestry is upstream's
exactly: ``DepthwiseSeparableConvModule -> nn.Module`` and
``NonLocal2d -> _NonLocalNd -> nn.Module`` (init_cfg layer keys match on these
names).  Like upstream's, they are plain ``nn.Module``: a parent ``BaseModule``
does not re-initialise a ``DepthwiseSeparableConvModule``'s ConvModules, and it
calls a non-local block's own ``init_weights()`` (normal std 0.01, zero output).
"""

from __future__ import annotations

from abc import ABCMeta
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from .._functional import constant_init, normal_init
from ._errors import InvalidBrickArg

__all__ = ["make_composites"]

_MODES = ("gaussian", "embedded_gaussian", "dot_product", "concatenation")
_RELU = {"type": "ReLU"}


# -- DepthwiseSeparableConvModule ------------------------------------------------------
def _dsc_init(
    self: Any,
    in_channels: int,
    out_channels: int,
    kernel_size: Any,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    norm_cfg: dict[str, Any] | None = None,
    act_cfg: dict[str, Any] = _RELU,
    dw_norm_cfg: dict[str, Any] | str = "default",
    dw_act_cfg: dict[str, Any] | str = "default",
    pw_norm_cfg: dict[str, Any] | str = "default",
    pw_act_cfg: dict[str, Any] | str = "default",
    **kwargs: Any,
) -> None:
    nn.Module.__init__(self)
    if "groups" in kwargs:
        raise InvalidBrickArg(
            "DepthwiseSeparableConvModule: groups should not be specified "
            f"(the depthwise conv uses in_channels={in_channels}), got "
            f"groups={kwargs['groups']!r}"
        )
    conv_module = self._conv_module
    self.depthwise_conv = conv_module(
        in_channels,
        in_channels,
        kernel_size,
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=in_channels,
        norm_cfg=norm_cfg if dw_norm_cfg == "default" else dw_norm_cfg,
        act_cfg=act_cfg if dw_act_cfg == "default" else dw_act_cfg,
        **kwargs,
    )
    self.pointwise_conv = conv_module(
        in_channels,
        out_channels,
        1,
        norm_cfg=norm_cfg if pw_norm_cfg == "default" else pw_norm_cfg,
        act_cfg=act_cfg if pw_act_cfg == "default" else pw_act_cfg,
        **kwargs,
    )


def _dsc_forward(self: Any, x: Tensor) -> Tensor:
    return self.pointwise_conv(self.depthwise_conv(x))  # type: ignore[no-any-return]


_DSC_DOC = """A depthwise ConvModule (``groups=in_channels``) then a pointwise 1x1 ConvModule
(arXiv:1704.04861), as {upstream}'s.

``norm_cfg``/``act_cfg`` apply to both unless ``dw_*``/``pw_*`` (default ``'default'``:
the shared one) say otherwise; other keyword arguments go to both ConvModules;
``groups`` may not be given.

Examples:
    >>> DepthwiseSeparableConvModule(8, 16, 3, padding=1, norm_cfg=dict(type='BN'))
"""


# -- non-local blocks -------------------------------------------------------------------
def _nonlocal_init(
    self: Any,
    in_channels: int,
    reduction: int = 2,
    use_scale: bool = True,
    conv_cfg: dict[str, Any] | None = None,
    norm_cfg: dict[str, Any] | None = None,
    mode: str = "embedded_gaussian",
    **kwargs: Any,
) -> None:
    nn.Module.__init__(self)
    self.in_channels = in_channels
    self.reduction = reduction
    self.use_scale = use_scale
    self.inter_channels = max(in_channels // reduction, 1)
    self.mode = mode
    if mode not in _MODES:
        raise ValueError(
            "Mode should be in 'gaussian', 'concatenation', 'embedded_gaussian' "
            f"or 'dot_product', but got {mode} instead."
        )
    conv_module = self._conv_module
    inter = self.inter_channels
    self.g = conv_module(in_channels, inter, kernel_size=1, conv_cfg=conv_cfg, act_cfg=None)
    self.conv_out = conv_module(
        inter, in_channels, kernel_size=1, conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=None
    )
    if mode != "gaussian":
        self.theta = conv_module(in_channels, inter, kernel_size=1, conv_cfg=conv_cfg, act_cfg=None)
        self.phi = conv_module(in_channels, inter, kernel_size=1, conv_cfg=conv_cfg, act_cfg=None)
    if mode == "concatenation":
        self.concat_project = conv_module(
            inter * 2, 1, kernel_size=1, stride=1, padding=0, bias=False, act_cfg=dict(_RELU)
        )
    self.init_weights(**kwargs)


def _nonlocal_init_weights(self: Any, std: float = 0.01, zeros_init: bool = True) -> None:
    """Normal(std) for the g/theta/phi convs; the output (its norm if it has one, else its
    conv) zero when ``zeros_init``, else normal(std)."""
    for block in [self.g, self.theta, self.phi] if self.mode != "gaussian" else [self.g]:
        normal_init(block.conv, std=std)
    out = self.conv_out.conv if self.conv_out.norm_cfg is None else self.conv_out.norm
    if zeros_init:
        constant_init(out, 0)
    else:
        normal_init(out, std=std)


def _gaussian(self: Any, theta_x: Tensor, phi_x: Tensor) -> Tensor:
    return torch.matmul(theta_x, phi_x).softmax(dim=-1)


def _embedded_gaussian(self: Any, theta_x: Tensor, phi_x: Tensor) -> Tensor:
    weight = torch.matmul(theta_x, phi_x)
    if self.use_scale:
        weight /= theta_x.shape[-1] ** 0.5
    return weight.softmax(dim=-1)


def _dot_product(self: Any, theta_x: Tensor, phi_x: Tensor) -> Tensor:
    weight = torch.matmul(theta_x, phi_x)
    weight /= weight.shape[-1]
    return weight


def _concatenation(self: Any, theta_x: Tensor, phi_x: Tensor) -> Tensor:
    rows, cols = theta_x.size(2), phi_x.size(3)
    features = torch.cat([theta_x.repeat(1, 1, 1, cols), phi_x.repeat(1, 1, rows, 1)], dim=1)
    weight = self.concat_project(features)
    n, _, h, w = weight.size()
    weight = weight.view(n, h, w)
    weight /= weight.shape[-1]
    return weight  # type: ignore[no-any-return]


def _nonlocal_forward(self: Any, x: Tensor) -> Tensor:
    n = x.size(0)
    inter = self.inter_channels
    g_x = self.g(x).view(n, inter, -1).permute(0, 2, 1)
    if self.mode == "gaussian":
        theta_x = x.view(n, self.in_channels, -1).permute(0, 2, 1)
        source = self.phi(x) if self.sub_sample else x
        phi_x = source.view(n, self.in_channels, -1)
    elif self.mode == "concatenation":
        theta_x = self.theta(x).view(n, inter, -1, 1)
        phi_x = self.phi(x).view(n, inter, 1, -1)
    else:
        theta_x = self.theta(x).view(n, inter, -1).permute(0, 2, 1)
        phi_x = self.phi(x).view(n, inter, -1)
    weight = getattr(self, self.mode)(theta_x, phi_x)
    y = torch.matmul(weight, g_x).permute(0, 2, 1).contiguous().reshape(n, inter, *x.size()[2:])
    return x + self.conv_out(y)  # type: ignore[no-any-return]


def _nonlocal_subclass_init(conv_type: str, pool: Callable[[], nn.Module]) -> Callable[..., None]:
    """``__init__`` of ``NonLocal{1,2,3}d``: ``conv_cfg`` defaults to ``conv_type``;
    ``sub_sample`` max-pools the g and phi paths (in gaussian mode phi *is* the pool)."""

    def __init__(
        self: Any,
        in_channels: int,
        sub_sample: bool = False,
        conv_cfg: dict[str, Any] = {"type": conv_type},  # noqa: B006
        **kwargs: Any,
    ) -> None:
        _nonlocal_init(self, in_channels, conv_cfg=conv_cfg, **kwargs)
        self.sub_sample = sub_sample
        if sub_sample:
            pool_layer = pool()
            self.g = nn.Sequential(self.g, pool_layer)
            self.phi = (
                pool_layer if self.mode == "gaussian" else nn.Sequential(self.phi, pool_layer)
            )

    return __init__


_NONLOCAL_DOC = """{dims}D non-local block (arXiv:1711.07971), as {upstream}'s.

Args:
    in_channels: input channels; the inner ones are ``max(in_channels // reduction, 1)``.
    sub_sample: max-pool the g and phi paths (spatially).
    conv_cfg: the convs' cfg (default ``dict(type='Conv{dims}d')``).
    reduction, use_scale, norm_cfg (the output ConvModule's only), mode
    (``'embedded_gaussian'``, ``'gaussian'``, ``'dot_product'``, ``'concatenation'``),
    and ``std``/``zeros_init`` for :meth:`init_weights`, run on construction.
"""

_POOLS: dict[int, Callable[[], nn.Module]] = {
    1: lambda: nn.MaxPool1d(kernel_size=2),
    2: lambda: nn.MaxPool2d(kernel_size=(2, 2)),
    3: lambda: nn.MaxPool3d(kernel_size=(1, 2, 2)),
}


def _named(fn: Callable[..., Any], owner: str, name: str) -> Callable[..., Any]:
    fn.__name__, fn.__qualname__ = name, f"{owner}.{name}"
    return fn


def _make_nonlocal(conv_module: type, module_name: str, upstream: str) -> dict[str, type]:
    base_ns: dict[str, Any] = {
        "__module__": module_name,
        "__qualname__": "_NonLocalNd",
        "_conv_module": conv_module,
        "__doc__": "The non-local block of every dimension (see ``NonLocal2d``).",
        "__init__": _named(_nonlocal_init, "_NonLocalNd", "__init__"),
        "init_weights": _nonlocal_init_weights,
        "gaussian": _gaussian,
        "embedded_gaussian": _embedded_gaussian,
        "dot_product": _dot_product,
        "concatenation": _concatenation,
        "forward": _nonlocal_forward,
    }
    base = ABCMeta("_NonLocalNd", (nn.Module,), base_ns)
    classes: dict[str, type] = {}
    for dims, pool in _POOLS.items():
        name = f"NonLocal{dims}d"
        ns: dict[str, Any] = {
            "__module__": module_name,
            "__qualname__": name,
            "__doc__": _NONLOCAL_DOC.format(dims=dims, upstream=upstream),
            "__init__": _named(_nonlocal_subclass_init(f"Conv{dims}d", pool), name, "__init__"),
        }
        if dims == 2:
            ns["_abbr_"] = "nonlocal_block"
        classes[name] = ABCMeta(name, (base,), ns)
    return classes


def make_composites(conv_module: type, module_name: str, upstream: str) -> dict[str, type]:
    """``DepthwiseSeparableConvModule`` and ``NonLocal{1,2,3}d`` built on ``conv_module``.

    Args:
        conv_module: the flavour's ``ConvModule``.
        module_name: the public module the classes are exposed from.
        upstream: ``'mmcv 1.7.2'`` or ``'mmcv 2.2.0'``, for the docstrings.
    """
    dsc = type(
        "DepthwiseSeparableConvModule",
        (nn.Module,),
        {
            "__module__": module_name,
            "__qualname__": "DepthwiseSeparableConvModule",
            "__doc__": _DSC_DOC.format(upstream=upstream),
            "_conv_module": conv_module,
            "__init__": _named(_dsc_init, "DepthwiseSeparableConvModule", "__init__"),
            "forward": _dsc_forward,
        },
    )
    return {
        "DepthwiseSeparableConvModule": dsc,
        **_make_nonlocal(conv_module, module_name, upstream),
    }
