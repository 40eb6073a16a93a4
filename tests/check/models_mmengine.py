"""Test models, migrated form for the mmengine flavour (imports ``mminit``)."""

from __future__ import annotations

from typing import Any

from check_zoo import make_models, register, vit_with_checkpoint

import mminit

MODELS = make_models(mminit)


def build_resnet() -> Any:
    return MODELS.TinyResNet()


def build_vit() -> Any:
    return vit_with_checkpoint(MODELS)


try:
    register(MODELS, "Check")
except ImportError:  # mmengine absent: factories still work, config files do not
    pass
