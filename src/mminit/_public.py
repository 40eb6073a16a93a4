"""The ``mminit`` flavour's public names (mmengine 0.10.7 / mmcv 2.2.0).

``mminit/__init__.py`` exposes these lazily, so that ``import mminit`` (and the
``mminit`` command line) does not import torch until a name is used.  A name
added here must also be listed in ``__all__`` of ``mminit/__init__.py``
(``tests/core/test_public_api.py`` checks that they agree).
"""

from __future__ import annotations

from mminit._checkpoint.public import make_checkpoint_api
from mminit._errors import FastModeWarning
from mminit._explain import InitPlan, explain
from mminit._flavour import MMENGINE
from mminit._flavoured import make_flavour_api
from mminit._functional import (
    bias_init_with_prob,
    caffe2_xavier_init,
    constant_init,
    kaiming_init,
    normal_init,
    trunc_normal_,
    trunc_normal_init,
    uniform_init,
    xavier_init,
)
from mminit._initializers import (
    BaseInit,
    Caffe2XavierInit,
    ConstantInit,
    KaimingInit,
    NormalInit,
    PretrainedInit,
    TruncNormalInit,
    UniformInit,
    XavierInit,
)
from mminit._meta import MaterializeWarning, materialize
from mminit._name_keyed import name_keyed
from mminit._registry import Registry, build_from_cfg
from mminit._route import disable, enable, init_weights, route
from mminit._sharded import sharded_init
from mminit._user_code import InitMode, init_mode
from mminit.bricks._api import make_bricks_api
from mminit.bricks._flavour import MMCV2_BRICKS

_api = make_flavour_api(MMENGINE, "mminit", "weight initializer")
_checkpoint_api = make_checkpoint_api(MMENGINE, "mminit")
load_checkpoint = _checkpoint_api.load_checkpoint
_load_checkpoint = _checkpoint_api.load_checkpoint_raw
_load_checkpoint_with_prefix = _checkpoint_api.load_checkpoint_with_prefix
load_state_dict = _checkpoint_api.load_state_dict
CheckpointLoader = _checkpoint_api.CheckpointLoader
WEIGHT_INITIALIZERS: Registry = _api.registry
INITIALIZERS: Registry = _api.registry
initialize = _api.initialize
update_init_info = _api.update_init_info
BaseModule = _api.BaseModule
Sequential = _api.Sequential
ModuleList = _api.ModuleList
ModuleDict = _api.ModuleDict

# layer bricks (mmcv 2.2.0's mmcv.cnn), see mminit.bricks
_bricks = make_bricks_api(MMCV2_BRICKS, BaseModule, Sequential, "mminit")
LAYERS = _bricks["LAYERS"]
ConvModule = _bricks["ConvModule"]
build_conv_layer = _bricks["build_conv_layer"]
build_norm_layer = _bricks["build_norm_layer"]
build_activation_layer = _bricks["build_activation_layer"]
build_upsample_layer = _bricks["build_upsample_layer"]
build_padding_layer = _bricks["build_padding_layer"]
infer_abbr = _bricks["infer_abbr"]
is_norm = _bricks["is_norm"]
Conv2d = _bricks["Conv2d"]
Conv3d = _bricks["Conv3d"]
ConvTranspose2d = _bricks["ConvTranspose2d"]
ConvTranspose3d = _bricks["ConvTranspose3d"]
Linear = _bricks["Linear"]
MaxPool2d = _bricks["MaxPool2d"]
MaxPool3d = _bricks["MaxPool3d"]
Conv2dAdaptivePadding = _bricks["Conv2dAdaptivePadding"]
ConvWS2d = _bricks["ConvWS2d"]
ConvAWS2d = _bricks["ConvAWS2d"]
conv_ws_2d = _bricks["conv_ws_2d"]
HSigmoid = _bricks["HSigmoid"]
HSwish = _bricks["HSwish"]
Swish = _bricks["Swish"]
PixelShufflePack = _bricks["PixelShufflePack"]
build_plugin_layer = _bricks["build_plugin_layer"]
build_dropout = _bricks["build_dropout"]
DepthwiseSeparableConvModule = _bricks["DepthwiseSeparableConvModule"]
NonLocal1d = _bricks["NonLocal1d"]
NonLocal2d = _bricks["NonLocal2d"]
NonLocal3d = _bricks["NonLocal3d"]
ContextBlock = _bricks["ContextBlock"]
DropPath = _bricks["DropPath"]
Dropout = _bricks["Dropout"]
Scale = _bricks["Scale"]
GeneralizedAttention = _bricks["GeneralizedAttention"]
PatchEmbed = _bricks["PatchEmbed"]
AdaptivePadding = _bricks["AdaptivePadding"]
PatchMerging = _bricks["PatchMerging"]
MultiheadAttention = _bricks["MultiheadAttention"]
FFN = _bricks["FFN"]
LayerScale = _bricks["LayerScale"]

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
