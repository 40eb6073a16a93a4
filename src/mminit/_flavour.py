"""The points where mmengine 0.10.7 and mmcv 1.7.2 differ, as data.

One implementation serves both upstreams; every behavioural fork reads one
field of a :class:`Flavour`.  Each field is an observation of the real
upstreams, and the compat suite checks it against them:
``compat_tests/test_harness.py`` finds the documented mmengine/mmcv 1.x
differences in the upstreams themselves, ``compat_tests/test_core_*.py`` and
``compat_tests/checkpoint/`` compare mminit with each upstream case by case.

Fields naming an upstream module (``(module, attribute)`` pairs) are consulted
only when a program has already imported that module; mminit never imports
upstream itself.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

FlavourName = Literal["mmengine", "mmcv1"]

__all__ = ["MMCV1", "MMENGINE", "Flavour", "FlavourName"]


@dataclass(frozen=True)
class Flavour:
    """Behavioural switches of one upstream.

    Attributes:
        name: ``"mmengine"`` or ``"mmcv1"``.
        init_cfg_log_level: level of the ``initialize X with init_cfg ...`` record.
        repeat_warning: how a second ``init_weights`` is reported: a ``WARNING``
            log record (``"log"``) or ``warnings.warn`` (``"warn"``).
        pretrained_last: ``Pretrained`` entries of an ``init_cfg`` run after the
            other entries and after the children (mmengine) instead of in order.
        pretrained_dict_returns_early: a dict ``init_cfg`` of type
            ``'Pretrained'`` ends ``init_weights`` at once (mmcv 1.x).
        skip_initialised_children: children whose ``is_init`` is true are not
            re-run (mmengine).
        unwrap_model_wrappers: children that are DataParallel/DDP wrappers
            without ``init_weights`` are unwrapped (mmengine).
        mean_on_cpu: ``tmp_mean_value`` is moved to the CPU (mmengine).
        is_init_settable: ``BaseModule.is_init`` has a setter (mmengine).
        uniform_defaults: ``UniformInit``'s default ``(a, b)``; they show in the
            init-info string (``a=0, b=1`` vs ``a=0.0, b=1.0``).
        pretrained_map_location: ``PretrainedInit``'s default ``map_location``.
        registry_scope: scope printed in the registry's unknown-type ``KeyError``.
        build_scoped: ``build_from_cfg`` drops a ``_scope_`` key and takes any
            callable as ``type`` (mmengine); otherwise only a class or a function.
        build_prefixes_errors: ``build_from_cfg`` re-raises a constructor's
            exception as the same type prefixed with the class name (mmcv 1.x).
        upstream_initializers: ``(module, attribute)`` of upstream's initializer
            registry, where a type mminit does not know is looked up.
        upstream_registry_scoped: that registry is looked up under the current
            default scope (``switch_scope_and_registry``, mmengine).
        logs_to_mmlogger: records go to mmengine's current ``MMLogger``,
            ``logger='current'`` means that logger and a str logger names an
            existing ``MMLogger`` instance (mmengine).  Otherwise records go to
            the first logger mmcv's ``get_logger`` initialised and a str logger
            is any logger of that name (``'current'`` included).
        deprecation_report: how a deprecated checkpoint name is reported: a
            ``WARNING`` log record (``"log"``) or a ``DeprecationWarning``
            (``"warn"``).
        checkpoint_load_message: the line logged before a checkpoint is read
            (``{backend}`` and ``{path}`` are filled in).
        checkpoint_default_logger: ``CheckpointLoader.load_checkpoint``'s
            default ``logger`` (``'current'``, or None: stdout).
        state_dict_per_child: ``load_state_dict`` hands each child only its own
            keys and runs the modules' load-state-dict post hooks (mmengine).
        mismatch_via_print_log: ``load_state_dict``'s mismatch report goes
            through ``print_log`` for every ``logger`` form (mmengine); otherwise
            it is printed for ``logger=None`` and sent to ``logger.warning()``
            for any other ``logger`` (mmcv 1.x).
        model_wrapper_check: ``(module, function)`` of upstream's "is this a
            model wrapper" test, which extends torch's DataParallel/DDP.
        tta_wrapper_class: ``(module, class)`` whose instances
            ``load_state_dict`` also looks through, or None.
        zoo_home_env: the variable naming the zoo home (``open_mmlab.json``).
        zoo_home_dir: the zoo home's directory under ``$XDG_CACHE_HOME`` or
            ``~/.cache`` when that variable is unset.
        torchvision_enum_names: ``torchvision://`` also takes weight-enum
            names such as ``ResNet50_Weights.IMAGENET1K_V1`` (mmcv 1.x).
    """

    name: FlavourName
    init_cfg_log_level: int
    repeat_warning: Literal["log", "warn"]
    pretrained_last: bool
    pretrained_dict_returns_early: bool
    skip_initialised_children: bool
    unwrap_model_wrappers: bool
    mean_on_cpu: bool
    is_init_settable: bool
    uniform_defaults: tuple[float, float]
    pretrained_map_location: str | None
    registry_scope: str
    build_scoped: bool
    build_prefixes_errors: bool
    upstream_initializers: tuple[str, str]
    upstream_registry_scoped: bool
    logs_to_mmlogger: bool
    deprecation_report: Literal["log", "warn"]
    checkpoint_load_message: str
    checkpoint_default_logger: str | None
    state_dict_per_child: bool
    mismatch_via_print_log: bool
    model_wrapper_check: tuple[str, str]
    tta_wrapper_class: tuple[str, str] | None
    zoo_home_env: str
    zoo_home_dir: str
    torchvision_enum_names: bool


MMENGINE = Flavour(
    name="mmengine",
    init_cfg_log_level=logging.DEBUG,
    repeat_warning="log",
    pretrained_last=True,
    pretrained_dict_returns_early=False,
    skip_initialised_children=True,
    unwrap_model_wrappers=True,
    mean_on_cpu=True,
    is_init_settable=True,
    uniform_defaults=(0, 1),
    pretrained_map_location="cpu",
    registry_scope="mmengine",
    build_scoped=True,
    build_prefixes_errors=False,
    upstream_initializers=("mmengine.registry", "WEIGHT_INITIALIZERS"),
    upstream_registry_scoped=True,
    logs_to_mmlogger=True,
    deprecation_report="log",
    checkpoint_load_message="Loads checkpoint by {backend} backend from path: {path}",
    checkpoint_default_logger="current",
    state_dict_per_child=True,
    mismatch_via_print_log=True,
    model_wrapper_check=("mmengine.model.wrappers.utils", "is_model_wrapper"),
    tta_wrapper_class=("mmengine.model", "BaseTTAModel"),
    zoo_home_env="MMENGINE_HOME",
    zoo_home_dir="mmengine",
    torchvision_enum_names=False,
)

MMCV1 = Flavour(
    name="mmcv1",
    init_cfg_log_level=logging.INFO,
    repeat_warning="warn",
    pretrained_last=False,
    pretrained_dict_returns_early=True,
    skip_initialised_children=False,
    unwrap_model_wrappers=False,
    mean_on_cpu=False,
    is_init_settable=False,
    uniform_defaults=(0.0, 1.0),
    pretrained_map_location=None,
    registry_scope="mmcv",
    build_scoped=False,
    build_prefixes_errors=True,
    upstream_initializers=("mmcv.cnn.utils.weight_init", "INITIALIZERS"),
    upstream_registry_scoped=False,
    logs_to_mmlogger=False,
    deprecation_report="warn",
    checkpoint_load_message="load checkpoint from {backend} path: {path}",
    checkpoint_default_logger=None,
    state_dict_per_child=False,
    mismatch_via_print_log=False,
    model_wrapper_check=("mmcv.parallel", "is_module_wrapper"),
    tta_wrapper_class=None,
    zoo_home_env="MMCV_HOME",
    zoo_home_dir="mmcv",
    torchvision_enum_names=True,
)
