"""mminit's mmcv 1.7.2 flavour: ``mmcv.cnn`` init names and ``mmcv.runner.BaseModule``.

Differs from :mod:`mminit` where mmcv 1.x differs from mmengine: ``initialize``
records at INFO, a repeated ``init_weights`` calls ``warnings.warn``,
``init_cfg`` lists run in order and a dict ``Pretrained`` ends
``init_weights`` early, ``is_init`` is read-only, ``UniformInit`` prints float
defaults and ``PretrainedInit`` keeps ``map_location=None``.
"""

from __future__ import annotations

from ._checkpoint.public import make_checkpoint_api
from ._flavour import MMCV1
from ._flavoured import make_flavour_api
from ._functional import (
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
from ._initializers import BaseInit
from ._registry import Registry, build_from_cfg
from ._user_code import InitMode, init_mode
from ._route import disable, enable, init_weights, route
from ._errors import FastModeWarning

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

__all__ = [
    "CheckpointLoader",
    "_load_checkpoint",
    "_load_checkpoint_with_prefix",
    "load_checkpoint",
    "load_state_dict",
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
]
