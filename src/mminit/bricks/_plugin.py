"""``build_plugin_layer`` and ``build_dropout``, made once per flavour.

mmcv 1.x looks plugin types up in ``PLUGIN_LAYERS`` and dropout types in
``DROPOUT_LAYERS`` (with ``build_from_cfg``); mmcv 2.x in the one ``MODELS``
table (mminit's ``LAYERS``), where ``type`` may also be a class.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

from torch import nn

from ._errors import InvalidBrickArg
from ._flavour import BricksFlavour
from ._registry import LayerRegistry

__all__ = ["make_plugin_builders", "plugin_abbr"]


def plugin_abbr(class_type: Any) -> str:
    """The name stem of a plugin layer: ``_abbr_``, else the class name in snake case
    (``FancyBlock`` -> ``fancy_block``)."""
    if not inspect.isclass(class_type):
        raise TypeError(f"class_type must be a type, but got {type(class_type)}")
    if hasattr(class_type, "_abbr_"):
        return class_type._abbr_  # type: ignore[no-any-return]
    word = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", class_type.__name__)
    word = re.sub(r"([a-z\d])([A-Z])", r"\1_\2", word)
    return word.replace("-", "_").lower()


class _PluginBuilders:
    def __init__(
        self, flavour: BricksFlavour, plugins: LayerRegistry, dropouts: LayerRegistry
    ) -> None:
        self._flavour = flavour
        self._plugins = plugins
        self._dropouts = dropouts

    def plugin(self, cfg: Any, postfix: Any, kwargs: dict[str, Any]) -> tuple[str, nn.Module]:
        if not isinstance(cfg, dict):
            raise TypeError(
                f"build_plugin_layer: cfg must be a dict with a 'type' key, but got "
                f"{type(cfg)}: {cfg!r}"
            )
        if "type" not in cfg:
            raise KeyError(
                f'build_plugin_layer: the cfg dict must contain the key "type", but got {cfg}'
            )
        args = cfg.copy()
        layer_type = args.pop("type")
        plugin_cls: Any
        if self._flavour.class_as_type and inspect.isclass(layer_type):
            plugin_cls = layer_type
        else:
            plugin_cls = self._plugins.get(layer_type)
            if plugin_cls is None:
                raise self._plugins.unknown("plugin layer", layer_type)
        abbr = plugin_abbr(plugin_cls)
        if not isinstance(postfix, (int, str)):
            raise InvalidBrickArg(
                f"build_plugin_layer: postfix must be an int or a str, "
                f"got {postfix!r} of type {type(postfix).__name__}"
            )
        layer: nn.Module = plugin_cls(**kwargs, **args)
        return abbr + str(postfix), layer

    def dropout(self, cfg: Any, default_args: dict[str, Any] | None) -> Any:
        return self._dropouts.build(cfg, default_args)


def make_plugin_builders(
    flavour: BricksFlavour, plugins: LayerRegistry, dropouts: LayerRegistry, module_name: str
) -> tuple[Callable[..., tuple[str, nn.Module]], Callable[..., Any]]:
    """``build_plugin_layer`` and ``build_dropout`` of ``flavour``, shown as ``module_name``'s."""
    impl = _PluginBuilders(flavour, plugins, dropouts)

    def build_plugin_layer(
        cfg: dict[str, Any], postfix: int | str = "", **kwargs: Any
    ) -> tuple[str, nn.Module]:
        """Build the plugin layer ``cfg['type']`` with the rest of ``cfg`` and ``kwargs``.

        Returns ``(name, layer)``: the name is the class's ``_abbr_`` (else its name in
        snake case) plus ``postfix``.

        Examples:
            >>> build_plugin_layer(dict(type="ContextBlock", ratio=1 / 4), in_channels=16)
        """
        return impl.plugin(cfg, postfix, kwargs)

    def build_dropout(cfg: dict[str, Any], default_args: dict[str, Any] | None = None) -> Any:
        """Build the dropout layer ``cfg['type']`` (``'DropPath'``, ``'Dropout'``, ...).

        Examples:
            >>> build_dropout(dict(type="DropPath", drop_prob=0.2))
        """
        return impl.dropout(cfg, default_args)

    for fn in (build_plugin_layer, build_dropout):
        fn.__module__ = module_name
        fn.__qualname__ = fn.__name__
    return build_plugin_layer, build_dropout
