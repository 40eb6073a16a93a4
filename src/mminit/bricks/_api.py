"""Assemble one flavour's bricks: registries, builders, ``ConvModule``, layer classes."""

from __future__ import annotations

from typing import Any

from . import _layers
from ._builders import infer_abbr, is_norm, make_builders
from ._conv_module import make_conv_module
from ._flavour import BricksFlavour
from ._registry import LayerRegistry
from ._tables import BUILTIN, KINDS, merged_builtins

__all__ = ["MMCV1_REGISTRY_NAMES", "make_bricks_api"]

#: mmcv 1.x's public registry names, by kind
MMCV1_REGISTRY_NAMES = {
    "conv": "CONV_LAYERS", "norm": "NORM_LAYERS", "activation": "ACTIVATION_LAYERS",
    "upsample": "UPSAMPLE_LAYERS", "padding": "PADDING_LAYERS",
}

_LAYER_EXPORTS = ("Conv2d", "Conv3d", "ConvTranspose2d", "ConvTranspose3d", "Linear", "MaxPool2d",
                  "MaxPool3d", "Conv2dAdaptivePadding", "ConvWS2d", "ConvAWS2d", "conv_ws_2d",
                  "HSigmoid", "HSwish", "Swish", "PixelShufflePack")


def make_bricks_api(flavour: BricksFlavour, base_module: type, sequential: type,
                    module_name: str) -> dict[str, Any]:
    """Every public bricks name of ``flavour``, by name.

    mmcv 1.x flavour: the five registries by their mmcv names; mmcv 2.x flavour:
    one table, ``LAYERS``.
    """
    names: dict[str, Any] = {}
    if flavour.shared_table:
        table = LayerRegistry("layer", flavour, merged_builtins(), "LAYERS")
        registries = {kind: table for kind in KINDS}
        names["LAYERS"] = table
    else:
        registries = {
            kind: LayerRegistry(f"{kind} layer", flavour, BUILTIN[kind], MMCV1_REGISTRY_NAMES[kind])
            for kind in KINDS
        }
        for kind, registry in registries.items():
            names[MMCV1_REGISTRY_NAMES[kind]] = registry
    builders = make_builders(flavour, registries, sequential, module_name)
    conv_module = make_conv_module(flavour, base_module, builders, module_name)
    if flavour.shared_table:
        registries["conv"].register_module(module=conv_module)  # mmcv 2.x registers it in MODELS
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
