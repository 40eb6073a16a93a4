"""The ResNet of ``models_mmengine`` before migration: it imports ``mmengine.model``."""

from __future__ import annotations

from typing import Any

import mmengine.model
from check_zoo import make_models

MODELS = make_models(mmengine.model)


def build_resnet() -> Any:
    return MODELS.TinyResNet()
