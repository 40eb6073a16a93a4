"""The ``mminit`` flavour's public names (mmengine 0.10.7 / mmcv 2.2.0).

``mminit/__init__.py`` exposes these lazily, so that ``import mminit`` (and the
``mminit`` command line) does not import torch until a name is used.  A name
added here must also be listed in ``__all__`` of ``mminit/__init__.py``
(``tests/core/test_public_api.py`` checks that they agree).
"""

from __future__ import annotations

from mminit._checkpoint.public import make_checkpoint_api
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
from mminit._registry import Registry, build_from_cfg
from mminit._user_code import InitMode, init_mode
from mminit._route import disable, enable, init_weights, route
from mminit._errors import FastModeWarning

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
