"""The few pickle globals mminit lets a ``weights_only`` load construct.

Training checkpoints written by mmengine's Runner carry numpy scalars and
arrays in ``meta`` and a ``message_hub`` whose ``HistoryBuffer`` objects
pickle their statistics methods as ``getattr(HistoryBuffer, 'min')``.  None of
that needs arbitrary code: the names below are resolved only when a checkpoint
asks for them (so mmengine is imported only for a checkpoint that mentions it),
and ``getattr`` is replaced by a version that can only fetch plain methods of
the allow-listed classes.
"""

from __future__ import annotations

import importlib
import inspect
import pickle
import re
import sys
import warnings
from collections.abc import Callable
from typing import Any

__all__ = ["ALLOWED_NAMES", "resolve"]

_GETATTR_TARGETS = ("mmengine.logging.history_buffer.HistoryBuffer",)

ALLOWED_NAMES: frozenset[str] = frozenset(
    {
        "numpy.dtype",
        "numpy.ndarray",
        "numpy.core.multiarray.scalar",
        "numpy._core.multiarray.scalar",
        "numpy.core.multiarray._reconstruct",
        "numpy._core.multiarray._reconstruct",
        "builtins.getattr",
        *_GETATTR_TARGETS,
    }
)
_NUMPY_DTYPE_CLASS = re.compile(r"numpy\.dtypes\.\w+DType")


def _import(dotted: str) -> Any:
    module, _, name = dotted.rpartition(".")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # numpy.core under numpy 2
        return getattr(importlib.import_module(module), name)


def _restricted_getattr(obj: Any, name: str) -> Any:
    """``getattr`` limited to public plain methods of allow-listed classes."""
    # A checkpoint that pickles one of these classes names it, so resolve()
    # has imported its module already; nothing is imported from here.
    targets = []
    for dotted in _GETATTR_TARGETS:
        module, _, cls_name = dotted.rpartition(".")
        found = getattr(sys.modules.get(module), cls_name, None)
        if found is not None:
            targets.append(found)
    if (
        any(obj is target for target in targets)
        and not name.startswith("_")
        and inspect.isfunction(vars(obj).get(name))
    ):
        return getattr(obj, name)
    raise pickle.UnpicklingError(
        f"checkpoint asked for getattr({obj!r}, {name!r}); mminit's weights_only loader "
        "only allows getattr on the plain methods of " + ", ".join(_GETATTR_TARGETS)
    )


def _numpy_dtype_classes() -> list[tuple[Callable[..., Any], str]]:
    """numpy >= 1.25 builds each dtype as an instance of its own ``*DType``
    class; torch checks the class of every object it builds (BUILD opcode), so these are
    needed whenever a checkpoint holds numpy values, named or not."""
    try:
        from numpy import dtypes
    except ImportError:
        return []
    return [
        (cls, f"numpy.dtypes.{name}")
        for name, cls in vars(dtypes).items()
        if isinstance(cls, type) and name.endswith("DType")
    ]


def allowed(name: str) -> bool:
    """Whether ``name`` (``module.qualname``) is on the allow-list."""
    return name in ALLOWED_NAMES or _NUMPY_DTYPE_CLASS.fullmatch(name) is not None


def resolve(names: list[str]) -> list[tuple[Callable[..., Any], str]]:
    """``(object, name)`` pairs for :func:`torch.serialization.safe_globals`.

    Names that are not allowed, or whose module cannot be imported here, are
    skipped; torch then refuses them by name.
    """
    pairs: list[tuple[Callable[..., Any], str]] = []
    if any(name.startswith("numpy.") for name in names):
        pairs.extend(_numpy_dtype_classes())
    for name in names:
        if not allowed(name):
            continue
        if name == "builtins.getattr":
            pairs.append((_restricted_getattr, name))
            continue
        try:
            pairs.append((_import(name), name))
        except (ImportError, AttributeError):
            continue
    return pairs
