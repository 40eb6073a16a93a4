"""Test models, migrated form for the mmcv 1.x flavour (imports ``mminit.mmcv1``)."""

from __future__ import annotations

from typing import Any

from check_zoo import make_models, vit_with_checkpoint

import mminit.mmcv1

MODELS = make_models(mminit.mmcv1)


def build_resnet() -> Any:
    return MODELS.TinyResNet()


def build_vit() -> Any:
    return vit_with_checkpoint(MODELS)
