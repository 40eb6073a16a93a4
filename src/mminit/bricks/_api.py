"""Assemble one flavour's bricks: registries, builders, ``ConvModule``, layer classes."""

from __future__ import annotations

from typing import Any

from . import _extra_layers, _layers
from ._attention import make_generalized_attention
from ._builders import infer_abbr, is_norm, make_builders
from ._composite import make_composites
from ._conv_module import make_conv_module
from ._flavour import BricksFlavour
from ._plugin import make_plugin_builders
from ._registry import LayerRegistry
from ._tables import BUILTIN, KINDS, merged_builtins
from ._transformer import (
    AdaptivePadding,
    LayerScale,
    make_ffn,
    make_multihead_attention,
    make_patch_embed,
    make_patch_merging,
)

__all__ = ["MMCV1_REGISTRY_NAMES", "make_bricks_api"]

#: mmcv 1.x's public registry names, by kind
MMCV1_REGISTRY_NAMES = {
    "conv": "CONV_LAYERS",
    "norm": "NORM_LAYERS",
    "activation": "ACTIVATION_LAYERS",
    "upsample": "UPSAMPLE_LAYERS",
    "padding": "PADDING_LAYERS",
}

_LAYER_EXPORTS = (
    "Conv2d",
    "Conv3d",
    "ConvTranspose2d",
    "ConvTranspose3d",
    "Linear",
    "MaxPool2d",
    "MaxPool3d",
    "Conv2dAdaptivePadding",
    "ConvWS2d",
    "ConvAWS2d",
    "conv_ws_2d",
    "HSigmoid",
    "HSwish",
    "Swish",
    "PixelShufflePack",
)
_EXTRA_EXPORTS = ("ContextBlock", "DropPath", "Dropout", "Scale")


def make_bricks_api(
    flavour: BricksFlavour, base_module: type, sequential: type, module_name: str
) -> dict[str, Any]:
    """Every public bricks name of ``flavour``, by name.

    mmcv 1.x flavour: the five registries by their mmcv names; mmcv 2.x flavour:
    one table, ``LAYERS``.
    """
    names: dict[str, Any] = {}
    if flavour.shared_table:
        table = LayerRegistry("layer", flavour, merged_builtins(), "LAYERS", sequential)
        registries = {kind: table for kind in KINDS}
        names["LAYERS"] = table
    else:
        registries = {
            kind: LayerRegistry(
                f"{kind} layer", flavour, BUILTIN[kind], MMCV1_REGISTRY_NAMES[kind], sequential
            )
            for kind in KINDS
        }
        for kind, registry in registries.items():
            names[MMCV1_REGISTRY_NAMES[kind]] = registry
    builders = make_builders(flavour, registries, sequential, module_name)
    conv_module = make_conv_module(flavour, base_module, builders, module_name)
    upstream = "mmcv 2.2.0" if flavour.shared_table else "mmcv 1.7.2"
    composites = make_composites(conv_module, module_name, upstream)
    composites["GeneralizedAttention"] = make_generalized_attention(
        module_name, upstream, flavour.attention_bool_mask
    )
    plugins, dropouts = _plugin_registries(
        flavour, registries["conv"], conv_module, composites, names
    )
    names["build_plugin_layer"], names["build_dropout"] = make_plugin_builders(
        flavour, plugins, dropouts, module_name
    )
    names["FFN"] = make_ffn(
        base_module,
        sequential,
        builders.build_activation_layer,
        names["build_dropout"],
        flavour.layer_scale,
        module_name,
    )
    names["PatchEmbed"] = make_patch_embed(
        base_module, builders.build_conv_layer, builders.build_norm_layer, upstream, module_name
    )
    names["PatchMerging"] = make_patch_merging(
        base_module, builders.build_norm_layer, upstream, module_name
    )
    names["AdaptivePadding"] = AdaptivePadding
    names["MultiheadAttention"] = make_multihead_attention(
        base_module, names["build_dropout"], upstream, module_name
    )
    if flavour.layer_scale:  # mmcv 2.x only
        names["LayerScale"] = LayerScale
    if (
        flavour.shared_table
    ):  # mmcv 2.x registers them in MODELS (mmcv 1.x: FEEDFORWARD_NETWORK, ATTENTION)
        registries["conv"].register_module(module=names["FFN"])
        registries["conv"].register_module(module=names["MultiheadAttention"])
    names.update(composites)
    names.update({name: getattr(_extra_layers, name) for name in _EXTRA_EXPORTS})
    names.update(
        build_conv_layer=builders.build_conv_layer,
        build_norm_layer=builders.build_norm_layer,
        build_activation_layer=builders.build_activation_layer,
        build_upsample_layer=builders.build_upsample_layer,
        build_padding_layer=builders.build_padding_layer,
        ConvModule=conv_module,
        infer_abbr=infer_abbr,
        is_norm=is_norm,
    )
    names.update({name: getattr(_layers, name) for name in _LAYER_EXPORTS})
    return names


def _plugin_registries(
    flavour: BricksFlavour,
    table: LayerRegistry,
    conv_module: type,
    composites: dict[str, type],
    names: dict[str, Any],
) -> tuple[LayerRegistry, LayerRegistry]:
    """Where plugin and dropout types are looked up: mmcv 1.x's ``PLUGIN_LAYERS`` and
    ``DROPOUT_LAYERS`` (added to ``names``), or mmcv 2.x's one table."""
    plugins = {
        "ContextBlock": _extra_layers.ContextBlock,
        "ConvModule": conv_module,
        "GeneralizedAttention": composites["GeneralizedAttention"],
        "NonLocal2d": composites["NonLocal2d"],
    }
    dropouts = {"DropPath": _extra_layers.DropPath, "Dropout": _extra_layers.Dropout}
    if flavour.shared_table:  # mmcv 2.x registers them all in MODELS
        for cls in (*plugins.values(), *dropouts.values()):
            table.register_module(module=cls)
        return table, table
    names["PLUGIN_LAYERS"] = LayerRegistry("plugin layer", flavour, plugins, "PLUGIN_LAYERS")
    names["DROPOUT_LAYERS"] = LayerRegistry("dropout layer", flavour, dropouts, "DROPOUT_LAYERS")
    return names["PLUGIN_LAYERS"], names["DROPOUT_LAYERS"]
