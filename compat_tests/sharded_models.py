"""Models for the sharded-init tests, importable by spawned ranks (no tests in here)."""

from __future__ import annotations

import importlib
import os

from torch import nn


def _lib(side: str):
    flavour = os.environ.get("MMINIT_SHARDED_FLAVOUR", "mmengine")
    if side == "mminit":
        return importlib.import_module("mminit" if flavour == "mmengine" else "mminit.mmcv1")
    return importlib.import_module("mmengine.model" if flavour == "mmengine" else "mmcv.runner")


def net(L) -> nn.Module:
    """Conv + BN stem, an uncovered Linear (construction draw stays), MHA, trunc-normal and override cfgs."""

    class Head(L.BaseModule):
        def __init__(self) -> None:
            super().__init__(
                {
                    "type": "Normal",
                    "std": 0.1,
                    "override": {"name": "fc", "type": "Constant", "val": 3},
                }
            )
            self.attn = nn.MultiheadAttention(8, 2)
            self.fc = nn.Linear(8, 5)

    class Net(L.BaseModule):
        def __init__(self) -> None:
            super().__init__(
                [
                    {"type": "Kaiming", "layer": "Conv2d"},
                    {"type": "Constant", "val": 1, "bias": 2, "layer": "BatchNorm2d"},
                ]
            )
            self.stem = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8))
            self.free = nn.Linear(8, 7)
            self.blocks = L.Sequential(
                *[nn.Linear(8, 8) for _ in range(3)],
                init_cfg={"type": "TruncNormal", "std": 0.02, "layer": "Linear"},
            )
            self.head = Head()

    return Net()


def mminit_net() -> nn.Module:
    return net(_lib("mminit"))


def upstream_net() -> nn.Module:
    return net(_lib("upstream"))


def mminit_wide() -> nn.Module:
    """Eight 2048x2048 layers (16 MiB each): large enough for a per-rank memory bound to show."""
    L = _lib("mminit")

    class Wide(L.BaseModule):
        def __init__(self) -> None:
            super().__init__({"type": "TruncNormal", "std": 0.02, "layer": "Linear"})
            for i in range(8):
                setattr(self, f"fc{i}", nn.Linear(2048, 2048, bias=False))

    return Wide()


def _with_pretrained(L) -> nn.Module:
    """``net`` with a ``Pretrained`` entry (prefix ``backbone.``) on the root; checkpoint path from the env."""
    model = net(L)
    model.init_cfg = [
        *model.init_cfg,
        {
            "type": "Pretrained",
            "prefix": "backbone.",
            "checkpoint": os.environ["MMINIT_SHARDED_CHECKPOINT"],
        },
    ]
    return model


def mminit_pretrained_net() -> nn.Module:
    return _with_pretrained(_lib("mminit"))


def upstream_pretrained_net() -> nn.Module:
    return _with_pretrained(_lib("upstream"))


def mminit_wide_pretrained() -> nn.Module:
    """``mminit_wide`` whose every layer a ``Pretrained`` entry then loads (checkpoint path from the env)."""
    model = mminit_wide()
    model.init_cfg = [
        model.init_cfg,
        {"type": "Pretrained", "checkpoint": os.environ["MMINIT_SHARDED_CHECKPOINT"]},
    ]
    return model
