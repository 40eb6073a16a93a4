"""Targets that fail at a known stage of ``mminit check``, and one importing no upstream."""

from __future__ import annotations

import os
import sys
from typing import Any

from check_zoo import make_models

import mminit

if os.environ.get("CHECK_FAIL_IMPORT"):
    raise RuntimeError("planted failure while importing the model module")

MODELS = make_models(mminit)


def build_fails() -> Any:
    raise RuntimeError("planted failure in the factory")


class _InitFails(MODELS.TinyResNet):  # type: ignore[misc, name-defined]
    def init_weights(self) -> None:
        raise RuntimeError("planted failure in init_weights")


def build_init_fails() -> Any:
    return _InitFails()


def build_plain_resnet() -> Any:
    """Neither mmengine's nor mmcv's logger exists on the mminit side of this target."""
    if mminit.BaseModule.__module__.startswith("mminit"):  # not the upstream side's alias
        assert "mmengine" not in sys.modules and "mmcv" not in sys.modules, sorted(
            n for n in sys.modules if n.split(".")[0] in ("mmengine", "mmcv")
        )
    return MODELS.TinyResNet()
