"""mminit's mmcv 1.7.2 flavour: ``mmcv.cnn`` init names and ``mmcv.runner.BaseModule``.

Differs from :mod:`mminit` where mmcv 1.x differs from mmengine: ``initialize``
records at INFO, a repeated ``init_weights`` calls ``warnings.warn``,
``init_cfg`` lists run in order and a dict ``Pretrained`` ends
``init_weights`` early, ``is_init`` is read-only, ``UniformInit`` prints float
defaults and ``PretrainedInit`` keeps ``map_location=None``.

The list of names is :mod:`mminit._names` (one table for both flavours); this module
binds each one as :mod:`mminit._public` does for the ``mminit`` flavour.
"""

from __future__ import annotations

from ._checkpoint.errors import (
    ChecksumError as ChecksumError,
    DownloadError as DownloadError,
    InvalidSchemeArg as InvalidSchemeArg,
    NotACheckpointError as NotACheckpointError,
    OfflineError as OfflineError,
    PrefixNotFoundError as PrefixNotFoundError,
    UnknownModelNameError as UnknownModelNameError,
    UnknownSchemeError as UnknownSchemeError,
    UnsafeCheckpointError as UnsafeCheckpointError,
    UnsupportedSourceError as UnsupportedSourceError,
)
from ._checkpoint.public import make_checkpoint_api
from ._errors import (
    FastModeWarning as FastModeWarning,
    InitInfoError as InitInfoError,
    InvalidInitArg as InvalidInitArg,
)
from ._explain import InitPlan as InitPlan, explain as explain
from ._flavour import MMCV1
from ._flavoured import make_flavour_api
from ._functional import (
    bias_init_with_prob as bias_init_with_prob,
    caffe2_xavier_init as caffe2_xavier_init,
    constant_init as constant_init,
    kaiming_init as kaiming_init,
    normal_init as normal_init,
    trunc_normal_ as trunc_normal_,
    trunc_normal_init as trunc_normal_init,
    uniform_init as uniform_init,
    xavier_init as xavier_init,
)
from ._init import BaseInit as BaseInit, Registry as Registry, build_from_cfg as build_from_cfg
from ._modules import (
    InitMode as InitMode,
    clear_plan_cache as clear_plan_cache,
    disable as disable,
    enable as enable,
    init_mode as init_mode,
    init_weights as init_weights,
    route as route,
)
from ._names import public_names as _public_names
from ._scale import (
    MaterializeWarning as MaterializeWarning,
    materialize as materialize,
    name_keyed as name_keyed,
    sharded_init as sharded_init,
)
from .bricks._api import make_bricks_api
from .bricks._errors import (
    InvalidBrickArg as InvalidBrickArg,
    LayerTypeNotAName as LayerTypeNotAName,
    SpatialRangeNeedsKnownChannels as SpatialRangeNeedsKnownChannels,
)
from .bricks._flavour import MMCV1_BRICKS

_api = make_flavour_api(MMCV1, __name__, "initializer")
_checkpoint_api = make_checkpoint_api(MMCV1, __name__)
load_checkpoint = _checkpoint_api.load_checkpoint
_load_checkpoint = _checkpoint_api.load_checkpoint_raw
_load_checkpoint_with_prefix = _checkpoint_api.load_checkpoint_with_prefix
load_state_dict = _checkpoint_api.load_state_dict
CheckpointLoader = _checkpoint_api.CheckpointLoader
INITIALIZERS: Registry = _api.registry
WEIGHT_INITIALIZERS: Registry = _api.registry
initialize = _api.initialize
update_init_info = _api.update_init_info
BaseModule = _api.BaseModule
Sequential = _api.Sequential
ModuleList = _api.ModuleList
ModuleDict = _api.ModuleDict
ConstantInit = _api.initializers["Constant"]
XavierInit = _api.initializers["Xavier"]
NormalInit = _api.initializers["Normal"]
TruncNormalInit = _api.initializers["TruncNormal"]
UniformInit = _api.initializers["Uniform"]
KaimingInit = _api.initializers["Kaiming"]
Caffe2XavierInit = _api.initializers["Caffe2Xavier"]
PretrainedInit = _api.initializers["Pretrained"]

# layer bricks (mmcv 1.7.2's mmcv.cnn), see mminit.bricks
_bricks = make_bricks_api(MMCV1_BRICKS, BaseModule, Sequential, __name__)
ACTIVATION_LAYERS = _bricks["ACTIVATION_LAYERS"]
CONV_LAYERS = _bricks["CONV_LAYERS"]
NORM_LAYERS = _bricks["NORM_LAYERS"]
PADDING_LAYERS = _bricks["PADDING_LAYERS"]
UPSAMPLE_LAYERS = _bricks["UPSAMPLE_LAYERS"]
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
PLUGIN_LAYERS = _bricks["PLUGIN_LAYERS"]
DROPOUT_LAYERS = _bricks["DROPOUT_LAYERS"]
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

__all__ = list(_public_names("mminit.mmcv1"))
