"""Layer registries: mminit's tables, plus upstream's when upstream is already imported.

mmcv 1.x flavour: five registries (``CONV_LAYERS``, ``NORM_LAYERS``, ...); a
name missing from mminit's registry is looked up in mmcv 1.x's registry of the
same kind when ``mmcv.cnn`` is imported (a DCN conv registered by
``mmcv.ops`` still builds).

mmcv 2.x flavour: one table (``LAYERS``), as mmcv 2.x keeps every layer in
mmengine's ``MODELS``.  When mmengine is already imported, names resolve
through ``MODELS`` under the current default scope *first*, exactly as mmcv
2.2.0 does; mminit's table answers what ``MODELS`` does not know (mmengine
without mmcv, or no mmengine at all).  mminit never imports upstream itself.
"""

from __future__ import annotations

import difflib
import inspect
import sys
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from ._errors import LayerTypeNotAName
from ._flavour import BricksFlavour

__all__ = ["LayerRegistry"]

T = TypeVar("T")

_MMCV1_REGISTRY_ATTR = {
    "conv layer": "CONV_LAYERS", "norm layer": "NORM_LAYERS",
    "activation layer": "ACTIVATION_LAYERS", "upsample layer": "UPSAMPLE_LAYERS",
    "padding layer": "PADDING_LAYERS",
}


def _mmengine_models() -> Any:
    mod = sys.modules.get("mmengine.registry")
    return None if mod is None else getattr(mod, "MODELS", None)


class LayerRegistry:
    """A name -> layer class table with ``register_module`` as upstream's registries have.

    Args:
        name: the registry's name (``'conv layer'``, ... or ``'layer'``), shown in errors.
        flavour: the bricks flavour whose lookup rules apply.
        builtins: the built-in names.
        public_name: the name the registry is exposed under (``'CONV_LAYERS'``), for errors.

    Examples:
        >>> from mminit.mmcv1 import CONV_LAYERS
        >>> @CONV_LAYERS.register_module()
        ... class MyConv(nn.Conv2d): ...
    """

    def __init__(self, name: str, flavour: BricksFlavour, builtins: Mapping[str, Any],
                 public_name: str) -> None:
        self._name = name
        self._flavour = flavour
        self._builtins = dict(builtins)
        self._custom: dict[str, Any] = {}
        self._public_name = public_name

    @property
    def name(self) -> str:
        return self._name

    @property
    def scope(self) -> str:
        return self._flavour.registry_scope

    @property
    def module_dict(self) -> dict[str, Any]:
        """mminit's names: built-ins, then custom registrations (which win)."""
        merged = dict(self._builtins)
        merged.update(self._custom)
        return merged

    def __len__(self) -> int:
        return len(self.module_dict)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def __repr__(self) -> str:
        return (f"LayerRegistry(name={self._name!r}, scope={self.scope!r}, "
                f"items=[{', '.join(sorted(self.module_dict))}])")

    # -- lookup ---------------------------------------------------------------------
    def _own(self, key: str) -> Any:
        scope, dot, rest = key.partition(".")
        if dot and scope in (self.scope, "mminit"):
            key = rest
        if key in self._custom:
            return self._custom[key]
        return self._builtins.get(key)

    def _upstream(self, key: str, scope: str | None) -> Any:
        if self._flavour.upstream == "mmengine_models":
            models = _mmengine_models()
            if models is None:
                return None
            try:
                with models.switch_scope_and_registry(scope) as scoped:
                    return scoped.get(key)
            except Exception:  # noqa: BLE001 - a broken default scope must not hide our own table
                return models.get(key)
        mod = sys.modules.get("mmcv.cnn.bricks.registry")
        upstream = getattr(mod, _MMCV1_REGISTRY_ATTR.get(self._name, ""), None) if mod else None
        return None if upstream is None else upstream.get(key)

    def get(self, key: str, scope: str | None = None) -> Any:
        """Return the class registered as ``key``, or ``None``.

        Raises:
            LayerTypeNotAName: ``key`` is not a str (upstream fails with ``AttributeError``).
        """
        if not isinstance(key, str):
            raise LayerTypeNotAName(
                f"{self._public_name}: a layer type must be a registered name (str)"
                + (" or a class" if self._flavour.class_as_type else "")
                + f", got {key!r} of type {type(key).__name__}")
        if self._flavour.upstream == "mmengine_models":
            found = self._upstream(key, scope)
            return found if found is not None else self._own(key)
        found = self._own(key)
        return found if found is not None else self._upstream(key, scope)

    def unknown(self, kind: str, key: Any) -> KeyError:
        """The ``KeyError`` for a name nobody registered: registry, name, known names."""
        known = sorted(self.module_dict)
        by_lower = {name.lower(): name for name in known}
        close = [by_lower[m] for m in difflib.get_close_matches(str(key).lower(), list(by_lower), n=3, cutoff=0.6)]
        where = f"{self._public_name} ({self._name} registry)"
        if self._flavour.upstream == "mmengine_models" and _mmengine_models() is not None:
            where += " nor in mmengine's MODELS under the current default scope"
        return KeyError(
            f"unknown {kind} type {key!r}: not in {where}; known types: {', '.join(known)}"
            + (f"; close matches: {', '.join(close)}" if close else "")
        )

    # -- registration -----------------------------------------------------------------
    def _register(self, module: Any, names: str | Iterable[str] | None, force: bool) -> None:
        if not inspect.isclass(module) and not inspect.isfunction(module):
            raise TypeError(f"{self._public_name}.register_module: module must be a class or a "
                            f"function, got {type(module)!r}")
        if names is None:
            names = [module.__name__]
        elif isinstance(names, str):
            names = [names]
        for name in names:
            existing = self._custom.get(name, self._builtins.get(name))
            if existing is not None and not force:
                raise KeyError(f"{name} is already registered in {self._public_name} "
                               f"(as {existing.__module__}.{existing.__qualname__}); "
                               "pass force=True to replace it")
            self._custom[name] = module

    def register_module(self, name: str | list[str] | None = None, force: bool = False,
                        module: Any | None = None) -> Any:
        """Register ``module`` (or, as a decorator, the decorated class) under ``name``.

        Args:
            name: a name or list of names; the class's ``__name__`` by default.
            force: replace an existing registration instead of raising ``KeyError``.
            module: register this now instead of returning a decorator.
        """
        if not isinstance(force, bool):
            raise TypeError(f"force must be a bool, got {type(force)!r}")
        if not (name is None or isinstance(name, str)
                or (isinstance(name, list) and all(isinstance(n, str) for n in name))):
            raise TypeError(f"name must be None, a str or a list of str, got {type(name)!r}")
        if module is not None:
            self._register(module, name, force)
            return module

        def decorator(cls: T) -> T:
            self._register(cls, name, force)
            return cls

        return decorator


