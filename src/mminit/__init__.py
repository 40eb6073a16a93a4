"""mminit: OpenMMLab's weight-initialization system, standalone.

``import mminit`` behaves as mmengine 0.10.7 (``mmengine.model`` and
``mmengine.registry.WEIGHT_INITIALIZERS``); ``import mminit.mmcv1`` behaves as
mmcv 1.7.2.  Same seed in, same weights, init-info strings, log records,
warnings and exception types out.
"""

from __future__ import annotations

from ._flavour import MMENGINE
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
from ._initializers import (
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
from ._registry import Registry, build_from_cfg
from ._user_code import InitMode, init_mode

__version__ = "0.1.0"

_api = make_flavour_api(MMENGINE, __name__, "weight initializer")
WEIGHT_INITIALIZERS: Registry = _api.registry
INITIALIZERS: Registry = _api.registry
initialize = _api.initialize
update_init_info = _api.update_init_info
BaseModule = _api.BaseModule
Sequential = _api.Sequential
ModuleList = _api.ModuleList
ModuleDict = _api.ModuleDict

__all__ = [
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
]
