"""``GeneralizedAttention`` (arXiv:1904.05873), a plugin layer, made once per flavour.

Written for mminit from upstream's documented behaviour: the same submodules,
parameters and buffers, the same draws from torch's generator, the same
``init_weights`` (Kaiming uniform, ``fan_in``, ``a=1``, leaky_relu, on every
submodule marked ``kaiming_init``) and the same arithmetic.  The flavours differ
in one point: mmcv 2.x masks the energy with a bool copy of
``local_constraint_map``; mmcv 1.x passes the uint8 map itself (which recent torch
refuses, so a ``spatial_range >= 0`` forward fails there, as upstream's does).
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .._functional import kaiming_init
from ._errors import SpatialRangeNeedsKnownChannels

__all__ = ["make_generalized_attention"]

#: the only channel counts a spatial range is defined for -> the map's side
_MAX_LEN = {256: 84, 512: 42}


def _marked(module: nn.Module) -> nn.Module:
    module.kaiming_init = True  # type: ignore[assignment]  # upstream's marker, read by init_weights
    return module


def _local_constraint_map(max_len: int, spatial_range: int, kv_stride: int) -> Tensor:
    """1 outside each query position's key window, 0 inside (uint8)."""
    max_len_kv = int((max_len - 1.0) / kv_stride + 1)
    cmap = torch.ones((max_len, max_len, max_len_kv, max_len_kv), dtype=torch.uint8)
    for iy in range(max_len):
        rows = slice(
            max((iy - spatial_range) // kv_stride, 0),
            min((iy + spatial_range + 1) // kv_stride + 1, max_len),
        )
        for ix in range(max_len):
            cols = slice(
                max((ix - spatial_range) // kv_stride, 0),
                min((ix + spatial_range + 1) // kv_stride + 1, max_len),
            )
            cmap[iy, ix, rows, cols] = 0
    return cmap


def _bias_parameter(qk_embed_dim: int, out_c: int) -> nn.Parameter:
    stdv = 1.0 / math.sqrt(qk_embed_dim * 2)
    return nn.Parameter(-2 * stdv * torch.rand(out_c) + stdv)


class _GeneralizedAttentionTemplate(nn.Module):
    """The methods of every flavour's ``GeneralizedAttention`` (copied into each class)."""

    _abbr_ = "gen_attention_block"
    _bool_mask: bool

    def __init__(
        self,
        in_channels: int,
        spatial_range: int = -1,
        num_heads: int = 9,
        position_embedding_dim: int = -1,
        position_magnitude: int = 1,
        kv_stride: int = 2,
        q_stride: int = 1,
        attention_type: str = "1111",
    ) -> None:
        nn.Module.__init__(self)
        self.position_embedding_dim = (
            position_embedding_dim if position_embedding_dim > 0 else in_channels
        )
        self.position_magnitude = position_magnitude
        self.num_heads = num_heads
        self.in_channels = in_channels
        self.spatial_range = spatial_range
        self.kv_stride = kv_stride
        self.q_stride = q_stride
        self.attention_type = [bool(int(flag)) for flag in attention_type]
        self.qk_embed_dim = in_channels // num_heads
        out_c = self.qk_embed_dim * num_heads
        use = self.attention_type
        if use[0] or use[1]:
            self.query_conv = _marked(nn.Conv2d(in_channels, out_c, kernel_size=1, bias=False))
        if use[0] or use[2]:
            self.key_conv = _marked(nn.Conv2d(in_channels, out_c, kernel_size=1, bias=False))
        self.v_dim = in_channels // num_heads
        self.value_conv = _marked(
            nn.Conv2d(in_channels, self.v_dim * num_heads, kernel_size=1, bias=False)
        )
        if use[1] or use[3]:
            self.appr_geom_fc_x = _marked(
                nn.Linear(self.position_embedding_dim // 2, out_c, bias=False)
            )
            self.appr_geom_fc_y = _marked(
                nn.Linear(self.position_embedding_dim // 2, out_c, bias=False)
            )
        if use[2]:
            self.appr_bias = _bias_parameter(self.qk_embed_dim, out_c)
        if use[3]:
            self.geom_bias = _bias_parameter(self.qk_embed_dim, out_c)
        self.proj_conv = _marked(
            nn.Conv2d(self.v_dim * num_heads, in_channels, kernel_size=1, bias=True)
        )
        self.gamma = nn.Parameter(torch.zeros(1))
        if spatial_range >= 0:
            if in_channels not in _MAX_LEN:
                raise SpatialRangeNeedsKnownChannels(
                    f"GeneralizedAttention: spatial_range >= 0 needs in_channels 256 or 512, "
                    f"got in_channels={in_channels} (spatial_range={spatial_range})"
                )
            cmap = _local_constraint_map(_MAX_LEN[in_channels], spatial_range, kv_stride)
            self.local_constraint_map = nn.Parameter(cmap, requires_grad=False)
        self.q_downsample = nn.AvgPool2d(kernel_size=1, stride=q_stride) if q_stride > 1 else None
        self.kv_downsample = (
            nn.AvgPool2d(kernel_size=1, stride=kv_stride) if kv_stride > 1 else None
        )
        self.init_weights()

    def init_weights(self) -> None:
        """Kaiming uniform (``fan_in``, ``a=1``, leaky_relu, bias 0) on every marked submodule."""
        for m in self.modules():
            if getattr(m, "kaiming_init", False):
                kaiming_init(
                    m, mode="fan_in", nonlinearity="leaky_relu", bias=0, distribution="uniform", a=1
                )

    def get_position_embedding(
        self,
        h: int,
        w: int,
        h_kv: int,
        w_kv: int,
        q_stride: int,
        kv_stride: int,
        device: Any,
        dtype: torch.dtype,
        feat_dim: int,
        wave_length: int = 1000,
    ) -> tuple[Tensor, Tensor]:
        """Sine/cosine embeddings of the x and y offsets between query and key positions."""

        def positions(n: int, stride: int) -> Tensor:
            return torch.linspace(0, n - 1, n).to(device=device, dtype=dtype).view((n, 1)) * stride

        h_diff = positions(h, q_stride).unsqueeze(1) - positions(h_kv, kv_stride).unsqueeze(0)
        h_diff *= self.position_magnitude
        w_diff = positions(w, q_stride).unsqueeze(1) - positions(w_kv, kv_stride).unsqueeze(0)
        w_diff *= self.position_magnitude
        feat_range = torch.arange(0, feat_dim / 4).to(device=device, dtype=dtype)
        dim_mat = torch.Tensor([wave_length]).to(device=device, dtype=dtype)
        dim_mat = (dim_mat ** ((4.0 / feat_dim) * feat_range)).view((1, 1, -1))
        embedding_x = torch.cat(((w_diff / dim_mat).sin(), (w_diff / dim_mat).cos()), dim=2)
        embedding_y = torch.cat(((h_diff / dim_mat).sin(), (h_diff / dim_mat).cos()), dim=2)
        return embedding_x, embedding_y

    def _position_feats(
        self, x: Tensor, n: int, h: int, w: int, h_kv: int, w_kv: int
    ) -> tuple[Tensor, Tensor]:
        embed_x, embed_y = self.get_position_embedding(
            h,
            w,
            h_kv,
            w_kv,
            self.q_stride,
            self.kv_stride,
            x.device,
            x.dtype,
            self.position_embedding_dim,
        )
        heads, dim = self.num_heads, self.qk_embed_dim
        feat_x = (
            self.appr_geom_fc_x(embed_x)
            .view(1, w, w_kv, heads, dim)
            .permute(0, 3, 1, 2, 4)
            .repeat(n, 1, 1, 1, 1)
        )
        feat_y = (
            self.appr_geom_fc_y(embed_y)
            .view(1, h, h_kv, heads, dim)
            .permute(0, 3, 1, 2, 4)
            .repeat(n, 1, 1, 1, 1)
        )
        feat_x /= math.sqrt(2)
        feat_y /= math.sqrt(2)
        return feat_x, feat_y

    def _content_energy(
        self, energy: Tensor | None, query: Tensor | None, key: Tensor, shape: tuple[int, ...]
    ) -> Tensor:
        """Add the query-key (item 0) and key-only (item 2) terms."""
        use, n, heads, dim = self.attention_type, shape[0], self.num_heads, self.qk_embed_dim
        if use[0]:
            assert query is not None
            if use[2]:
                return torch.matmul(query + self.appr_bias.view(1, heads, 1, dim), key).view(*shape)
            return torch.matmul(query, key).view(*shape)
        assert energy is not None
        bias = self.appr_bias.view(1, heads, 1, dim).repeat(n, 1, 1, 1)
        energy += torch.matmul(bias, key).view(n, heads, 1, 1, shape[4], shape[5])
        return energy

    def _position_energy(
        self,
        energy: Tensor,
        query: Tensor | None,
        feats: tuple[Tensor, Tensor],
        shape: tuple[int, ...],
    ) -> Tensor:
        """Add the query-position (item 1) and position-only (item 3) terms."""
        use, (n, heads, h, w, h_kv, w_kv), dim = self.attention_type, shape, self.qk_embed_dim
        feat_x, feat_y = feats
        if use[1]:
            assert query is not None
            if use[3]:
                query = query + self.geom_bias.view(1, heads, 1, dim)
            q = query.view(n, heads, h, w, dim)
            if use[3]:
                energy_x = torch.matmul(q.permute(0, 1, 3, 2, 4), feat_x.permute(0, 1, 2, 4, 3))
                energy_y = torch.matmul(q, feat_y.permute(0, 1, 2, 4, 3))
            else:
                q = q.permute(0, 1, 3, 2, 4)
                energy_x = torch.matmul(q, feat_x.permute(0, 1, 2, 4, 3))
                energy_y = torch.matmul(q, feat_y.permute(0, 1, 2, 4, 3))
            energy += energy_x.permute(0, 1, 3, 2, 4).unsqueeze(4) + energy_y.unsqueeze(5)
            return energy
        bias = self.geom_bias.view(1, heads, dim, 1).repeat(n, 1, 1, 1)
        energy_x = torch.matmul(feat_x.view(n, heads, w * w_kv, dim), bias).view(
            n, heads, 1, w, 1, w_kv
        )
        energy_y = torch.matmul(feat_y.view(n, heads, h * h_kv, dim), bias).view(
            n, heads, h, 1, h_kv, 1
        )
        energy += energy_x + energy_y
        return energy

    def _energy(
        self,
        x_input: Tensor,
        query: Tensor | None,
        key: Tensor | None,
        shape: tuple[int, int, int, int, int, int],
    ) -> Tensor:
        """Every term but the key-only-alone case, shaped ``(n, heads, h * w, h_kv * w_kv)``."""
        use = self.attention_type
        n, heads, h, w, h_kv, w_kv = shape
        feats = self._position_feats(x_input, n, h, w, h_kv, w_kv) if use[1] or use[3] else None
        energy = None if use[0] else torch.zeros(*shape, dtype=x_input.dtype, device=x_input.device)
        if use[0] or use[2]:
            assert key is not None
            energy = self._content_energy(energy, query, key, shape)
        if feats is not None:
            assert energy is not None
            energy = self._position_energy(energy, query, feats, shape)
        assert energy is not None
        return energy.view(n, heads, h * w, h_kv * w_kv)

    def forward(self, x_input: Tensor) -> Tensor:
        use, heads, dim = self.attention_type, self.num_heads, self.qk_embed_dim
        x_q = x_input if self.q_downsample is None else self.q_downsample(x_input)
        n, _, h, w = x_q.shape
        x_kv = x_input if self.kv_downsample is None else self.kv_downsample(x_input)
        _, _, h_kv, w_kv = x_kv.shape
        query: Tensor | None = None
        key: Tensor | None = None
        if use[0] or use[1]:
            query = self.query_conv(x_q).view((n, heads, dim, h * w)).permute(0, 1, 3, 2)
        if use[0] or use[2]:
            key = self.key_conv(x_kv).view((n, heads, dim, h_kv * w_kv))
        if sum(use) == 1 and use[2]:
            bias = self.appr_bias.view(1, heads, 1, dim).repeat(n, 1, 1, 1)
            energy = torch.matmul(bias, key).view(n, heads, 1, h_kv * w_kv)  # type: ignore[arg-type]
            h = w = 1
        else:
            energy = self._energy(x_input, query, key, (n, heads, h, w, h_kv, w_kv))
        if self.spatial_range >= 0:
            cmap = (
                self.local_constraint_map[:h, :w, :h_kv, :w_kv]
                .contiguous()
                .view(1, 1, h * w, h_kv * w_kv)
            )
            energy = energy.masked_fill_(cmap.bool() if self._bool_mask else cmap, float("-inf"))
        attention = F.softmax(energy, 3)
        value = self.value_conv(x_kv).view((n, heads, self.v_dim, h_kv * w_kv)).permute(0, 1, 3, 2)
        out = (
            torch.matmul(attention, value)
            .permute(0, 1, 3, 2)
            .contiguous()
            .view(n, self.v_dim * heads, h, w)
        )
        out = self.proj_conv(out)
        if self.q_downsample is not None:
            out = F.interpolate(out, size=x_input.shape[2:], mode="bilinear", align_corners=False)
        return self.gamma * out + x_input


_DOC = """Spatial attention over the query/key content and relative position terms
(arXiv:1904.05873), as {upstream}'s; a plugin layer (name ``gen_attention_block``).

Args:
    in_channels: input channels.
    spatial_range: restrict keys to this range around each query (-1: none; needs
        in_channels 256 or 512).
    num_heads, position_embedding_dim (-1: in_channels), position_magnitude,
    kv_stride, q_stride: as upstream.
    attention_type: four 0/1 flags: query-key, query-position, key-only, position-only.
"""


def make_generalized_attention(module_name: str, upstream: str, bool_mask: bool) -> type:
    """The flavour's ``GeneralizedAttention`` (class ancestry: upstream's, ``nn.Module``)."""
    ns = {
        k: v
        for k, v in vars(_GeneralizedAttentionTemplate).items()
        if k not in ("__dict__", "__weakref__")
    }
    ns.update(
        __module__=module_name,
        __qualname__="GeneralizedAttention",
        __doc__=_DOC.format(upstream=upstream),
        _bool_mask=bool_mask,
    )
    return type("GeneralizedAttention", (nn.Module,), ns)
