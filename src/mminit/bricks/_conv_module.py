"""``ConvModule``: conv, norm and activation in a configurable order, made per flavour.

A subclass of the flavour's ``BaseModule`` (upstream's is a plain
``nn.Module``; nothing observable changes: its own ``init_weights`` replaces
``BaseModule``'s and never reads ``init_cfg``).

Upstream's surprise, kept: ``ConvModule.init_weights`` runs on construction
and again whenever a parent ``BaseModule`` initialises its children, which
happens *after* the parent's own ``init_cfg``; so a parent's
``init_cfg=dict(type='Normal', layer='Conv2d')`` is overwritten by the
ConvModule's Kaiming init.  Use ``override`` on a name *inside* the
ConvModule's parent or initialise after ``init_weights`` to change it.
"""

from __future__ import annotations

import warnings
from functools import partial
from typing import Any, Union

import torch
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.instancenorm import _InstanceNorm

from .._functional import constant_init, kaiming_init
from ._builders import Builders
from ._errors import InvalidBrickArg
from ._flavour import BricksFlavour
from ._tables import NO_INPLACE_ACTIVATIONS

__all__ = ["efficient_conv_bn_eval_forward", "make_conv_module"]

_Size = Union[int, tuple[int, ...]]  # noqa: UP007 - runtime alias, python 3.9
_OFFICIAL_PADDING_MODES = ("zeros", "circular")
_ORDER_PARTS = {"conv", "norm", "act"}


def efficient_conv_bn_eval_forward(
    bn: _BatchNorm, conv: nn.modules.conv._ConvNd, x: Tensor
) -> Tensor:
    """Conv followed by an eval-mode batch norm in one conv: the norm's affine map is
    folded into the conv's weight and bias (arXiv:2305.11624), same arithmetic as mmcv 2.x."""
    running_var = bn.running_var
    assert running_var is not None and bn.running_mean is not None
    conv_bias = conv.bias if conv.bias is not None else torch.zeros_like(running_var)
    bn_weight = bn.weight if bn.weight is not None else torch.ones_like(running_var)
    bn_bias = bn.bias if bn.bias is not None else torch.zeros_like(running_var)
    inv_std = torch.rsqrt(running_var + bn.eps).reshape([-1] + [1] * (len(conv.weight.shape) - 1))
    scale = bn_weight.view_as(inv_std) * inv_std
    folded_weight = conv.weight * scale
    folded_bias = bn_bias + scale.flatten() * (conv_bias - bn.running_mean)
    return conv._conv_forward(x, folded_weight, folded_bias)


def _check_cfg_arg(name: str, value: Any) -> None:
    if value is not None and not isinstance(value, dict):
        raise InvalidBrickArg(
            f"ConvModule: {name} must be None or a dict, got {value!r} "
            f"of type {type(value).__name__}"
        )


def _check_order(order: Any) -> None:
    if not (isinstance(order, tuple) and len(order) == 3 and set(order) == _ORDER_PARTS):
        raise InvalidBrickArg(
            "ConvModule: order must be a tuple of 'conv', 'norm' and 'act', each once "
            f"(e.g. ('conv', 'norm', 'act')), got {order!r}"
        )


class _ConvModuleLogic:
    """Everything of ``ConvModule`` but its ``__init__`` signature and base class."""

    _abbr_ = "conv_block"
    _builders: Builders
    _bricks_flavour: BricksFlavour
    _conv_base: type  # the flavour's BaseModule: its __init__ runs first

    def _set_flags(
        self,
        conv_cfg: dict[str, Any] | None,
        norm_cfg: dict[str, Any] | None,
        act_cfg: dict[str, Any] | None,
        inplace: bool,
        with_spectral_norm: bool,
        padding_mode: str,
        order: tuple[Any, ...],
        bias: bool | str,
    ) -> bool | str:
        """Check the cfg arguments and set upstream's attributes; the conv's ``bias``."""
        this: Any = self
        _check_cfg_arg("conv_cfg", conv_cfg)
        _check_cfg_arg("norm_cfg", norm_cfg)
        _check_cfg_arg("act_cfg", act_cfg)
        this.conv_cfg = conv_cfg
        this.norm_cfg = norm_cfg
        this.act_cfg = act_cfg
        this.inplace = inplace
        this.with_spectral_norm = with_spectral_norm
        this.with_explicit_padding = padding_mode not in _OFFICIAL_PADDING_MODES
        this.order = order
        _check_order(order)
        this.with_norm = norm_cfg is not None
        this.with_activation = act_cfg is not None
        if bias == "auto":  # a conv right before a norm needs no bias
            bias = not this.with_norm
        this.with_bias = bias
        return bias

    def _setup(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: _Size,
        stride: _Size,
        padding: _Size,
        dilation: _Size,
        groups: int,
        bias: bool | str,
        conv_cfg: dict[str, Any] | None,
        norm_cfg: dict[str, Any] | None,
        act_cfg: dict[str, Any] | None,
        inplace: bool,
        with_spectral_norm: bool,
        padding_mode: str,
        order: tuple[Any, ...],
        efficient_conv_bn_eval: bool | None,
    ) -> None:
        this: Any = self
        b = self._builders
        bias = self._set_flags(
            conv_cfg, norm_cfg, act_cfg, inplace, with_spectral_norm, padding_mode, order, bias
        )

        if this.with_explicit_padding:
            this.padding_layer = b.build_padding_layer({"type": padding_mode}, padding)
        conv = b.build_conv_layer(
            conv_cfg,
            in_channels,
            out_channels,
            kernel_size,
            stride=stride,
            padding=0 if this.with_explicit_padding else padding,
            dilation=dilation,
            groups=groups,
            bias=bias,
        )
        this.conv = conv
        for attr in ("in_channels", "out_channels", "kernel_size", "stride"):
            setattr(this, attr, getattr(conv, attr))
        this.padding = padding
        for attr in ("dilation", "transposed", "output_padding", "groups"):
            setattr(this, attr, getattr(conv, attr))
        if with_spectral_norm:
            this.conv = nn.utils.spectral_norm(conv)

        if this.with_norm:
            norm_after_conv = order.index("norm") > order.index("conv")
            norm_name, norm = b.build_norm_layer(
                norm_cfg, out_channels if norm_after_conv else in_channels
            )
            this.norm_name = norm_name
            this.add_module(norm_name, norm)
            if this.with_bias and isinstance(norm, (_BatchNorm, _InstanceNorm)):
                warnings.warn("Unnecessary conv bias before batch/instance norm")
        else:
            this.norm_name = None

        if this.with_activation:
            act_cfg_ = dict(act_cfg)  # type: ignore[arg-type]
            if act_cfg_["type"] not in NO_INPLACE_ACTIVATIONS:
                act_cfg_.setdefault("inplace", inplace)
            this.activate = b.build_activation_layer(act_cfg_)

        if efficient_conv_bn_eval is not None:
            self.turn_on_efficient_conv_bn_eval(efficient_conv_bn_eval)
        self.init_weights()

    @property
    def norm(self) -> nn.Module | None:
        """The norm layer (stored under :attr:`norm_name`), or None."""
        this: Any = self
        return getattr(this, this.norm_name) if this.norm_name else None

    def init_weights(self) -> None:
        """Kaiming-init the conv (``leaky_relu`` with the activation's slope when the
        activation is ``'LeakyReLU'``, else ``relu``) unless the conv has its own
        ``init_weights``; set the norm to weight 1, bias 0.  Runs on construction."""
        this: Any = self
        if not hasattr(this.conv, "init_weights"):
            if this.with_activation and this.act_cfg["type"] == "LeakyReLU":
                nonlinearity = "leaky_relu"
                a = this.act_cfg.get("negative_slope", 0.01)
            else:
                nonlinearity = "relu"
                a = 0
            kaiming_init(this.conv, a=a, nonlinearity=nonlinearity)
        if this.with_norm:
            constant_init(this.norm, 1, bias=0)

    def turn_on_efficient_conv_bn_eval(self, efficient_conv_bn_eval: bool = True) -> None:
        """Fold an eval-mode BatchNorm (with running stats) that follows the conv into
        the conv's forward (mmcv 2.x flavour only)."""
        this: Any = self
        norm = this.norm
        if (
            efficient_conv_bn_eval
            and norm
            and isinstance(norm, _BatchNorm)
            and norm.track_running_stats
        ):
            this.efficient_conv_bn_eval_forward = efficient_conv_bn_eval_forward
        else:
            this.efficient_conv_bn_eval_forward = None

    def forward(self, x: Tensor, activate: bool = True, norm: bool = True) -> Tensor:
        """Run the layers in :attr:`order`; ``activate``/``norm`` False skip those layers."""
        this: Any = self
        order = this.order
        fused = getattr(this, "efficient_conv_bn_eval_forward", None)
        index = 0
        while index < len(order):
            layer = order[index]
            if layer == "conv":
                if this.with_explicit_padding:
                    x = this.padding_layer(x)
                if (
                    fused is not None
                    and index + 1 < len(order)
                    and order[index + 1] == "norm"
                    and norm
                    and this.with_norm
                    and not this.norm.training
                ):
                    # call the conv module itself so its hooks (spectral norm) still run
                    this.conv.forward = partial(fused, this.norm, this.conv)
                    try:
                        x = this.conv(x)
                    finally:
                        del this.conv.forward
                    index += 1  # the norm is folded in
                else:
                    x = this.conv(x)
            elif layer == "norm" and norm and this.with_norm:
                x = this.norm(x)
            elif layer == "act" and activate and this.with_activation:
                x = this.activate(x)
            index += 1
        return x


# ``__init__`` of each flavour's ConvModule: upstream's signature, then the shared set-up.
def _init_mmcv1(
    self: Any,
    in_channels: int,
    out_channels: int,
    kernel_size: _Size,
    stride: _Size = 1,
    padding: _Size = 0,
    dilation: _Size = 1,
    groups: int = 1,
    bias: bool | str = "auto",
    conv_cfg: dict[str, Any] | None = None,
    norm_cfg: dict[str, Any] | None = None,
    act_cfg: dict[str, Any] | None = dict(type="ReLU"),  # noqa: B006
    inplace: bool = True,
    with_spectral_norm: bool = False,
    padding_mode: str = "zeros",
    order: tuple[Any, ...] = ("conv", "norm", "act"),
) -> None:
    self._conv_base.__init__(self)
    self._setup(
        in_channels,
        out_channels,
        kernel_size,
        stride,
        padding,
        dilation,
        groups,
        bias,
        conv_cfg,
        norm_cfg,
        act_cfg,
        inplace,
        with_spectral_norm,
        padding_mode,
        order,
        None,
    )


def _init_mmcv2(
    self: Any,
    in_channels: int,
    out_channels: int,
    kernel_size: _Size,
    stride: _Size = 1,
    padding: _Size = 0,
    dilation: _Size = 1,
    groups: int = 1,
    bias: bool | str = "auto",
    conv_cfg: dict[str, Any] | None = None,
    norm_cfg: dict[str, Any] | None = None,
    act_cfg: dict[str, Any] | None = dict(type="ReLU"),  # noqa: B006
    inplace: bool = True,
    with_spectral_norm: bool = False,
    padding_mode: str = "zeros",
    order: tuple[Any, ...] = ("conv", "norm", "act"),
    efficient_conv_bn_eval: bool = False,
) -> None:
    self._conv_base.__init__(self)
    self._setup(
        in_channels,
        out_channels,
        kernel_size,
        stride,
        padding,
        dilation,
        groups,
        bias,
        conv_cfg,
        norm_cfg,
        act_cfg,
        inplace,
        with_spectral_norm,
        padding_mode,
        order,
        efficient_conv_bn_eval,
    )


for _init in (
    _init_mmcv1,
    _init_mmcv2,
):  # argument errors name ConvModule.__init__, as upstream's do
    _init.__name__, _init.__qualname__ = "__init__", "ConvModule.__init__"


def _from_conv_bn(
    cls: type, conv: nn.modules.conv._ConvNd, bn: _BatchNorm, efficient_conv_bn_eval: bool
) -> Any:
    """``cls.create_from_conv_bn``: a ``cls`` around ``conv`` and ``bn``, no activation, no init."""
    self: Any = cls.__new__(cls)  # type: ignore[call-overload]
    self._conv_base.__init__(self)
    self.conv_cfg = self.norm_cfg = self.act_cfg = None
    self.inplace = False
    self.with_spectral_norm = False
    self.with_explicit_padding = False
    self.order = ("conv", "norm", "act")
    self.with_norm = True
    self.with_activation = False
    self.with_bias = conv.bias is not None
    self.conv = conv
    for attr in (
        "in_channels",
        "out_channels",
        "kernel_size",
        "stride",
        "padding",
        "dilation",
        "transposed",
        "output_padding",
        "groups",
    ):
        setattr(self, attr, getattr(conv, attr))
    self.norm_name = "bn"
    self.add_module("bn", bn)
    self.turn_on_efficient_conv_bn_eval(efficient_conv_bn_eval)
    return self


_DOC = (
    "Conv, optional norm and optional activation in ``order``, behaving as "
    "{upstream}'s ConvModule.\n\n"
    "``bias='auto'`` gives the conv a bias only without a norm; ``padding_mode`` other\n"
    "than ``'zeros'``/``'circular'`` adds a padding layer; ``with_spectral_norm`` wraps\n"
    "the conv; ``inplace`` is passed to activations that take it.  Construction runs\n"
    ":meth:`init_weights`.  Its ``init_weights`` ignores any ``init_cfg``.\n\n"
    "Examples:\n"
    "    >>> ConvModule(3, 8, 3, padding=1, norm_cfg=dict(type='BN'))\n"
)


def make_conv_module(
    flavour: BricksFlavour, base: type, builders: Builders, module_name: str
) -> type:
    """The flavour's ``ConvModule``: a subclass of ``base`` (its ``BaseModule``)."""
    namespace: dict[str, Any] = {
        "__module__": module_name,
        "_builders": builders,
        "_bricks_flavour": flavour,
        "_conv_base": base,
        "__init__": _init_mmcv2 if flavour.efficient_conv_bn_eval else _init_mmcv1,
        "__doc__": _DOC.format(
            upstream="mmcv 2.2.0" if flavour.efficient_conv_bn_eval else "mmcv 1.7.2"
        ),
    }
    cls = type("ConvModule", (_ConvModuleLogic, base), namespace)
    if flavour.efficient_conv_bn_eval:

        def create_from_conv_bn(
            conv: nn.modules.conv._ConvNd, bn: _BatchNorm, efficient_conv_bn_eval: bool = True
        ) -> Any:
            """A ConvModule around an existing conv and batch norm (no activation, no init)."""
            return _from_conv_bn(cls, conv, bn, efficient_conv_bn_eval)

        cls.create_from_conv_bn = staticmethod(create_from_conv_bn)  # type: ignore[attr-defined]
    return cls
