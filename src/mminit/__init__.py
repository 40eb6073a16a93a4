"""mminit: OpenMMLab's weight-initialization system, standalone.

``import mminit`` behaves as mmengine 0.10.7 (``mmengine.model`` and
``mmengine.registry.WEIGHT_INITIALIZERS``); ``import mminit.mmcv1`` behaves as
mmcv 1.7.2.  Same seed in, same weights, init-info strings, log records,
warnings and exception types out.

The public names are loaded on first use (PEP 562): ``import mminit`` alone
imports neither torch nor anything else heavy, so the ``mminit`` command line
starts fast.  ``mminit._public`` holds the names themselves.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "CheckpointLoader",
    "_load_checkpoint",
    "_load_checkpoint_with_prefix",
    "load_checkpoint",
    "load_state_dict",
    "LAYERS",
    "ConvModule",
    "build_conv_layer",
    "build_norm_layer",
    "build_activation_layer",
    "build_upsample_layer",
    "build_padding_layer",
    "infer_abbr",
    "is_norm",
    "Conv2d",
    "Conv3d",
    "ConvTranspose2d",
    "ConvTranspose3d",
    "Linear",
    "MaxPool2d",
    "MaxPool3d",
    "Conv2dAdaptivePadding",
    "ConvWS2d",
    "ConvAWS2d",
    "conv_ws_2d",
    "HSigmoid",
    "HSwish",
    "Swish",
    "PixelShufflePack",
    "build_plugin_layer",
    "build_dropout",
    "DepthwiseSeparableConvModule",
    "NonLocal1d",
    "NonLocal2d",
    "NonLocal3d",
    "ContextBlock",
    "DropPath",
    "Dropout",
    "Scale",
    "GeneralizedAttention",
    "PatchEmbed",
    "AdaptivePadding",
    "PatchMerging",
    "MultiheadAttention",
    "FFN",
    "LayerScale",
    "BaseInit",
    "BaseModule",
    "Caffe2XavierInit",
    "ConstantInit",
    "INITIALIZERS",
    "InitMode",
    "KaimingInit",
    "ModuleDict",
    "ModuleList",
    "NormalInit",
    "PretrainedInit",
    "Registry",
    "Sequential",
    "TruncNormalInit",
    "UniformInit",
    "WEIGHT_INITIALIZERS",
    "XavierInit",
    "bias_init_with_prob",
    "build_from_cfg",
    "caffe2_xavier_init",
    "constant_init",
    "init_mode",
    "initialize",
    "kaiming_init",
    "normal_init",
    "trunc_normal_",
    "trunc_normal_init",
    "uniform_init",
    "update_init_info",
    "xavier_init",
    "FastModeWarning",
    "disable",
    "enable",
    "init_weights",
    "route",
    "explain",
    "InitPlan",
    "MaterializeWarning",
    "materialize",
    "name_keyed",
    "sharded_init",
]

if TYPE_CHECKING:  # pragma: no cover - static view for type checkers and IDEs
    from mminit._public import *


def __getattr__(name: str) -> Any:
    if name in __all__:
        public = importlib.import_module("mminit._public")
        values = {n: getattr(public, n) for n in __all__}
        globals().update(values)
        return values[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
