"""Tiny migrated models for the exit-status table of ``tests/check/test_cli.py``."""

from __future__ import annotations

from torch import nn

from mminit import BaseModule


class Tiny(BaseModule):
    def __init__(self, init_cfg: dict[str, object]) -> None:
        super().__init__(init_cfg)
        self.fc = nn.Linear(4, 3)


def build_clean() -> nn.Module:
    return Tiny(dict(type="Normal", layer="Linear", std=0.02, bias=0.0))


def build_planted() -> nn.Module:
    """``build_clean`` with another std: a difference for ``check --migrated``."""
    return Tiny(dict(type="Normal", layer="Linear", std=0.03, bias=0.0))


def build_lint() -> nn.Module:
    """An init_cfg whose ``layer`` matches no module (lint MI001)."""
    return Tiny(dict(type="Constant", layer="GroupNorm", val=1.0))


def build_fails() -> nn.Module:
    raise RuntimeError("planted failure in the factory")
