"""A name -> class table with upstream's ``register_module``: the one mechanism behind
the initializer registries (:mod:`mminit._init.registry`) and the layer registries
(:mod:`mminit.bricks._registry`).

A table holds built-in names and custom registrations (which win).  Subclasses
decide how a name is looked up (:meth:`NameTable.get`, e.g. falling back to
upstream's registry) and word their own errors.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

__all__ = ["NameTable", "call_prefixing_errors"]

T = TypeVar("T")


class NameTable:
    """Built-in names plus custom registrations, registered as upstream's registries do.

    Args:
        name: the table's name, shown in ``repr`` and errors.
        scope: the scope the table reports (``'mmengine'``, ``'mmcv'``).
        builtins: the built-in names.
    """

    def __init__(self, name: str, scope: str, builtins: Mapping[str, Any]) -> None:
        self._name = name
        self._scope = scope
        self._builtins: dict[str, Any] = dict(builtins)
        self._custom: dict[str, Any] = {}

    @property
    def name(self) -> str:
        return self._name

    @property
    def scope(self) -> str:
        return self._scope

    @property
    def module_dict(self) -> dict[str, Any]:
        """Every name of this table: built-ins, then custom registrations (which win)."""
        merged = dict(self._builtins)
        merged.update(self._custom)
        return merged

    def __len__(self) -> int:
        return len(self.module_dict)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def __repr__(self) -> str:
        names = ", ".join(sorted(self.module_dict))
        return f"{type(self).__name__}(name={self._name!r}, scope={self.scope!r}, items=[{names}])"

    def get(self, key: str) -> Any:
        """The class registered as ``key``, or ``None`` (a subclass adds fallbacks)."""
        return self._own(key)

    def _own(self, key: str) -> Any:
        """This table's entry for ``key`` (custom first), or ``None``."""
        if key in self._custom:
            return self._custom[key]
        return self._builtins.get(key)

    # -- the subclass's wording --------------------------------------------------------
    def _not_registrable(self, module: Any) -> TypeError:
        return TypeError(f"only a class or a function can be registered, got {type(module)!r}")

    def _already_registered(self, name: str, existing: Any) -> KeyError:
        return KeyError(
            f"{name} is already registered in {self._name}; pass force=True to replace it"
        )

    # -- registration -------------------------------------------------------------------
    def _register(self, module: Any, names: str | Iterable[str] | None, force: bool) -> None:
        if not (inspect.isclass(module) or inspect.isfunction(module)):
            raise self._not_registrable(module)
        if names is None:
            names = [module.__name__]
        elif isinstance(names, str):
            names = [names]
        for name in names:
            existing = self._custom.get(name, self._builtins.get(name))
            if existing is not None and not force:
                raise self._already_registered(name, existing)
            self._custom[name] = module

    def register_module(
        self, name: str | list[str] | None = None, force: bool = False, module: Any | None = None
    ) -> Any:
        """Register ``module`` (or, as a decorator, the decorated class) under ``name``.

        Args:
            name: a name or list of names; the class's ``__name__`` by default.
            force: replace an existing registration instead of raising ``KeyError``.
            module: register this now instead of returning a decorator.
        """
        if not isinstance(force, bool):
            raise TypeError(f"force must be a bool, got {type(force)!r}")
        if not (
            name is None
            or isinstance(name, str)
            or (isinstance(name, list) and all(isinstance(n, str) for n in name))
        ):
            raise TypeError(f"name must be None, a str or a list of str, got {type(name)!r}")
        if module is not None:
            self._register(module, name, force)
            return module

        def decorator(cls: T) -> T:
            self._register(cls, name, force)
            return cls

        return decorator


def call_prefixing_errors(obj_cls: Callable[..., Any], args: Mapping[str, Any]) -> Any:
    """``obj_cls(**args)``, an exception re-raised as mmcv 1.x's ``build_from_cfg`` does:
    the same type, its message prefixed with the class name (the original chained)."""
    try:
        return obj_cls(**args)
    except Exception as exc:
        try:
            wrapped = type(exc)(f"{getattr(obj_cls, '__name__', obj_cls)}: {exc}")
        except Exception:  # noqa: BLE001 - exception types that take other arguments
            raise exc from None
        raise wrapped from exc
