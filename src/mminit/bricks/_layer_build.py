"""``build`` of a layer registry, as upstream's registries build: mmcv 1.x's
``build_from_cfg`` or mmengine's ``MODELS.build`` (a list of cfgs makes a ``Sequential``)."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

from .._name_table import call_prefixing_errors

if TYPE_CHECKING:  # pragma: no cover
    from ._registry import LayerRegistry

__all__ = ["build_like_mmcv1", "build_like_mmengine"]


def _merged_args(cfg: Any, default_args: Any, where: str) -> dict[str, Any]:
    """``cfg`` plus ``default_args`` where ``cfg`` lacks them, after upstream's checks."""
    if not isinstance(cfg, dict):
        raise TypeError(f"{where}: cfg must be a dict, but got {type(cfg)}")
    if "type" not in cfg and (default_args is None or "type" not in default_args):
        raise KeyError(
            f'{where}: `cfg` or `default_args` must contain the key "type", but got '
            f"{cfg}\n{default_args}"
        )
    if not (default_args is None or isinstance(default_args, dict)):
        raise TypeError(
            f"{where}: default_args must be a dict or None, but got {type(default_args)}"
        )
    args = cfg.copy()
    for name, value in (default_args or {}).items():
        args.setdefault(name, value)
    return args


def build_like_mmcv1(
    cfg: Any, registry: LayerRegistry, default_args: dict[str, Any] | None = None
) -> Any:
    """mmcv 1.x's ``build_from_cfg(cfg, registry, default_args)``: ``cfg['type']`` (a name,
    class or function) called with the rest; a constructor's error gets the class name in front."""
    args = _merged_args(cfg, default_args, f"{registry.public_name}.build")
    obj_type = args.pop("type")
    if isinstance(obj_type, str):
        obj_cls = registry.get(obj_type)
        if obj_cls is None:
            raise registry.unknown(registry.name, obj_type)
    elif inspect.isclass(obj_type) or inspect.isfunction(obj_type):
        obj_cls = obj_type
    else:
        raise TypeError(
            f"{registry.public_name}.build: type must be a str or valid type, "
            f"but got {type(obj_type)}"
        )
    return call_prefixing_errors(obj_cls, args)


def _build_one_like_mmengine(
    cfg: Any, registry: LayerRegistry, default_args: dict[str, Any] | None
) -> Any:
    args = _merged_args(cfg, default_args, f"{registry.public_name}.build")
    scope = args.pop("_scope_", None)
    obj_type = args.pop("type")
    if isinstance(obj_type, str):
        obj_cls = registry.get(obj_type, scope)
        if obj_cls is None:
            raise registry.unknown(registry.name, obj_type)
    elif inspect.isclass(obj_type) or inspect.isfunction(obj_type) or inspect.ismethod(obj_type):
        obj_cls = obj_type
    else:
        raise TypeError(
            f"{registry.public_name}.build: type must be a str or valid type, "
            f"but got {type(obj_type)}"
        )
    return obj_cls(**args)


def build_like_mmengine(
    cfg: Any, registry: LayerRegistry, default_args: dict[str, Any] | None, sequential: type
) -> Any:
    """mmengine's ``MODELS.build(cfg, default_args=...)``: a list of cfgs builds each into
    one ``sequential``; no error prefix."""
    if isinstance(cfg, list):
        return sequential(*(_build_one_like_mmengine(c, registry, default_args) for c in cfg))
    return _build_one_like_mmengine(cfg, registry, default_args)
