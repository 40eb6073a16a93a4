"""``FFN`` (the transformer feed-forward block), ``PatchEmbed``, ``PatchMerging``,
``AdaptivePadding`` and ``LayerScale``, made once per flavour (``PatchEmbed`` and
``PatchMerging`` are the same in both).

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
import math
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ._errors import InvalidBrickArg
from ._layers import Linear

__all__ = [
    "AdaptivePadding",
    "LayerScale",
    "make_ffn",
    "make_multihead_attention",
    "make_patch_embed",
    "make_patch_merging",
    "to_2tuple",
]

_DATA_FORMATS = ("channels_last", "channels_first")
_PAD_MODES = ("same", "corner")
_LN = {"type": "LN"}


class LayerScale(nn.Module):
    """Scales each channel by a learnable factor (``weight``, initially ``scale``); mmcv 2.x only.

    Args:
        dim: the number of channels.
        inplace: multiply the input in place.
        data_format: ``'channels_last'`` (``(B, N, C)``) or ``'channels_first'`` (``(B, C, H, W)``).
        scale: the initial factor (default ``1e-5``).
    """

    def __init__(
        self,
        dim: int,
        inplace: bool = False,
        data_format: str = "channels_last",
        scale: float = 1e-5,
    ) -> None:
        super().__init__()
        if data_format not in _DATA_FORMATS:
            raise InvalidBrickArg(
                "LayerScale: 'data_format' could only be channels_last or "
                f"channels_first, got {data_format!r}"
            )
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


def renaming_deprecated(
    names: dict[str, str], shown: str
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
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
                            f"together; pass only {new!r}"
                        )
                    warnings.warn(
                        f'"{old}" is deprecated in `{shown}`, please use "{new}" instead',
                        DeprecationWarning,
                        stacklevel=2,
                    )
                    kwargs[new] = kwargs.pop(old)
            return func(*args, **kwargs)

        return renamed

    return wrap


def _ffn_setup(
    self: Any,
    embed_dims: int,
    feedforward_channels: int,
    num_fcs: int,
    act_cfg: dict[str, Any],
    ffn_drop: float,
    dropout_layer: dict[str, Any] | None,
    add_identity: bool,
) -> None:
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
    self.dropout_layer = (
        self._ffn_build_dropout(dropout_layer) if dropout_layer else torch.nn.Identity()
    )
    self.add_identity = add_identity


_RELU = {"type": "ReLU", "inplace": True}


@renaming_deprecated({"dropout": "ffn_drop", "add_residual": "add_identity"}, "FFN.__init__")
def _ffn_init_mmcv1(
    self: Any,
    embed_dims: int = 256,
    feedforward_channels: int = 1024,
    num_fcs: int = 2,
    act_cfg: dict[str, Any] = _RELU,
    ffn_drop: float = 0.0,
    dropout_layer: dict[str, Any] | None = None,
    add_identity: bool = True,
    init_cfg: Any = None,
    **kwargs: Any,
) -> None:
    self._ffn_base.__init__(self, init_cfg)
    _ffn_setup(
        self,
        embed_dims,
        feedforward_channels,
        num_fcs,
        act_cfg,
        ffn_drop,
        dropout_layer,
        add_identity,
    )


@renaming_deprecated({"dropout": "ffn_drop", "add_residual": "add_identity"}, "FFN.__init__")
def _ffn_init_mmcv2(
    self: Any,
    embed_dims: int = 256,
    feedforward_channels: int = 1024,
    num_fcs: int = 2,
    act_cfg: dict[str, Any] = _RELU,
    ffn_drop: float = 0.0,
    dropout_layer: dict[str, Any] | None = None,
    add_identity: bool = True,
    init_cfg: Any = None,
    layer_scale_init_value: float = 0.0,
) -> None:
    self._ffn_base.__init__(self, init_cfg)
    _ffn_setup(
        self,
        embed_dims,
        feedforward_channels,
        num_fcs,
        act_cfg,
        ffn_drop,
        dropout_layer,
        add_identity,
    )
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


for _fn in (
    _ffn_init_mmcv1,
    _ffn_init_mmcv2,
):  # argument errors name FFN.__init__, as upstream's do
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


def make_ffn(
    base_module: type,
    sequential: type,
    build_activation_layer: Callable[..., nn.Module],
    build_dropout: Callable[..., Any],
    layer_scale: bool,
    module_name: str,
) -> type:
    """The flavour's ``FFN``: a subclass of ``base_module``.

    Args:
        layer_scale: mmcv 2.x (``layer_scale_init_value``, one activation per layer).
    """
    return type(
        "FFN",
        (base_module,),
        {
            "__module__": module_name,
            "__qualname__": "FFN",
            "__doc__": _DOC.format(upstream="mmcv 2.2.0" if layer_scale else "mmcv 1.7.2"),
            "_ffn_base": base_module,
            "_ffn_layer_scale": layer_scale,
            "_ffn_sequential": sequential,
            "_ffn_build_act": staticmethod(build_activation_layer),
            "_ffn_build_dropout": staticmethod(build_dropout),
            "__init__": _ffn_init_mmcv2 if layer_scale else _ffn_init_mmcv1,
            "forward": _ffn_forward,
        },
    )


def to_2tuple(value: Any) -> Any:
    """``value`` itself when iterable, else ``(value, value)`` (upstream's ``to_2tuple``)."""
    if isinstance(value, Iterable):
        return value
    return (value, value)


class AdaptivePadding(nn.Module):
    """Pads the input so a conv of ``kernel_size``/``stride``/``dilation`` covers it
    entirely: ``'corner'`` pads bottom-right, ``'same'`` pads both sides evenly.

    Examples:
        >>> AdaptivePadding(kernel_size=16, stride=16)(torch.randn(1, 3, 20, 20)).shape
        torch.Size([1, 3, 32, 32])
    """

    def __init__(
        self, kernel_size: Any = 1, stride: Any = 1, dilation: Any = 1, padding: str = "corner"
    ) -> None:
        super().__init__()
        if padding not in _PAD_MODES:
            raise InvalidBrickArg(
                f"AdaptivePadding: padding must be one of {_PAD_MODES}, got {padding!r}"
            )
        self.padding = padding
        self.kernel_size = to_2tuple(kernel_size)
        self.stride = to_2tuple(stride)
        self.dilation = to_2tuple(dilation)

    def get_pad_shape(self, input_shape: Any) -> tuple[int, int]:
        """``(pad_h, pad_w)`` for an input of ``(height, width)``."""
        input_h, input_w = input_shape
        kernel_h, kernel_w = self.kernel_size
        stride_h, stride_w = self.stride
        output_h = math.ceil(input_h / stride_h)
        output_w = math.ceil(input_w / stride_w)
        pad_h = max((output_h - 1) * stride_h + (kernel_h - 1) * self.dilation[0] + 1 - input_h, 0)
        pad_w = max((output_w - 1) * stride_w + (kernel_w - 1) * self.dilation[1] + 1 - input_w, 0)
        return pad_h, pad_w

    def forward(self, x: Tensor) -> Tensor:
        pad_h, pad_w = self.get_pad_shape(x.size()[-2:])
        if pad_h > 0 or pad_w > 0:
            if self.padding == "corner":
                x = F.pad(x, [0, pad_w, 0, pad_h])
            else:
                x = F.pad(x, [pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2])
        return x


def _padding(
    kernel_size: tuple[Any, ...], stride: tuple[Any, ...], dilation: tuple[Any, ...], padding: Any
) -> tuple[AdaptivePadding | None, tuple[Any, ...]]:
    """PatchEmbed's and PatchMerging's padding: a mode name ("corner", "same") pads
    adaptively in forward and the layer itself gets none; a number or pair is the
    layer's own padding."""
    if isinstance(padding, str):
        return AdaptivePadding(
            kernel_size=kernel_size, stride=stride, dilation=dilation, padding=padding
        ), to_2tuple(0)
    return None, to_2tuple(padding)


def _patch_embed_init(
    self: Any,
    in_channels: int = 3,
    embed_dims: int = 768,
    conv_type: str = "Conv2d",
    kernel_size: Any = 16,
    stride: Any = 16,
    padding: Any = "corner",
    dilation: Any = 1,
    bias: bool = True,
    norm_cfg: dict[str, Any] | None = None,
    input_size: Any = None,
    init_cfg: Any = None,
) -> None:
    self._pe_base.__init__(self, init_cfg=init_cfg)
    self.embed_dims = embed_dims
    if stride is None:
        stride = kernel_size
    kernel_size, stride, dilation = to_2tuple(kernel_size), to_2tuple(stride), to_2tuple(dilation)
    self.adaptive_padding, padding = _padding(kernel_size, stride, dilation, padding)
    self.projection = self._pe_build_conv(
        {"type": conv_type},
        in_channels=in_channels,
        out_channels=embed_dims,
        kernel_size=kernel_size,
        stride=stride,
        padding=padding,
        dilation=dilation,
        bias=bias,
    )
    self.norm = None if norm_cfg is None else self._pe_build_norm(norm_cfg, embed_dims)[1]
    self.init_input_size = self.init_out_size = None
    if input_size:
        input_size = to_2tuple(input_size)
        self.init_input_size = input_size
        if self.adaptive_padding:
            pad_h, pad_w = self.adaptive_padding.get_pad_shape(input_size)
            input_size = (input_size[0] + pad_h, input_size[1] + pad_w)
        self.init_out_size = tuple(
            (input_size[i] + 2 * padding[i] - dilation[i] * (kernel_size[i] - 1) - 1) // stride[i]
            + 1
            for i in (0, 1)
        )


def _patch_embed_forward(self: Any, x: Tensor) -> tuple[Tensor, tuple[int, int]]:
    """``(patches, (out_h, out_w))``: patches are ``(N, out_h * out_w, embed_dims)``."""
    if self.adaptive_padding:
        x = self.adaptive_padding(x)
    x = self.projection(x)
    out_size = (x.shape[2], x.shape[3])
    x = x.flatten(2).transpose(1, 2)
    if self.norm is not None:
        x = self.norm(x)
    return x, out_size


_patch_embed_init.__name__, _patch_embed_init.__qualname__ = "__init__", "PatchEmbed.__init__"

_PE_DOC = """Image to patch embedding, as {upstream}'s: a conv (``conv_type``, kernel =
stride = patch size) after optional :class:`AdaptivePadding` (``padding`` a str),
then flattening and an optional norm.  A ``BaseModule`` (``init_cfg``).

Examples:
    >>> x, size = PatchEmbed(in_channels=3, embed_dims=8, kernel_size=4)(torch.randn(1, 3, 8, 8))
"""


def make_patch_embed(
    base_module: type,
    build_conv_layer: Callable[..., nn.Module],
    build_norm_layer: Callable[..., Any],
    upstream: str,
    module_name: str,
) -> type:
    """The flavour's ``PatchEmbed``: a subclass of ``base_module`` using its builders."""
    return type(
        "PatchEmbed",
        (base_module,),
        {
            "__module__": module_name,
            "__qualname__": "PatchEmbed",
            "__doc__": _PE_DOC.format(upstream=upstream),
            "_pe_base": base_module,
            "_pe_build_conv": staticmethod(build_conv_layer),
            "_pe_build_norm": staticmethod(build_norm_layer),
            "__init__": _patch_embed_init,
            "forward": _patch_embed_forward,
        },
    )


def _patch_merging_init(
    self: Any,
    in_channels: int,
    out_channels: int,
    kernel_size: Any = 2,
    stride: Any = None,
    padding: Any = "corner",
    dilation: Any = 1,
    bias: bool = False,
    norm_cfg: dict[str, Any] | None = _LN,
    init_cfg: Any = None,
) -> None:
    self._pm_base.__init__(self, init_cfg=init_cfg)
    self.in_channels = in_channels
    self.out_channels = out_channels
    stride = stride if stride else kernel_size
    kernel_size, stride, dilation = to_2tuple(kernel_size), to_2tuple(stride), to_2tuple(dilation)
    self.adaptive_padding, padding = _padding(kernel_size, stride, dilation, padding)
    self.sampler = nn.Unfold(
        kernel_size=kernel_size, dilation=dilation, padding=padding, stride=stride
    )
    sample_dim = kernel_size[0] * kernel_size[1] * in_channels
    self.norm = None if norm_cfg is None else self._pm_build_norm(norm_cfg, sample_dim)[1]
    self.reduction = nn.Linear(sample_dim, out_channels, bias=bias)


def _patch_merging_forward(self: Any, x: Tensor, input_size: Any) -> tuple[Tensor, tuple[int, int]]:
    """Merge each ``kernel_size`` window of the ``(B, H*W, C)`` tokens of an ``input_size``
    ``(H, W)`` map into one token; returns ``(tokens, (out_h, out_w))``."""
    batch, length, channels = x.shape
    if not isinstance(input_size, Sequence):
        raise InvalidBrickArg(f"PatchMerging: Expect input_size is `Sequence` but get {input_size}")
    h, w = input_size
    if length != h * w:
        raise InvalidBrickArg(
            f"PatchMerging: input feature has wrong size: {length} tokens for "
            f"input_size {tuple(input_size)} ({h * w} expected)"
        )
    x = x.view(batch, h, w, channels).permute([0, 3, 1, 2])
    if self.adaptive_padding:
        x = self.adaptive_padding(x)
        h, w = x.shape[-2:]
    x = self.sampler(x)
    s = self.sampler
    out_h = (h + 2 * s.padding[0] - s.dilation[0] * (s.kernel_size[0] - 1) - 1) // s.stride[0] + 1
    out_w = (w + 2 * s.padding[1] - s.dilation[1] * (s.kernel_size[1] - 1) - 1) // s.stride[1] + 1
    x = x.transpose(1, 2)
    x = self.norm(x) if self.norm else x
    return self.reduction(x), (out_h, out_w)


_patch_merging_init.__name__, _patch_merging_init.__qualname__ = "__init__", "PatchMerging.__init__"

_PM_DOC = """Merges neighbouring patch tokens (``nn.Unfold`` over ``kernel_size`` windows, an
optional norm, a Linear to ``out_channels``), as {upstream}'s.  A ``BaseModule``.
``forward(x, input_size)`` returns ``(tokens, (out_h, out_w))``.
"""


def make_patch_merging(
    base_module: type, build_norm_layer: Callable[..., Any], upstream: str, module_name: str
) -> type:
    """The flavour's ``PatchMerging``: a subclass of ``base_module`` using its ``build_norm_layer``."""
    return type(
        "PatchMerging",
        (base_module,),
        {
            "__module__": module_name,
            "__qualname__": "PatchMerging",
            "__doc__": _PM_DOC.format(upstream=upstream),
            "_pm_base": base_module,
            "_pm_build_norm": staticmethod(build_norm_layer),
            "__init__": _patch_merging_init,
            "forward": _patch_merging_forward,
        },
    )


#: upstream's default ``dropout_layer``: one dict shared by every call, which a deprecated
#: ``dropout=`` argument overwrites (``drop_prob``) for all later instances too
_MHA_DROPOUT_DEFAULT: dict[str, Any] = {"type": "Dropout", "drop_prob": 0.0}


def _mha_init(
    self: Any,
    embed_dims: int,
    num_heads: int,
    attn_drop: float = 0.0,
    proj_drop: float = 0.0,
    dropout_layer: dict[str, Any] | None = _MHA_DROPOUT_DEFAULT,
    init_cfg: Any = None,
    batch_first: bool = False,
    **kwargs: Any,
) -> None:
    self._mha_base.__init__(self, init_cfg)
    if "dropout" in kwargs:
        warnings.warn(
            "The arguments `dropout` in MultiheadAttention has been deprecated, now you "
            "can separately set `attn_drop`(float), proj_drop(float), and "
            "`dropout_layer`(dict) ",
            DeprecationWarning,
            stacklevel=2,
        )
        attn_drop = kwargs["dropout"]
        dropout_layer["drop_prob"] = kwargs.pop("dropout")  # type: ignore[index]  # upstream's mutation
    self.embed_dims = embed_dims
    self.num_heads = num_heads
    self.batch_first = batch_first
    self.attn = nn.MultiheadAttention(embed_dims, num_heads, attn_drop, **kwargs)
    self.proj_drop = nn.Dropout(proj_drop)
    self.dropout_layer = self._mha_build_dropout(dropout_layer) if dropout_layer else nn.Identity()


@renaming_deprecated({"residual": "identity"}, "MultiheadAttention.forward")
def _mha_forward(
    self: Any,
    query: Tensor,
    key: Tensor | None = None,
    value: Tensor | None = None,
    identity: Tensor | None = None,
    query_pos: Tensor | None = None,
    key_pos: Tensor | None = None,
    attn_mask: Tensor | None = None,
    key_padding_mask: Tensor | None = None,
    **kwargs: Any,
) -> Tensor:
    """``identity`` (default ``query``) plus the projected-dropout attention output;
    ``key``/``value`` default to ``query``/``key``, positions are added first."""
    key = query if key is None else key
    value = key if value is None else value
    identity = query if identity is None else identity
    if key_pos is None and query_pos is not None:
        if query_pos.shape == key.shape:
            key_pos = query_pos
        else:  # upstream's text, missing space included
            warnings.warn(
                f"position encoding of key ismissing in {self.__class__.__name__}.", stacklevel=2
            )
    if query_pos is not None:
        query = query + query_pos
    if key_pos is not None:
        key = key + key_pos
    if self.batch_first:
        query, key, value = query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1)
    out = self.attn(
        query=query, key=key, value=value, attn_mask=attn_mask, key_padding_mask=key_padding_mask
    )[0]
    if self.batch_first:
        out = out.transpose(0, 1)
    return identity + self.dropout_layer(self.proj_drop(out))  # type: ignore[no-any-return]


_mha_init.__name__, _mha_init.__qualname__ = "__init__", "MultiheadAttention.__init__"
_mha_forward.__name__ = _mha_forward.__wrapped__.__name__ = "forward"  # type: ignore[attr-defined]

_MHA_DOC = """``nn.MultiheadAttention`` with an identity connection, projection dropout and a
``dropout_layer`` cfg, as {upstream}'s.  A ``BaseModule``; ``batch_first`` takes
``(batch, num_query, embed_dims)``.  The deprecated ``dropout=`` sets ``attn_drop``
and, as upstream, the shared default ``dropout_layer``'s ``drop_prob``.
"""


def make_multihead_attention(
    base_module: type, build_dropout: Callable[..., Any], upstream: str, module_name: str
) -> type:
    """The flavour's ``MultiheadAttention``: a subclass of ``base_module``."""
    return type(
        "MultiheadAttention",
        (base_module,),
        {
            "__module__": module_name,
            "__qualname__": "MultiheadAttention",
            "__doc__": _MHA_DOC.format(upstream=upstream),
            "_mha_base": base_module,
            "_mha_build_dropout": staticmethod(build_dropout),
            "__init__": _mha_init,
            "forward": _mha_forward,
        },
    )
