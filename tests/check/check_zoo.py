"""Two realistic models for ``mminit check``'s tests, written against a *lib*.

``make_models(lib)`` builds the classes with the init names of ``lib`` (the
``mminit`` or ``mminit.mmcv1`` module, which ``mminit check`` swaps for upstream
on its upstream side).  ``std`` exists so a test can plant a difference.
"""

from __future__ import annotations

import os
from types import SimpleNamespace
from typing import Any

import torch
from torch import nn


def make_models(lib: Any, std: float = 0.02) -> SimpleNamespace:
    class BasicBlock(lib.BaseModule):
        def __init__(self, cin: int, cout: int, stride: int = 1) -> None:
            super().__init__(init_cfg={"type": "Constant", "val": 0, "override": {"name": "bn2"}})
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.downsample = None
            if stride != 1 or cin != cout:
                self.downsample = lib.Sequential(
                    nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)
                )

    class ResNetHead(lib.BaseModule):
        def __init__(self, cin: int, classes: int) -> None:
            super().__init__(init_cfg={"type": "Normal", "std": 0.01, "layer": "Linear"})
            self.fc = nn.Linear(cin, classes)

    class TinyResNet(lib.BaseModule):
        def __init__(self, widths: tuple[int, ...] = (8, 16, 32), classes: int = 10) -> None:
            super().__init__(
                init_cfg=[
                    {"type": "Kaiming", "layer": "Conv2d"},
                    {"type": "Constant", "val": 1, "layer": ["_BatchNorm", "GroupNorm"]},
                ]
            )
            self.stem = lib.Sequential(
                nn.Conv2d(3, widths[0], 3, 2, 1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU()
            )
            stages, cin = [], widths[0]
            for i, w in enumerate(widths):
                blocks = [BasicBlock(cin, w, 1 if i == 0 else 2), BasicBlock(w, w)]
                stages.append(lib.Sequential(*blocks))
                cin = w
            self.stages = lib.ModuleList(stages)
            self.head = ResNetHead(cin, classes)

    class Attention(lib.BaseModule):
        def __init__(self, dim: int) -> None:
            super().__init__()
            self.qkv = nn.Linear(dim, dim * 3)
            self.proj = nn.Linear(dim, dim)

    class TransformerLayer(lib.BaseModule):
        def __init__(self, dim: int) -> None:
            super().__init__()
            self.ln1 = nn.LayerNorm(dim)
            self.attn = Attention(dim)
            self.ln2 = nn.LayerNorm(dim)
            self.ffn = lib.Sequential(nn.Linear(dim, dim * 2), nn.GELU(), nn.Linear(dim * 2, dim))

    class TinyViT(lib.BaseModule):
        def __init__(self, dim: int = 16, depth: int = 3, init_cfg: Any = None) -> None:
            super().__init__(
                init_cfg=init_cfg
                or [
                    {"type": "TruncNormal", "std": std, "layer": "Linear"},
                    {"type": "Constant", "val": 1, "bias": 0, "layer": "LayerNorm"},
                ]
            )
            self.patch_embed = nn.Conv2d(3, dim, 4, 4)
            self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
            self.pos_embed = nn.Parameter(torch.zeros(1, 17, dim))
            self.layers = lib.ModuleList([TransformerLayer(dim) for _ in range(depth)])
            self.ln = nn.LayerNorm(dim)

        def init_weights(self) -> None:
            super().init_weights()
            pretrained = isinstance(self.init_cfg, dict) and self.init_cfg["type"] == "Pretrained"
            if not pretrained:
                lib.trunc_normal_(self.pos_embed, std=std)

    class ViTClassifier(lib.BaseModule):
        def __init__(self, backbone_init: Any = None, classes: int = 10) -> None:
            super().__init__()
            self.backbone = TinyViT(init_cfg=backbone_init)
            self.head = lib.Sequential(
                nn.LayerNorm(16),
                nn.Linear(16, classes),
                init_cfg={"type": "TruncNormal", "std": std, "layer": "Linear"},
            )

    return SimpleNamespace(TinyResNet=TinyResNet, TinyViT=TinyViT, ViTClassifier=ViTClassifier)


def vit_with_checkpoint(models: SimpleNamespace) -> Any:
    """A ViT classifier whose backbone loads ``$CHECK_VIT_CKPT`` with prefix ``backbone.``."""
    ckpt = os.environ["CHECK_VIT_CKPT"]
    return models.ViTClassifier(
        backbone_init={"type": "Pretrained", "checkpoint": ckpt, "prefix": "backbone."}
    )


def register(models: SimpleNamespace, prefix: str) -> None:
    """Register the classes in mmengine's MODELS registry (config-file targets)."""
    from mmengine.registry import MODELS

    for name in ("TinyResNet", "ViTClassifier"):
        MODELS.register_module(name=f"{prefix}{name}", module=getattr(models, name), force=True)
