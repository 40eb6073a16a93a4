"""The points where mmengine 0.10.7 and mmcv 1.7.2 differ, as data.

One implementation serves both upstreams; every behavioural fork reads one
field of a :class:`Flavour`.  See ``shared/UPSTREAM.md`` for the observations
behind each field.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal, Optional

FlavourName = Literal["mmengine", "mmcv1"]

__all__ = ["Flavour", "MMENGINE", "MMCV1", "FlavourName"]


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
    pretrained_map_location: Optional[str]
    registry_scope: str
    build_scoped: bool
    build_prefixes_errors: bool


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
)
