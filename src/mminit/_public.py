"""The ``mminit`` flavour's public names (mmengine 0.10.7 / mmcv 2.2.0).

``mminit/__init__.py`` exposes these lazily, so that ``import mminit`` (and the
``mminit`` command line) does not import torch until a name is used.

The list of names is :mod:`mminit._names` (one table for both flavours); this module
binds each one, by a static import where the object is defined once for both
flavours (``from m import X as X``: an explicit re-export, which type checkers and
editors follow to the definition), else by an assignment from this flavour's factory.
``tests/core/test_public_api.py`` checks that the table and the bindings agree.
"""

from __future__ import annotations

from mminit._checkpoint.errors import (
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
from mminit._checkpoint.public import make_checkpoint_api
from mminit._errors import (
    FastModeWarning as FastModeWarning,
    InitInfoError as InitInfoError,
    InvalidInitArg as InvalidInitArg,
)
from mminit._explain import InitPlan as InitPlan, explain as explain
from mminit._flavour import MMENGINE
from mminit._flavoured import make_flavour_api
from mminit._functional import (
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
from mminit._init import (
    BaseInit as BaseInit,
    Caffe2XavierInit as Caffe2XavierInit,
    ConstantInit as ConstantInit,
    KaimingInit as KaimingInit,
    NormalInit as NormalInit,
    PretrainedInit as PretrainedInit,
    Registry as Registry,
    TruncNormalInit as TruncNormalInit,
    UniformInit as UniformInit,
    XavierInit as XavierInit,
    build_from_cfg as build_from_cfg,
)
from mminit._modules import (
    InitMode as InitMode,
    clear_plan_cache as clear_plan_cache,
    disable as disable,
    enable as enable,
    init_mode as init_mode,
    init_weights as init_weights,
    route as route,
)
from mminit._names import public_names as _public_names
from mminit._scale import (
    MaterializeWarning as MaterializeWarning,
    materialize as materialize,
    name_keyed as name_keyed,
    sharded_init as sharded_init,
)
from mminit.bricks._api import make_bricks_api
from mminit.bricks._errors import (
    InvalidBrickArg as InvalidBrickArg,
    LayerTypeNotAName as LayerTypeNotAName,
    SpatialRangeNeedsKnownChannels as SpatialRangeNeedsKnownChannels,
)
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

__all__ = list(_public_names("mminit"))
