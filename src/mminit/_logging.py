"""Where mminit's log records go.

Inside an mmengine or mmcv 1.x program (the library already imported and its
logger set up) records land where upstream's would: mmengine's current
``MMLogger`` instance, or the first logger mmcv initialised.  Otherwise they go
to the stdlib logger ``mminit``.  mminit never imports mmengine or mmcv itself:
it only looks at ``sys.modules``.
"""

from __future__ import annotations

import logging
import sys

from ._flavour import Flavour

__all__ = ["LOGGER_NAME", "get_logger"]

LOGGER_NAME = "mminit"


def _mmengine_logger() -> logging.Logger | None:
    mod = sys.modules.get("mmengine.logging.logger")
    if mod is None:
        return None
    mm_logger = getattr(mod, "MMLogger", None)
    if mm_logger is None or not getattr(mm_logger, "_instance_dict", None):
        return None
    return mm_logger.get_current_instance()  # type: ignore[no-any-return]


def _mmcv_logger() -> logging.Logger | None:
    mod = sys.modules.get("mmcv.utils.logging")
    if mod is None:
        return None
    initialised = getattr(mod, "logger_initialized", None)
    if not initialised:
        return None
    return logging.getLogger(next(iter(initialised)))


def get_logger(flavour: Flavour, mmcv_name: str | None = None) -> logging.Logger:
    """Return the logger that ``flavour``'s upstream would write to now.

    ``mmcv_name``: mmcv 1.x code that asks for a logger by name
    (``get_logger('mmcv')`` in ``PretrainedInit``) rather than the first one
    initialised.
    """
    if flavour.logs_to_mmlogger:
        found = _mmengine_logger()
    elif mmcv_name is not None and "mmcv.utils.logging" in sys.modules:
        found = sys.modules["mmcv.utils.logging"].get_logger(mmcv_name)
    else:
        found = _mmcv_logger()
    return found if found is not None else logging.getLogger(LOGGER_NAME)
