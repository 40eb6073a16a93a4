"""The initializer registry (``WEIGHT_INITIALIZERS`` / ``INITIALIZERS``).

Each flavour has its own :class:`Registry` holding that flavour's built-in
initializers and its own custom registrations (duplicates are checked per
registry, as upstream's two registries do).  A name missing from one flavour's
registry is looked up in the other's custom registrations, so an initializer
registered through either flavour is found by both.

When a type is in neither table and the upstream library is already imported
(a half-migrated repository), the lookup falls through to upstream's registry
(mmengine's ``WEIGHT_INITIALIZERS`` under the current default scope, or mmcv's
``INITIALIZERS``).  mminit never imports upstream itself.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Mapping
from typing import Any

from .._flavour import Flavour
from .._name_table import NameTable, call_prefixing_errors

__all__ = ["Registry", "build_from_cfg"]

_REGISTRIES: list[Registry] = []


def _upstream_lookup(flavour: Flavour, key: str) -> Any:
    module_name, attr = flavour.upstream_initializers
    mod = sys.modules.get(module_name)
    if mod is None:
        return None
    upstream = getattr(mod, attr)
    if not flavour.upstream_registry_scoped:
        return upstream.get(key)
    try:
        with upstream.switch_scope_and_registry(None) as scoped:
            found = scoped.get(key)
    except Exception:  # noqa: BLE001 - a broken scope must not hide our own error
        found = upstream.get(key)
    return found


class Registry(NameTable):
    """A name → initializer table.

    Args:
        name: the registry's name, shown in errors.
        flavour: the upstream whose conventions errors follow.
        builtins: the flavour's built-in initializers.

    Examples:
        >>> from mminit import WEIGHT_INITIALIZERS
        >>> @WEIGHT_INITIALIZERS.register_module()
        ... class MyInit: ...
    """

    def __init__(
        self, name: str, flavour: Flavour, builtins: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(name, flavour.registry_scope, builtins or {})
        self._flavour = flavour
        _REGISTRIES.append(self)

    def _split_scope(self, key: str) -> str:
        scope, dot, rest = key.partition(".")
        return rest if dot and scope == self.scope else key

    def get(self, key: str) -> Any:
        """Return the initializer registered as ``key``, or ``None``."""
        if not isinstance(key, str):
            raise TypeError(f"registry key must be a str, got {type(key)!r}")
        key = self._split_scope(key)
        found = self._own(key)
        if found is not None:
            return found
        for sibling in _REGISTRIES:
            if key in sibling._custom:
                return sibling._custom[key]
        return _upstream_lookup(self._flavour, key)

    def _already_registered(self, name: str, existing: Any) -> KeyError:
        return KeyError(
            f"{name} is already registered in {self._name} "
            f"(by {getattr(existing, '__module__', '?')}); pass force=True to replace it"
        )

    def build(self, cfg: Mapping[str, Any], default_args: Mapping[str, Any] | None = None) -> Any:
        """Build an initializer from ``cfg``; see :func:`build_from_cfg`."""
        return build_from_cfg(cfg, self, default_args)

    def _unknown(self, obj_type: str) -> KeyError:
        known = ", ".join(sorted(self.module_dict))
        return KeyError(
            f"{obj_type} is not in the {self.scope}::{self._name} registry; "
            f"registered types are: {known}"
        )


def build_from_cfg(
    cfg: Mapping[str, Any], registry: Registry, default_args: Mapping[str, Any] | None = None
) -> Any:
    """Instantiate ``cfg['type']`` from ``registry`` with the rest of ``cfg`` as arguments.

    Args:
        cfg: a dict with a ``type`` key: a registered name or a class/function.
        registry: the registry to look names up in: an initializer registry, or a
            layer registry (``CONV_LAYERS``, ``LAYERS`` ...), which builds as
            upstream's ``build_from_cfg`` does over the same registry.
        default_args: arguments used where ``cfg`` lacks them.

    Examples:
        >>> from mminit import WEIGHT_INITIALIZERS, build_from_cfg
        >>> init = build_from_cfg(dict(type="Constant", val=1), WEIGHT_INITIALIZERS)
    """
    if not isinstance(cfg, dict):
        raise TypeError(f"cfg must be a dict, got {type(cfg)!r}")
    if "type" not in cfg and (default_args is None or "type" not in default_args):
        raise KeyError(
            f'cfg or default_args must contain the key "type", got {cfg} and {default_args}'
        )
    if not isinstance(registry, Registry):
        from ..bricks._registry import LayerRegistry

        if isinstance(registry, LayerRegistry):  # CONV_LAYERS & co. after `migrate --bricks`
            return registry.build(cfg, default_args)
        raise TypeError(f"registry must be an mminit Registry, got {type(registry)!r}")
    if not (default_args is None or isinstance(default_args, dict)):
        raise TypeError(f"default_args must be a dict or None, got {type(default_args)!r}")
    args = dict(cfg)
    for key, value in (default_args or {}).items():
        args.setdefault(key, value)
    flavour = registry._flavour
    if flavour.build_scoped:
        args.pop("_scope_", None)
    obj_type = args.pop("type")
    obj_cls: Callable[..., Any]
    if isinstance(obj_type, str):
        obj_cls = registry.get(obj_type)
        if obj_cls is None:
            raise registry._unknown(obj_type)
    elif (
        callable(obj_type)
        if flavour.build_scoped
        else inspect.isclass(obj_type) or inspect.isfunction(obj_type)
    ):
        obj_cls = obj_type
    else:
        raise TypeError(f"type must be a str or a class, got {type(obj_type)!r}")
    if not flavour.build_prefixes_errors:
        return obj_cls(**args)
    return call_prefixing_errors(obj_cls, args)
