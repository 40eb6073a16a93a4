"""The ViT of ``models_mmengine`` with a planted difference: TruncNormal std 0.03."""

from __future__ import annotations

from typing import Any

from check_zoo import make_models, vit_with_checkpoint

import mminit

MODELS = make_models(mminit, std=0.03)


def build_vit() -> Any:
    return vit_with_checkpoint(MODELS)
