"""mkdocs hooks for the docs site (``hooks:`` in mkdocs.yml).

Most public classes of ``mminit`` and ``mminit.mmcv1`` are made per flavour by a factory
(``BaseModule``, ``ConvModule``, ``CheckpointLoader`` ...), so their methods carry the
factory's module and, some, its ``<locals>`` qualified name, which mkdocstrings
(griffe, inspecting the live objects) cannot follow back to the class.  Before the pages are rendered, give each such
method the qualified name it has as a member of its public class.  This changes names
only, in the docs build's own process; nothing is written.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

__all__ = ["on_config"]


def _own_functions(cls: type) -> list[tuple[str, Any]]:
    found = []
    for name, value in vars(cls).items():
        func = value.__func__ if isinstance(value, classmethod | staticmethod) else value
        if isinstance(value, property):
            func = value.fget
        if inspect.isfunction(func):
            found.append((name, func))
    return found


def _resolvable(func: Any) -> bool:
    """Whether ``func.__module__`` + ``func.__qualname__`` lead back to ``func``."""
    try:
        target: Any = importlib.import_module(func.__module__)
        for part in func.__qualname__.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError):
        return False
    return getattr(target, "__func__", target) is func


def name_factory_methods() -> int:
    """Rename the ``<locals>`` methods of every public class; return how many."""
    from mminit._names import public_names

    renamed = 0
    for flavour in ("mminit", "mminit.mmcv1"):
        module = importlib.import_module(flavour)
        for public in public_names(flavour):  # type: ignore[arg-type]
            cls = getattr(module, public)
            if not isinstance(cls, type) or "<locals>" in (cls.__qualname__ or ""):
                continue
            for name, func in _own_functions(cls):
                if not _resolvable(func):
                    func.__qualname__ = f"{cls.__qualname__}.{name}"
                    func.__module__ = cls.__module__
                    renamed += 1
    return renamed


def on_config(config: Any) -> Any:
    name_factory_methods()
    return config
