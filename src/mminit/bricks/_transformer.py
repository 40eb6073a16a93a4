"""``FFN`` (the transformer feed-forward block) and ``LayerScale``, made once per flavour.

Written for mminit from upstream's documented behaviour.  ``FFN`` is a
``BaseModule`` of its flavour (its ``init_cfg`` runs through mminit's init
system).  The flavours differ as data (:class:`~mminit.bricks._flavour.BricksFlavour`):
mmcv 1.x builds one activation, stored as ``self.activate`` and shared by every
hidden layer, keeps ``act_cfg`` and accepts (and ignores) unknown keyword
arguments; mmcv 2.x builds one activation per hidden layer and takes
``layer_scale_init_value`` (a :class:`LayerScale` on the output when > 0).
Both rename the deprecated ``dropout``/``add_residual`` arguments (and
``residual`` in ``forward``) with upstream's ``DeprecationWarning``.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from ._errors import InvalidBrickArg
from ._layers import Linear

__all__ = ["LayerScale", "make_ffn"]

_DATA_FORMATS = ("channels_last", "channels_first")


class LayerScale(nn.Module):
    """Scales each channel by a learnable factor (``weight``, initially ``scale``); mmcv 2.x only.

    Args:
        dim: the number of channels.
        inplace: multiply the input in place.
        data_format: ``'channels_last'`` (``(B, N, C)``) or ``'channels_first'`` (``(B, C, H, W)``).
        scale: the initial factor (default ``1e-5``).
    """

    def __init__(self, dim: int, inplace: bool = False, data_format: str = "channels_last",
                 scale: float = 1e-5) -> None:
        super().__init__()
        if data_format not in _DATA_FORMATS:
            raise InvalidBrickArg("LayerScale: 'data_format' could only be channels_last or "
                                  f"channels_first, got {data_format!r}")
        self.inplace = inplace
        self.data_format = data_format
        self.weight = nn.Parameter(torch.ones(dim) * scale)

    def forward(self, x: Tensor) -> Tensor:
        if self.data_format == "channels_first":
            shape = (1, -1, *(1 for _ in range(x.dim() - 2)))
        else:
            shape = (*(1 for _ in range(x.dim() - 1)), -1)
        if self.inplace:
            return x.mul_(self.weight.view(*shape))
        return x * self.weight.view(*shape)


def renaming_deprecated(names: dict[str, str], shown: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Upstream's ``deprecated_api_warning``: a deprecated keyword argument is renamed, with a
    ``DeprecationWarning`` naming the method ``shown`` (``'FFN.__init__'``); giving both
    names is an ``AssertionError``."""

    def wrap(func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def renamed(*args: Any, **kwargs: Any) -> Any:
            for old, new in names.items():
                if old in kwargs:
                    if new in kwargs:
                        raise InvalidBrickArg(
                            f"{shown}: got the deprecated {old!r} and its replacement {new!r} "
                            f"together; pass only {new!r}")
                    warnings.warn(f'"{old}" is deprecated in `{shown}`, please use "{new}" instead',
                                  DeprecationWarning, stacklevel=2)
                    kwargs[new] = kwargs.pop(old)
            return func(*args, **kwargs)

        return renamed

    return wrap


def _ffn_setup(self: Any, embed_dims: int, feedforward_channels: int, num_fcs: int, act_cfg: dict,
               ffn_drop: float, dropout_layer: dict | None, add_identity: bool) -> None:
    if not num_fcs >= 2:
        raise InvalidBrickArg(f"FFN: num_fcs should be no less than 2. got {num_fcs}.")
    self.embed_dims = embed_dims
    self.feedforward_channels = feedforward_channels
    self.num_fcs = num_fcs
    shared = not self._ffn_layer_scale  # mmcv 1.x: one activation module for every hidden layer
    if shared:
        self.act_cfg = act_cfg
        self.activate = self._ffn_build_act(act_cfg)
    seq = self._ffn_sequential
    layers: list[nn.Module] = []
    in_channels = embed_dims
    for _ in range(num_fcs - 1):
        linear = Linear(in_channels, feedforward_channels)
        act = self.activate if shared else self._ffn_build_act(act_cfg)
        layers.append(seq(linear, act, nn.Dropout(ffn_drop)))
        in_channels = feedforward_channels
    layers.append(Linear(feedforward_channels, embed_dims))
    layers.append(nn.Dropout(ffn_drop))
    self.layers = seq(*layers)
    self.dropout_layer = self._ffn_build_dropout(dropout_layer) if dropout_layer else torch.nn.Identity()
    self.add_identity = add_identity


_RELU = {"type": "ReLU", "inplace": True}


@renaming_deprecated({"dropout": "ffn_drop", "add_residual": "add_identity"}, "FFN.__init__")
def _ffn_init_mmcv1(self: Any, embed_dims: int = 256, feedforward_channels: int = 1024, num_fcs: int = 2,
                    act_cfg: dict = _RELU, ffn_drop: float = 0.0, dropout_layer: dict | None = None,
                    add_identity: bool = True, init_cfg: Any = None, **kwargs: Any) -> None:
    self._ffn_base.__init__(self, init_cfg)
    _ffn_setup(self, embed_dims, feedforward_channels, num_fcs, act_cfg, ffn_drop, dropout_layer,
               add_identity)


@renaming_deprecated({"dropout": "ffn_drop", "add_residual": "add_identity"}, "FFN.__init__")
def _ffn_init_mmcv2(self: Any, embed_dims: int = 256, feedforward_channels: int = 1024, num_fcs: int = 2,
                    act_cfg: dict = _RELU, ffn_drop: float = 0.0, dropout_layer: dict | None = None,
                    add_identity: bool = True, init_cfg: Any = None,
                    layer_scale_init_value: float = 0.0) -> None:
    self._ffn_base.__init__(self, init_cfg)
    _ffn_setup(self, embed_dims, feedforward_channels, num_fcs, act_cfg, ffn_drop, dropout_layer,
               add_identity)
    if layer_scale_init_value > 0:
        self.gamma2 = LayerScale(embed_dims, scale=layer_scale_init_value)
    else:
        self.gamma2 = nn.Identity()


@renaming_deprecated({"residual": "identity"}, "FFN.forward")
def _ffn_forward(self: Any, x: Tensor, identity: Tensor | None = None) -> Tensor:
    """The layers' output (through ``gamma2`` in mmcv 2.x) and ``dropout_layer``, plus
    ``identity`` (default ``x``) when ``add_identity``."""
    out = self.layers(x)
    if self._ffn_layer_scale:
        out = self.gamma2(out)
    if not self.add_identity:
        return self.dropout_layer(out)  # type: ignore[no-any-return]
    if identity is None:
        identity = x
    return identity + self.dropout_layer(out)  # type: ignore[no-any-return]


for _fn in (_ffn_init_mmcv1, _ffn_init_mmcv2):  # argument errors name FFN.__init__, as upstream's do
    _fn.__name__ = _fn.__wrapped__.__name__ = "__init__"  # type: ignore[attr-defined]
    _fn.__qualname__ = _fn.__wrapped__.__qualname__ = "FFN.__init__"  # type: ignore[attr-defined]
_ffn_forward.__qualname__ = _ffn_forward.__wrapped__.__qualname__ = "FFN.forward"  # type: ignore[attr-defined]
_ffn_forward.__name__ = _ffn_forward.__wrapped__.__name__ = "forward"  # type: ignore[attr-defined]

_DOC = """The transformer feed-forward block, as {upstream}'s: ``num_fcs`` Linear layers
(``embed_dims`` -> ``feedforward_channels`` ... -> ``embed_dims``) with activation
and dropout, an optional ``dropout_layer`` cfg on the output and the identity added.

Examples:
    >>> FFN(embed_dims=8, feedforward_channels=16)(torch.randn(2, 5, 8)).shape
    torch.Size([2, 5, 8])
"""


def make_ffn(base_module: type, sequential: type, build_activation_layer: Callable[..., nn.Module],
             build_dropout: Callable[..., Any], layer_scale: bool, module_name: str) -> type:
    """The flavour's ``FFN``: a subclass of ``base_module``.

    Args:
        layer_scale: mmcv 2.x (``layer_scale_init_value``, one activation per layer).
    """
    return type("FFN", (base_module,), {
        "__module__": module_name, "__qualname__": "FFN",
        "__doc__": _DOC.format(upstream="mmcv 2.2.0" if layer_scale else "mmcv 1.7.2"),
        "_ffn_base": base_module, "_ffn_layer_scale": layer_scale, "_ffn_sequential": sequential,
        "_ffn_build_act": staticmethod(build_activation_layer),
        "_ffn_build_dropout": staticmethod(build_dropout),
        "__init__": _ffn_init_mmcv2 if layer_scale else _ffn_init_mmcv1,
        "forward": _ffn_forward,
    })
