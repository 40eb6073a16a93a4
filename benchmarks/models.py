"""The four benchmark model families, written once and built on either library.

Each family is a tree of ``BaseModule``s with the ``init_cfg``s its OpenMMLab
counterpart uses.  The classes are created by :func:`model_classes` from a
:class:`Lib` (mmengine's or mminit's ``BaseModule``/``Sequential``/
``ModuleList`` and helpers), so the same definition runs on both.

* ``resnet50``: mmpretrain-style classifier.  Backbone ``init_cfg`` is Kaiming
  on ``Conv2d`` and Constant 1 on ``_BatchNorm``/``GroupNorm``; the head is
  Normal(std=0.01) on ``Linear``; the backbone's own ``init_weights`` zeroes
  each bottleneck's last norm (``zero_init_residual``), as mmpretrain does.
* ``vit-b``/``vit-l``: mmpretrain-style ViT classifier.  TruncNormal(std=.02)
  on ``Linear`` and Constant on ``LayerNorm`` are given at the classifier, the
  backbone and every encoder layer, so the whole-subtree application of each
  level repeats the fills; the head is Constant 0 on ``Linear``; the
  backbone's own ``init_weights`` fills ``pos_embed`` with ``trunc_normal_``
  and leaves ``cls_token`` at zero.
* ``tx-1b``: the same encoder layers stacked to 1.02 B parameters.

Every user-defined ``init_weights`` here also describes its fills through
``user_fills()`` so the reference plans (``plan.py``) can include them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import torch
from compat_tests.libs import load_lib as _load_namespace
from torch import nn

from .fills import Fill

__all__ = ["FAMILIES", "LIB_NAMES", "Lib", "ModelSpec", "build_model", "load_lib", "model_classes"]


@dataclass(frozen=True)
class Lib:
    """The pieces of an init library a model definition needs."""

    name: str
    BaseModule: type
    Sequential: type
    ModuleList: type
    trunc_normal_: Callable[..., Any]
    constant_init: Callable[..., Any]


#: the libs :func:`load_lib` knows: each flavour's upstream and mminit's flavour of it
LIB_NAMES = ("mmengine", "mminit", "mmcv1", "mminit.mmcv1")


@functools.cache
def load_lib(name: str) -> Lib:
    """A lib of :data:`LIB_NAMES` as a :class:`Lib` (hashable: :func:`model_classes` is
    cached per lib), imported by the compat suite's loader (:func:`compat_tests.libs.load_lib`).

    The benchmarks compare ``"mminit"`` with ``"mmengine"``; ``"mmcv1"`` (mmcv 1.7.2) and
    ``"mminit.mmcv1"`` build the same models on the mmcv1 flavour's classes (the compat
    suite's process-stability check runs both flavours)."""
    if name not in LIB_NAMES:
        raise ValueError(f"lib must be one of {', '.join(map(repr, LIB_NAMES))}, got {name!r}")
    ns = _load_namespace(name)
    return Lib(
        name, ns.BaseModule, ns.Sequential, ns.ModuleList, ns.trunc_normal_, ns.constant_init
    )


TRUNC_LINEAR = dict(type="TruncNormal", layer="Linear", std=0.02, bias=0.0)
CONST_LN = dict(type="Constant", layer="LayerNorm", val=1.0, bias=0.0)


@functools.cache
def model_classes(lib: Lib) -> SimpleNamespace:
    """Define the model classes on ``lib``'s base classes (cached per lib)."""
    Base, Seq, MList = lib.BaseModule, lib.Sequential, lib.ModuleList

    class Bottleneck(Base):  # type: ignore[misc, valid-type]
        expansion = 4

        def __init__(self, cin: int, width: int, stride: int) -> None:
            super().__init__(init_cfg=None)
            cout = width * self.expansion
            self.conv1 = nn.Conv2d(cin, width, 1, bias=False)
            self.norm1 = nn.BatchNorm2d(width)
            self.conv2 = nn.Conv2d(width, width, 3, stride, 1, bias=False)
            self.norm2 = nn.BatchNorm2d(width)
            self.conv3 = nn.Conv2d(width, cout, 1, bias=False)
            self.norm3 = nn.BatchNorm2d(cout)
            self.relu = nn.ReLU(inplace=True)
            self.downsample = None
            if stride != 1 or cin != cout:
                self.downsample = nn.Sequential(
                    nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)
                )

    class ResNet(Base):  # type: ignore[misc, valid-type]
        def __init__(self, base: int, depths: tuple[int, ...]) -> None:
            super().__init__(
                init_cfg=[
                    dict(type="Kaiming", layer=["Conv2d"]),
                    dict(type="Constant", val=1, layer=["_BatchNorm", "GroupNorm"]),
                ]
            )
            self.conv1 = nn.Conv2d(3, base, 7, 2, 3, bias=False)
            self.norm1 = nn.BatchNorm2d(base)
            self.relu = nn.ReLU(inplace=True)
            self.maxpool = nn.MaxPool2d(3, 2, 1)
            cin = base
            for i, depth in enumerate(depths):
                width = base * 2**i
                blocks = [Bottleneck(cin, width, 1 if i == 0 else 2)]
                cin = width * Bottleneck.expansion
                blocks += [Bottleneck(cin, width, 1) for _ in range(depth - 1)]
                self.add_module(f"layer{i + 1}", Seq(*blocks))
            self.out_channels = cin

        def user_fills(self) -> list[Fill]:
            """``zero_init_residual``: each bottleneck's last norm starts at 0."""
            return [
                Fill(p, "constant", {"val": 0})
                for m in self.modules()
                if isinstance(m, Bottleneck)
                for p in (m.norm3.weight, m.norm3.bias)
            ]

        def init_weights(self, *args: Any, **kwargs: Any) -> None:
            super().init_weights(*args, **kwargs)
            for m in self.modules():
                if isinstance(m, Bottleneck):
                    lib.constant_init(m.norm3, 0)

    class LinearClsHead(Base):  # type: ignore[misc, valid-type]
        def __init__(self, cin: int, classes: int) -> None:
            super().__init__(init_cfg=dict(type="Normal", layer="Linear", std=0.01))
            self.fc = nn.Linear(cin, classes)

    class ImageClassifier(Base):  # type: ignore[misc, valid-type]
        def __init__(self, backbone: nn.Module, head: nn.Module, init_cfg: Any = None) -> None:
            super().__init__(init_cfg=init_cfg)
            self.backbone = backbone
            self.head = head

    class MultiheadAttention(Base):  # type: ignore[misc, valid-type]
        def __init__(self, dim: int) -> None:
            super().__init__(init_cfg=None)
            self.qkv = nn.Linear(dim, 3 * dim)
            self.proj = nn.Linear(dim, dim)

    class FFN(Base):  # type: ignore[misc, valid-type]
        def __init__(self, dim: int, hidden: int) -> None:
            super().__init__(init_cfg=None)
            self.layers = Seq(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))

    class TransformerEncoderLayer(Base):  # type: ignore[misc, valid-type]
        def __init__(self, dim: int, hidden: int) -> None:
            super().__init__(init_cfg=[dict(TRUNC_LINEAR), dict(CONST_LN)])
            self.ln1 = nn.LayerNorm(dim)
            self.attn = MultiheadAttention(dim)
            self.ln2 = nn.LayerNorm(dim)
            self.ffn = FFN(dim, hidden)

    class PatchEmbed(Base):  # type: ignore[misc, valid-type]
        def __init__(self, dim: int, patch: int) -> None:
            super().__init__(init_cfg=None)
            self.projection = nn.Conv2d(3, dim, patch, patch)

    class VisionTransformer(Base):  # type: ignore[misc, valid-type]
        def __init__(self, dim: int, depth: int, hidden: int, patch: int, img: int) -> None:
            super().__init__(
                init_cfg=[
                    dict(type="Kaiming", layer="Conv2d", mode="fan_in", nonlinearity="linear"),
                    dict(TRUNC_LINEAR),
                ]
            )
            self.patch_embed = PatchEmbed(dim, patch)
            tokens = (img // patch) ** 2 + 1
            self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
            self.pos_embed = nn.Parameter(torch.zeros(1, tokens, dim))
            self.layers = MList([TransformerEncoderLayer(dim, hidden) for _ in range(depth)])
            self.ln1 = nn.LayerNorm(dim)

        def user_fills(self) -> list[Fill]:
            """mmpretrain's ViT draws ``pos_embed`` itself and leaves ``cls_token`` at 0."""
            args = {"mean": 0.0, "std": 0.02, "a": -2.0, "b": 2.0}
            return [Fill(self.pos_embed, "trunc_normal", args)]

        def init_weights(self, *args: Any, **kwargs: Any) -> None:
            super().init_weights(*args, **kwargs)
            lib.trunc_normal_(self.pos_embed, std=0.02)

    class VisionTransformerClsHead(Base):  # type: ignore[misc, valid-type]
        def __init__(self, dim: int, classes: int) -> None:
            super().__init__(init_cfg=dict(type="Constant", layer="Linear", val=0))
            self.layers = Seq(nn.Linear(dim, classes))

    class TransformerEncoder(Base):  # type: ignore[misc, valid-type]
        def __init__(self, dim: int, depth: int, hidden: int) -> None:
            super().__init__(init_cfg=dict(TRUNC_LINEAR))
            self.layers = MList([TransformerEncoderLayer(dim, hidden) for _ in range(depth)])
            self.ln = nn.LayerNorm(dim)

    class TransformerStack(Base):  # type: ignore[misc, valid-type]
        def __init__(self, dim: int, depth: int, hidden: int) -> None:
            super().__init__(init_cfg=[dict(TRUNC_LINEAR), dict(CONST_LN)])
            self.encoder = TransformerEncoder(dim, depth, hidden)

    class OwnInitAttention(Base):  # type: ignore[misc, valid-type]
        """Attention whose own ``init_cfg`` (Xavier) overwrites its parent layer's fills."""

        def __init__(self, dim: int) -> None:
            super().__init__(init_cfg=dict(type="Xavier", layer="Linear", distribution="uniform"))
            self.qkv = nn.Linear(dim, 3 * dim)
            self.proj = nn.Linear(dim, dim)

    class OwnInitFFN(Base):  # type: ignore[misc, valid-type]
        """An FFN whose own ``init_cfg`` (Normal) overwrites its parent layer's fills."""

        def __init__(self, dim: int, hidden: int) -> None:
            super().__init__(init_cfg=dict(type="Normal", layer="Linear", std=0.01, bias=0.0))
            self.layers = Seq(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))

    class OverwrittenEncoderLayer(Base):  # type: ignore[misc, valid-type]
        """TruncNormal on every ``Linear`` of the layer, all overwritten by the children's
        own ``init_cfg``s (a layer-level cfg that only draws numbers)."""

        def __init__(self, dim: int, hidden: int) -> None:
            super().__init__(init_cfg=[dict(TRUNC_LINEAR), dict(CONST_LN)])
            self.ln1 = nn.LayerNorm(dim)
            self.attn = OwnInitAttention(dim)
            self.ln2 = nn.LayerNorm(dim)
            self.ffn = OwnInitFFN(dim, hidden)

    class OverwrittenViT(Base):  # type: ignore[misc, valid-type]
        def __init__(self, dim: int, depth: int, hidden: int, patch: int, img: int) -> None:
            super().__init__(
                init_cfg=[
                    dict(type="Kaiming", layer="Conv2d", mode="fan_in", nonlinearity="linear"),
                    dict(TRUNC_LINEAR),
                ]
            )
            self.patch_embed = PatchEmbed(dim, patch)
            tokens = (img // patch) ** 2 + 1
            self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
            self.pos_embed = nn.Parameter(torch.zeros(1, tokens, dim))
            self.layers = MList([OverwrittenEncoderLayer(dim, hidden) for _ in range(depth)])
            self.ln1 = nn.LayerNorm(dim)

    class NarrowBlock(Base):  # type: ignore[misc, valid-type]
        """One level of a deep narrow chain: a small Linear, a norm and the next level.

        Each level's ``init_cfg`` covers the whole chain below it, alternating between
        a random and a constant fill, so a deep chain's parameters are written once per
        level above them (the quadratic case of whole-subtree application)."""

        def __init__(self, dim: int, depth: int) -> None:
            cfg = (
                dict(TRUNC_LINEAR)
                if depth % 2
                else dict(type="Constant", layer="Linear", val=0.5, bias=0.1)
            )
            super().__init__(init_cfg=[cfg, dict(CONST_LN)])
            self.fc = nn.Linear(dim, dim)
            self.norm = nn.LayerNorm(dim)
            self.next = NarrowBlock(dim, depth - 1) if depth > 1 else None

    return SimpleNamespace(**{k: v for k, v in locals().items() if isinstance(v, type)})


@dataclass(frozen=True)
class ModelSpec:
    """A family at one size: the builder's keyword arguments."""

    family: str
    label: str
    kwargs: dict[str, Any]


def _resnet(c: SimpleNamespace, base: int, depths: tuple[int, ...], classes: int) -> nn.Module:
    backbone = c.ResNet(base, depths)
    return c.ImageClassifier(backbone, c.LinearClsHead(backbone.out_channels, classes))


def _vit(
    c: SimpleNamespace, dim: int, depth: int, hidden: int, patch: int, img: int, classes: int
) -> nn.Module:
    return c.ImageClassifier(
        c.VisionTransformer(dim, depth, hidden, patch, img),
        c.VisionTransformerClsHead(dim, classes),
        init_cfg=[dict(TRUNC_LINEAR), dict(CONST_LN)],
    )


def _stack(c: SimpleNamespace, dim: int, depth: int, hidden: int) -> nn.Module:
    return c.TransformerStack(dim, depth, hidden)


def _vit_overwritten(
    c: SimpleNamespace, dim: int, depth: int, hidden: int, patch: int, img: int, classes: int
) -> nn.Module:
    return c.ImageClassifier(
        c.OverwrittenViT(dim, depth, hidden, patch, img),
        c.VisionTransformerClsHead(dim, classes),
        init_cfg=[dict(TRUNC_LINEAR), dict(CONST_LN)],
    )


def _deep_narrow(c: SimpleNamespace, dim: int, depth: int) -> nn.Module:
    return c.NarrowBlock(dim, depth)


_BUILDERS: dict[str, Callable[..., nn.Module]] = {
    "resnet50": _resnet,
    "vit-b": _vit,
    "vit-l": _vit,
    "vit-l-overhead": _vit,
    "tx-1b": _stack,
    "vit-b-overwritten": _vit_overwritten,
    "deep-narrow": _deep_narrow,
}

FAMILIES: dict[str, dict[str, ModelSpec]] = {
    "resnet50": {
        "full": ModelSpec(
            "resnet50", "ResNet-50-like", dict(base=64, depths=(3, 4, 6, 3), classes=1000)
        ),
        "small": ModelSpec(
            "resnet50", "ResNet-like (small)", dict(base=8, depths=(2, 1, 1, 1), classes=10)
        ),
    },
    "vit-b": {
        "full": ModelSpec(
            "vit-b",
            "ViT-B/16-like",
            dict(dim=768, depth=12, hidden=3072, patch=16, img=224, classes=1000),
        ),
        "small": ModelSpec(
            "vit-b",
            "ViT-like (small)",
            dict(dim=32, depth=2, hidden=128, patch=4, img=16, classes=10),
        ),
    },
    "vit-l": {
        "full": ModelSpec(
            "vit-l",
            "ViT-L/16-like",
            dict(dim=1024, depth=24, hidden=4096, patch=16, img=224, classes=1000),
        ),
        "small": ModelSpec(
            "vit-l",
            "ViT-like (small, deeper)",
            dict(dim=48, depth=3, hidden=192, patch=8, img=32, classes=10),
        ),
    },
    # ViT-L's module tree with tiny tensors: the fills cost next to nothing, so the time is
    # the init's Python bookkeeping (the regime of a GPU, where fills are asynchronous)
    "vit-l-overhead": {
        "full": ModelSpec(
            "vit-l-overhead",
            "ViT-L tree, tiny dims (Python overhead)",
            dict(dim=16, depth=24, hidden=32, patch=16, img=32, classes=10),
        ),
        "small": ModelSpec(
            "vit-l-overhead",
            "ViT-L tree, tiny dims (small)",
            dict(dim=8, depth=3, hidden=16, patch=8, img=16, classes=10),
        ),
    },
    "tx-1b": {
        "full": ModelSpec("tx-1b", "~1B transformer stack", dict(dim=1536, depth=36, hidden=6144)),
        "small": ModelSpec("tx-1b", "transformer stack (small)", dict(dim=32, depth=3, hidden=128)),
    },
    # ViT-B's shape where every layer's TruncNormal on Linear is overwritten by its
    # children's own init_cfgs (Xavier in the attention, Normal in the FFN)
    "vit-b-overwritten": {
        "full": ModelSpec(
            "vit-b-overwritten",
            "ViT-B tree, layer fills overwritten by children's",
            dict(dim=768, depth=12, hidden=3072, patch=16, img=224, classes=1000),
        ),
        "small": ModelSpec(
            "vit-b-overwritten",
            "ViT tree, fills overwritten (small)",
            dict(dim=32, depth=2, hidden=128, patch=4, img=16, classes=10),
        ),
    },
    # a 48-level chain of BaseModules, each init_cfg covering the chain below it
    "deep-narrow": {
        "full": ModelSpec(
            "deep-narrow", "deep narrow chain (48 levels, width 64)", dict(dim=64, depth=48)
        ),
        "small": ModelSpec("deep-narrow", "deep narrow chain (small)", dict(dim=8, depth=6)),
    },
}


def build_model(family: str, lib: Lib, size: str = "full") -> nn.Module:
    """Build ``family`` (a key of :data:`FAMILIES`) at ``size`` on ``lib``'s classes."""
    if family not in FAMILIES:
        raise ValueError(f"unknown model {family!r}; choose from {sorted(FAMILIES)}")
    if size not in FAMILIES[family]:
        raise ValueError(f"unknown size {size!r}; choose from {sorted(FAMILIES[family])}")
    spec = FAMILIES[family][size]
    return _BUILDERS[family](model_classes(lib), **spec.kwargs)
