"""``mminit check`` targets (``check_targets:<name>``) built from real packages' own configs.

Run ``mminit check`` with the *migrated* copy of the package first on ``PYTHONPATH``
(that is the code both sides import; the upstream side swaps ``mminit`` for upstream)
and this directory after it.  ``MMINIT_REAL_CKPT_DIR`` is where a downloading
``Pretrained`` ``init_cfg`` gets its local checkpoint (see :mod:`side`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import stubs

__all__ = ["mmdet_mask_rcnn", "mmpretrain_vit", "mmpretrain_vit_planted", "mmseg_segformer"]


def _build(package: str, config: str, edit: Any = None) -> Any:
    import side

    stubs.install(package)
    import importlib.util

    spec = importlib.util.find_spec(side.module(package))
    assert spec is not None and spec.submodule_search_locations
    root = Path(next(iter(spec.submodule_search_locations)))
    # the configs of the installed package (the migrated copy's are the same files)
    site = Path(os.environ.get("MMINIT_REAL_CONFIGS", root / ".mim" / "configs"))
    cfg = side._read_config(package, str(site / config))
    if edit:
        edit(cfg)
    build = side._builder(package)
    side._local_checkpoints(cfg, build, Path(os.environ["MMINIT_REAL_CKPT_DIR"]), Path(config).stem)
    return build(cfg)


def mmpretrain_vit() -> Any:
    """mmpretrain 1.2.0's ViT-B/16 classifier (mmengine root, mmcv 2.x bricks)."""
    return _build("mmpretrain", "vision_transformer/vit-base-p16_64xb64_in1k.py")


def mmpretrain_vit_planted() -> Any:
    """The same with a planted difference: the patch embedding's Kaiming mode fan_in -> fan_out."""

    def edit(cfg: Any) -> None:
        cfg.model.backbone.init_cfg[0]["mode"] = "fan_out"

    return _build("mmpretrain", "vision_transformer/vit-base-p16_64xb64_in1k.py", edit)


def mmdet_mask_rcnn() -> Any:
    """mmdet 2.28.2's Mask R-CNN R50-FPN (its backbone loads a local checkpoint)."""
    return _build("mmdet", "mask_rcnn/mask_rcnn_r50_fpn_1x_coco.py")


def mmseg_segformer() -> Any:
    """mmseg 0.30.0's SegFormer-B0 (``pretrained=`` a download, pointed at a local checkpoint)."""
    return _build("mmseg", "segformer/segformer_mit-b0_512x512_160k_ade20k.py")
