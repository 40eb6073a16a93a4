"""Where checkpoint messages go, per flavour.

Both upstreams route these messages through their ``print_log``: ``None``
prints to stdout, a ``logging.Logger`` gets a record, ``'silent'`` drops the
message and ``'current'`` means the library's current logger.
"""

from __future__ import annotations

import logging
import sys
import warnings

from .._flavour import Flavour
from .._logging import get_logger

__all__ = ["LoggerLike", "deprecation", "emit", "load_message"]

LoggerLike = logging.Logger | str | None


def emit(msg: str, logger: LoggerLike, level: int = logging.INFO, *, flavour: Flavour) -> None:
    """Send ``msg`` where ``logger`` says, as the flavour's ``print_log`` does.

    Another str than ``'current'``/``'silent'`` names a logger: for mmengine an
    ``MMLogger`` instance that must exist already (else ``ValueError``, as
    upstream); for mmcv 1.x any logger (mmcv's ``get_logger`` when mmcv is
    imported, the stdlib's otherwise).
    """
    if logger is None:
        print(msg)
    elif isinstance(logger, logging.Logger):
        logger.log(level, msg)
    elif logger == "silent":
        return
    elif logger == "current" and flavour.logs_to_mmlogger:
        get_logger(flavour).log(level, msg)
    elif isinstance(logger, str):
        _named_logger(logger, flavour).log(level, msg)
    else:
        raise TypeError(
            "logger must be a logging.Logger, a logger name, 'current', 'silent' or None, "
            f"got {type(logger).__name__}: {logger!r}"
        )


def _named_logger(name: str, flavour: Flavour) -> logging.Logger:
    if flavour.logs_to_mmlogger:
        mod = sys.modules.get("mmengine.logging.logger")
        mm_logger = getattr(mod, "MMLogger", None)
        if mm_logger is not None and mm_logger.check_instance_created(name):
            return mm_logger.get_instance(name)  # type: ignore[no-any-return]
        raise ValueError(
            f"MMLogger: {name} has not been created! (logger={name!r}: a str logger names an "
            "existing mmengine MMLogger instance; pass a logging.Logger, 'current', 'silent' "
            "or None instead)"
        )
    mmcv_logging = sys.modules.get("mmcv.utils.logging")
    if mmcv_logging is not None:
        return mmcv_logging.get_logger(name)  # type: ignore[no-any-return]
    return logging.getLogger(name)


def load_message(flavour: Flavour, backend: str, path: str) -> str:
    """The ``Loads checkpoint by ...`` / ``load checkpoint from ...`` line.

    ``backend`` is the name of upstream's loader function without its
    ``load_from_`` part.
    """
    return flavour.checkpoint_load_message.format(backend=backend, path=path)


def deprecation(msg: str, *, flavour: Flavour) -> None:
    """Report a deprecated source name.

    mmengine logs a WARNING on its current logger; mmcv 1.x raises a
    ``DeprecationWarning`` through :mod:`warnings`.
    """
    if flavour.deprecation_report == "log":
        get_logger(flavour).warning(msg)
    else:
        warnings.warn(msg, DeprecationWarning, stacklevel=3)
