"""mminit: OpenMMLab's weight-initialization system, standalone.

``import mminit`` behaves as mmengine 0.10.7 (``mmengine.model`` and
``mmengine.registry.WEIGHT_INITIALIZERS``); ``import mminit.mmcv1`` behaves as
mmcv 1.7.2.  Same seed in, same weights, init-info strings, log records,
warnings and exception types out.

The public names are loaded on first use (PEP 562): ``import mminit`` alone
imports neither torch nor anything else heavy, so the ``mminit`` command line
starts fast.  ``mminit._names`` is the table of both flavours' public names;
``mminit._public`` binds this flavour's objects.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from mminit._names import public_names as _public_names

__version__ = "0.1.0"

__all__ = list(_public_names("mminit"))

if TYPE_CHECKING:  # pragma: no cover - static view for type checkers and IDEs
    from mminit._public import *


def __getattr__(name: str) -> Any:
    if name in __all__:
        public = importlib.import_module("mminit._public")
        values = {n: getattr(public, n) for n in __all__}
        globals().update(values)
        return values[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
