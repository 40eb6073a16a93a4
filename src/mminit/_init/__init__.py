"""The ``init_cfg`` machinery: initializer classes, the registry and ``initialize``.

``initializers`` holds the initializer classes (``ConstantInit`` ...),
``registry`` the ``WEIGHT_INITIALIZERS``/``INITIALIZERS`` registries,
``initialize`` applies a config (dict or list) to a module, and ``init_info``
keeps the ``_params_init_info`` table that says which initializer last changed
each parameter.  It sits on :mod:`mminit._engine` and knows nothing of
``BaseModule``.
"""

from __future__ import annotations

from .init_info import MminitInitInfo, new_params_init_info, update_init_info_for
from .initialize import InitCfg, initialize_with
from .initializers import (
    INITIALIZER_CLASSES,
    BaseInit,
    Caffe2XavierInit,
    ConstantInit,
    KaimingInit,
    NormalInit,
    PretrainedInit,
    TruncNormalInit,
    UniformInit,
    XavierInit,
    flavoured_initializers,
    matches_layer,
)
from .registry import Registry, build_from_cfg

__all__ = [
    "MminitInitInfo",
    "new_params_init_info",
    "update_init_info_for",
    "InitCfg",
    "initialize_with",
    "BaseInit",
    "Caffe2XavierInit",
    "ConstantInit",
    "INITIALIZER_CLASSES",
    "KaimingInit",
    "NormalInit",
    "PretrainedInit",
    "TruncNormalInit",
    "UniformInit",
    "XavierInit",
    "flavoured_initializers",
    "matches_layer",
    "Registry",
    "build_from_cfg",
]
