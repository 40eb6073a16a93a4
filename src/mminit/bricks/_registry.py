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
import sys
from collections.abc import Mapping
from typing import Any

from .._name_table import NameTable
from ._errors import LayerTypeNotAName
from ._flavour import BricksFlavour
from ._layer_build import build_like_mmcv1, build_like_mmengine

__all__ = ["LayerRegistry"]

_MMCV1_REGISTRY_ATTR = {
    "conv layer": "CONV_LAYERS",
    "norm layer": "NORM_LAYERS",
    "activation layer": "ACTIVATION_LAYERS",
    "upsample layer": "UPSAMPLE_LAYERS",
    "padding layer": "PADDING_LAYERS",
    "plugin layer": "PLUGIN_LAYERS",
    "dropout layer": "DROPOUT_LAYERS",
}


def _mmengine_models() -> Any:
    mod = sys.modules.get("mmengine.registry")
    return None if mod is None else getattr(mod, "MODELS", None)


class LayerRegistry(NameTable):
    """A name -> layer class table with ``register_module`` as upstream's registries have.

    Args:
        name: the registry's name (``'conv layer'``, ... or ``'layer'``), shown in errors.
        flavour: the bricks flavour whose lookup rules apply.
        builtins: the built-in names.
        public_name: the name the registry is exposed under (``'CONV_LAYERS'``), for errors.
        sequential: the flavour's ``Sequential``; mmcv 2.x's ``build`` makes a list of
            cfgs into one (default ``torch.nn.Sequential``).

    Examples:
        >>> from mminit.mmcv1 import CONV_LAYERS
        >>> @CONV_LAYERS.register_module()
        ... class MyConv(nn.Conv2d): ...
    """

    def __init__(
        self,
        name: str,
        flavour: BricksFlavour,
        builtins: Mapping[str, Any],
        public_name: str,
        sequential: type | None = None,
    ) -> None:
        super().__init__(name, flavour.registry_scope, builtins)
        self._flavour = flavour
        self._public_name = public_name
        self._sequential = sequential

    @property
    def public_name(self) -> str:
        """The name the registry is exposed under (``'CONV_LAYERS'``, ``'LAYERS'``)."""
        return self._public_name

    def build(self, cfg: Any, default_args: dict[str, Any] | None = None) -> Any:
        """Build ``cfg['type']`` from this registry with the rest of ``cfg`` (and
        ``default_args`` where ``cfg`` lacks them), as upstream's ``Registry.build`` does:
        mmcv 1.x's ``build_from_cfg`` (a constructor's error gets the class name in
        front), or mmengine's ``MODELS.build`` (a list of cfgs makes a ``Sequential``).

        Examples:
            >>> from mminit.mmcv1 import DROPOUT_LAYERS
            >>> DROPOUT_LAYERS.build(dict(type="DropPath", drop_prob=0.2))
        """
        if self._flavour.activation_builder == "mmengine":
            from torch import nn

            return build_like_mmengine(cfg, self, default_args, self._sequential or nn.Sequential)
        return build_like_mmcv1(cfg, self, default_args)

    # -- lookup ---------------------------------------------------------------------
    def _own(self, key: str) -> Any:
        scope, dot, rest = key.partition(".")
        if dot and scope in (self.scope, "mminit"):
            key = rest
        return super()._own(key)

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
                + f", got {key!r} of type {type(key).__name__}"
            )
        if self._flavour.upstream == "mmengine_models":
            found = self._upstream(key, scope)
            return found if found is not None else self._own(key)
        found = self._own(key)
        return found if found is not None else self._upstream(key, scope)

    def unknown(self, kind: str, key: Any) -> KeyError:
        """The ``KeyError`` for a name nobody registered: registry, name, known names."""
        known = sorted(self.module_dict)
        by_lower = {name.lower(): name for name in known}
        close = [
            by_lower[m]
            for m in difflib.get_close_matches(str(key).lower(), list(by_lower), n=3, cutoff=0.6)
        ]
        where = f"{self._public_name} ({self._name} registry)"
        if self._flavour.upstream == "mmengine_models" and _mmengine_models() is not None:
            where += " nor in mmengine's MODELS under the current default scope"
        return KeyError(
            f"unknown {kind} type {key!r}: not in {where}; known types: {', '.join(known)}"
            + (f"; close matches: {', '.join(close)}" if close else "")
        )

    # -- registration wording -----------------------------------------------------------
    def _not_registrable(self, module: Any) -> TypeError:
        return TypeError(
            f"{self._public_name}.register_module: module must be a class or a "
            f"function, got {type(module)!r}"
        )

    def _already_registered(self, name: str, existing: Any) -> KeyError:
        return KeyError(
            f"{name} is already registered in {self._public_name} "
            f"(as {existing.__module__}.{existing.__qualname__}); "
            "pass force=True to replace it"
        )
