"""Library namespaces compared by the differential suite, and log capture.

A *lib* is a :class:`types.SimpleNamespace` exposing the names the builder
uses (``BaseModule``, containers, ``*_init`` helpers, ``initialize``, and
``trunc_normal_`` for the benchmarks' models) plus
``name`` (``"mmengine"``, ``"mmcv1"``, ``"mminit"``, ``"mminit.mmcv1"``) and
``flavour`` (``"mmengine"`` or ``"mmcv1"``: which upstream it behaves as).

Where the records go: mmengine logs to ``MMLogger.get_current_instance()``;
mmcv 1.x to the first logger its ``get_logger`` initialised (``BaseModule``)
and to ``get_logger('mmcv')`` (``PretrainedInit``); mminit writes to the same
place when the upstream is imported (``mminit._logging``).  :class:`LogCapture`
attaches one handler to all of them, at DEBUG, with their own handlers muted.
"""

from __future__ import annotations

import importlib
import logging
import os
import re
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = [
    "HELPERS",
    "INSTALL_HINT",
    "MMINIT_OF",
    "UPSTREAM_OF",
    "LogCapture",
    "Records",
    "environment_flavour",
    "load_lib",
    "missing_upstream",
    "recording",
    "requested_flavours",
    "skip_unless_ci",
    "upstream_available",
]

HELPERS = (
    "constant_init",
    "xavier_init",
    "normal_init",
    "trunc_normal_init",
    "uniform_init",
    "kaiming_init",
    "caffe2_xavier_init",
    "bias_init_with_prob",
    "initialize",
)
_MODULE_NAMES = ("BaseModule", "Sequential", "ModuleList", "ModuleDict")
UPSTREAM_OF = {"mmengine": "mmengine", "mmcv1": "mmcv1"}
MMINIT_OF = {"mmengine": "mminit", "mmcv1": "mminit.mmcv1"}
_FLAVOUR = {"mmengine": "mmengine", "mmcv1": "mmcv1", "mminit": "mmengine", "mminit.mmcv1": "mmcv1"}
#: where each lib's ``trunc_normal_`` lives (``mmengine.model`` and ``mmcv.cnn`` do not export it)
_TRUNC_NORMAL = {
    "mmengine": "mmengine.model.weight_init",
    "mmcv1": "mmcv.cnn.utils.weight_init",
    "mminit": "mminit",
    "mminit.mmcv1": "mminit.mmcv1",
}
#: what to install when a flavour's upstream is missing: everything its compat tests compare with
#: (the core upstream, the mmcv its bricks need, the packages of its real models)
INSTALL_HINT = {
    "mmengine": "pip install mmengine==0.10.7 mmcv-lite==2.2.0 mmpretrain==1.2.0, then "
    "--no-deps mmdet==3.3.0 mmsegmentation==1.2.2 with their mmcv gate widened "
    "(tools/setup_envs.sh builds .venv with them)",
    "mmcv1": "MMCV_WITH_OPS=0 pip install --no-build-isolation mmcv==1.7.2 torchvision, then "
    "mmcls==0.25.0 mmdet==2.28.2 mmsegmentation==0.30.0 (tools/setup_envs.sh builds "
    ".venv-mmcv with them)",
}

# mmengine's registry logs these DEBUG lines whenever it builds an initializer;
# they describe the registry, not initialisation, and mminit does not emit them.
REGISTRY_CHATTER = re.compile(
    r"^(Get class `.*` from .* registry in|An `.*` instance is built from registry"
    r"|An instance is built from registry|Modules of .* registry have been automatically"
    r"|The \".*\" registry in .* did not set import location)"
)


def environment_flavour() -> str:
    """The flavour this environment is for: ``"mmcv1"`` where mmcv 1.x is installed
    (``.venv-mmcv``), else ``"mmengine"`` (``.venv``: mmengine with mmcv-lite 2.x).

    Read from the installed distributions' metadata: nothing is imported.
    """
    from importlib import metadata

    for dist in ("mmcv", "mmcv-full"):
        try:
            version = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
        if version.split(".")[0] == "1":
            return "mmcv1"
    return "mmengine"


def requested_flavours() -> list[str]:
    """Flavours to test: ``MMINIT_COMPAT_FLAVOURS`` (comma list) when set, else
    :func:`environment_flavour` (the root ``conftest.py`` sets the variable to it for a
    pytest run, so subprocesses see the same).  A requested flavour whose upstream is
    missing is not dropped: its tests report it (:func:`missing_upstream`)."""
    env = os.environ.get("MMINIT_COMPAT_FLAVOURS")
    if env:
        return [name.strip() for name in env.split(",") if name.strip()]
    return [environment_flavour()]


def skip_unless_ci(message: str, why_fatal: str) -> None:
    """Skip the test; under ``CI=true`` fail it instead (CI must run everything)."""
    import pytest

    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message} [CI=true: {why_fatal}]")
    pytest.skip(message)


def missing_upstream(message: str) -> None:
    """Skip the test because an upstream is missing; under ``CI=true`` fail it instead."""
    skip_unless_ci(message, "a missing upstream is an error")


def _sources(name: str) -> tuple[Any, Any]:
    if name == "mmengine":
        mod = importlib.import_module("mmengine.model")
        return mod, mod
    if name == "mmcv1":
        return importlib.import_module("mmcv.runner"), importlib.import_module("mmcv.cnn")
    mod = importlib.import_module(name)
    return mod, mod


def load_lib(name: str) -> types.SimpleNamespace:
    """Import library ``name`` (see module docstring) and return its namespace."""
    modules, helpers = _sources(name)
    ns = types.SimpleNamespace(name=name, flavour=_FLAVOUR[name])
    for attr in _MODULE_NAMES:
        setattr(ns, attr, getattr(modules, attr))
    for attr in HELPERS:
        setattr(ns, attr, getattr(helpers, attr))
    ns.trunc_normal_ = importlib.import_module(_TRUNC_NORMAL[name]).trunc_normal_
    return ns


def upstream_available(flavour: str) -> str | None:
    """Return ``None`` when ``flavour``'s upstream imports, else the reason."""
    try:
        _sources(UPSTREAM_OF[flavour])
    except Exception as exc:  # noqa: BLE001 - ImportError, or a broken install
        return f"{type(exc).__name__}: {exc}"
    return None


class Records(logging.Handler):
    """Collect ``(levelname, message)`` of every record, DEBUG and up, that ``keep`` accepts."""

    def __init__(self, keep: Callable[[str], bool] | None = None) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[tuple[str, str]] = []
        self._keep = keep

    def emit(self, record: logging.LogRecord) -> None:
        msg = record.getMessage()
        if self._keep is None or self._keep(msg):
            self.records.append((record.levelname, msg))


@contextmanager
def recording(logger: logging.Logger) -> Iterator[list[tuple[str, str]]]:
    """``(levelname, message)`` of the records ``logger`` handles inside the block.

    Only a handler is added: the logger's level and its other handlers stay as
    they are (:class:`LogCapture` also mutes those).
    """
    handler = Records()
    logger.addHandler(handler)
    try:
        yield handler.records
    finally:
        logger.removeHandler(handler)


def _not_registry_chatter(msg: str) -> bool:
    return not REGISTRY_CHATTER.match(msg)


def _target_loggers() -> list[logging.Logger]:
    import sys

    targets: list[logging.Logger] = [logging.getLogger("mminit")]
    if "mmengine" in sys.modules:
        from mmengine.logging import MMLogger

        if not MMLogger.check_instance_created("mminit_compat"):
            quiet = MMLogger.get_instance("mminit_compat", logger_name="mminit_compat")
            quiet.handlers.clear()
        targets.append(MMLogger.get_current_instance())
    if "mmcv.utils.logging" in sys.modules:  # mmcv 1.x (mmcv 2.x logs through mmengine)
        from mmcv.utils import get_logger
        from mmcv.utils.logging import logger_initialized

        get_logger("mmcv")
        targets.extend(logging.getLogger(name) for name in logger_initialized)
    unique: dict[int, logging.Logger] = {id(t): t for t in targets}
    return list(unique.values())


class LogCapture:
    """Collect ``(levelname, message)`` of every record sent to the loggers."""

    def __init__(self, level: int = logging.DEBUG) -> None:
        self.handler = Records(keep=_not_registry_chatter)
        #: the level the loggers are set to while capturing (above INFO: the init-info
        #: dump reaches nobody, so mminit takes no means)
        self.level = level

    @property
    def records(self) -> list[tuple[str, str]]:
        return self.handler.records

    @contextmanager
    def capture(self) -> Iterator[list[tuple[str, str]]]:
        self.handler.records = []
        saved: list[tuple[logging.Logger, int, bool, list[tuple[logging.Handler, int]]]] = []
        for logger in _target_loggers():
            muted = [(h, h.level) for h in logger.handlers]
            saved.append((logger, logger.level, logger.propagate, muted))
            for h, _ in muted:
                h.setLevel(logging.CRITICAL + 10)
            logger.propagate = False
            logger.setLevel(self.level)
            logger.addHandler(self.handler)
        try:
            yield self.handler.records
        finally:
            for logger, level, propagate, muted in saved:
                logger.removeHandler(self.handler)
                logger.setLevel(level)
                logger.propagate = propagate
                for h, lvl in muted:
                    h.setLevel(lvl)
