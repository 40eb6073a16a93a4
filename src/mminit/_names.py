"""The public names of both flavours: one table for ``mminit``, ``mminit.mmcv1`` and their ``__all__``.

A public name is listed here once, with the flavours that export it and its topic.
``mminit/__init__.py`` (lazily), ``mminit/_public.py`` and ``mminit/mmcv1.py`` take
their ``__all__`` from :func:`public_names`; each of those modules binds every name
with a plain import or assignment, so an editor's go-to-definition finds it
(``tests/core/test_public_api.py`` checks both, and that no module exports a name the
table does not list).

This module imports nothing: ``import mminit`` reads it without importing torch.
"""

from __future__ import annotations

from typing import Final, Literal

__all__ = [
    "BOTH",
    "MMCV1",
    "MMINIT",
    "ROWS",
    "TOPICS",
    "Flavour",
    "public_names",
    "without_counterpart",
]

Flavour = Literal["mminit", "mminit.mmcv1"]
MMINIT: Final = frozenset({"mminit"})
MMCV1: Final = frozenset({"mminit.mmcv1"})
BOTH: Final = MMINIT | MMCV1

#: topic -> whether its names have an upstream counterpart (``mminit check`` runs the
#: user's code with ``mminit`` aliased to upstream and looks each name up there)
TOPICS: Final = {
    "init": True,  # initializers, registry, BaseModule and containers, *_init helpers
    "checkpoint": True,  # load_checkpoint and friends
    "bricks": True,  # mmcv.cnn's layer bricks
    "engine": False,  # mminit's own engine, modes and tools
    "errors": False,  # mminit's exception and warning types
}

#: (name, flavours that export it, topic), in the order of ``__all__``
ROWS: Final[tuple[tuple[str, frozenset[str], str], ...]] = (
    # init: mmengine.model / mmcv.cnn + mmcv.runner
    ("BaseInit", BOTH, "init"),
    ("ConstantInit", BOTH, "init"),
    ("XavierInit", BOTH, "init"),
    ("NormalInit", BOTH, "init"),
    ("TruncNormalInit", BOTH, "init"),
    ("UniformInit", BOTH, "init"),
    ("KaimingInit", BOTH, "init"),
    ("Caffe2XavierInit", BOTH, "init"),
    ("PretrainedInit", BOTH, "init"),
    ("initialize", BOTH, "init"),
    ("update_init_info", BOTH, "init"),
    ("constant_init", BOTH, "init"),
    ("xavier_init", BOTH, "init"),
    ("normal_init", BOTH, "init"),
    ("trunc_normal_init", BOTH, "init"),
    ("uniform_init", BOTH, "init"),
    ("kaiming_init", BOTH, "init"),
    ("caffe2_xavier_init", BOTH, "init"),
    ("bias_init_with_prob", BOTH, "init"),
    ("trunc_normal_", BOTH, "init"),
    ("BaseModule", BOTH, "init"),
    ("Sequential", BOTH, "init"),
    ("ModuleList", BOTH, "init"),
    ("ModuleDict", BOTH, "init"),
    ("Registry", BOTH, "init"),
    ("build_from_cfg", BOTH, "init"),
    ("WEIGHT_INITIALIZERS", BOTH, "init"),
    ("INITIALIZERS", BOTH, "init"),
    # checkpoint: mmengine.runner.checkpoint / mmcv.runner
    ("load_checkpoint", BOTH, "checkpoint"),
    ("_load_checkpoint", BOTH, "checkpoint"),
    ("_load_checkpoint_with_prefix", BOTH, "checkpoint"),
    ("load_state_dict", BOTH, "checkpoint"),
    ("CheckpointLoader", BOTH, "checkpoint"),
    # bricks: mmcv 2.2.0's / mmcv 1.7.2's mmcv.cnn
    ("LAYERS", MMINIT, "bricks"),
    ("CONV_LAYERS", MMCV1, "bricks"),
    ("NORM_LAYERS", MMCV1, "bricks"),
    ("ACTIVATION_LAYERS", MMCV1, "bricks"),
    ("UPSAMPLE_LAYERS", MMCV1, "bricks"),
    ("PADDING_LAYERS", MMCV1, "bricks"),
    ("PLUGIN_LAYERS", MMCV1, "bricks"),
    ("DROPOUT_LAYERS", MMCV1, "bricks"),
    ("build_conv_layer", BOTH, "bricks"),
    ("build_norm_layer", BOTH, "bricks"),
    ("build_activation_layer", BOTH, "bricks"),
    ("build_upsample_layer", BOTH, "bricks"),
    ("build_padding_layer", BOTH, "bricks"),
    ("build_plugin_layer", BOTH, "bricks"),
    ("build_dropout", BOTH, "bricks"),
    ("infer_abbr", BOTH, "bricks"),
    ("is_norm", BOTH, "bricks"),
    ("ConvModule", BOTH, "bricks"),
    ("DepthwiseSeparableConvModule", BOTH, "bricks"),
    ("Conv2d", BOTH, "bricks"),
    ("Conv3d", BOTH, "bricks"),
    ("ConvTranspose2d", BOTH, "bricks"),
    ("ConvTranspose3d", BOTH, "bricks"),
    ("Linear", BOTH, "bricks"),
    ("MaxPool2d", BOTH, "bricks"),
    ("MaxPool3d", BOTH, "bricks"),
    ("Conv2dAdaptivePadding", BOTH, "bricks"),
    ("ConvWS2d", BOTH, "bricks"),
    ("ConvAWS2d", BOTH, "bricks"),
    ("conv_ws_2d", BOTH, "bricks"),
    ("HSigmoid", BOTH, "bricks"),
    ("HSwish", BOTH, "bricks"),
    ("Swish", BOTH, "bricks"),
    ("PixelShufflePack", BOTH, "bricks"),
    ("NonLocal1d", BOTH, "bricks"),
    ("NonLocal2d", BOTH, "bricks"),
    ("NonLocal3d", BOTH, "bricks"),
    ("ContextBlock", BOTH, "bricks"),
    ("GeneralizedAttention", BOTH, "bricks"),
    ("DropPath", BOTH, "bricks"),
    ("Dropout", BOTH, "bricks"),
    ("Scale", BOTH, "bricks"),
    ("PatchEmbed", BOTH, "bricks"),
    ("AdaptivePadding", BOTH, "bricks"),
    ("PatchMerging", BOTH, "bricks"),
    ("MultiheadAttention", BOTH, "bricks"),
    ("FFN", BOTH, "bricks"),
    ("LayerScale", MMINIT, "bricks"),
    # engine: mminit's own (no upstream counterpart)
    ("init_weights", BOTH, "engine"),
    ("route", BOTH, "engine"),
    ("enable", BOTH, "engine"),
    ("disable", BOTH, "engine"),
    ("InitMode", BOTH, "engine"),
    ("init_mode", BOTH, "engine"),
    ("clear_plan_cache", BOTH, "engine"),
    ("explain", BOTH, "engine"),
    ("InitPlan", BOTH, "engine"),
    ("materialize", BOTH, "engine"),
    ("sharded_init", BOTH, "engine"),
    ("name_keyed", BOTH, "engine"),
    # errors: each subclasses the type upstream raises in the same situation
    ("InvalidInitArg", BOTH, "errors"),
    ("InitInfoError", BOTH, "errors"),
    ("InvalidBrickArg", BOTH, "errors"),
    ("LayerTypeNotAName", BOTH, "errors"),
    ("SpatialRangeNeedsKnownChannels", BOTH, "errors"),
    ("UnsafeCheckpointError", BOTH, "errors"),
    ("NotACheckpointError", BOTH, "errors"),
    ("ChecksumError", BOTH, "errors"),
    ("DownloadError", BOTH, "errors"),
    ("OfflineError", BOTH, "errors"),
    ("UnknownModelNameError", BOTH, "errors"),
    ("UnknownSchemeError", BOTH, "errors"),
    ("UnsupportedSourceError", BOTH, "errors"),
    ("InvalidSchemeArg", BOTH, "errors"),
    ("PrefixNotFoundError", BOTH, "errors"),
    ("FastModeWarning", BOTH, "errors"),
    ("MaterializeWarning", BOTH, "errors"),
)


def public_names(flavour: Flavour) -> tuple[str, ...]:
    """``flavour``'s ``__all__``: the table's names that flavour exports, in table order."""
    if flavour not in BOTH:
        raise ValueError(f"flavour must be one of {sorted(BOTH)}, got {flavour!r}")
    return tuple(name for name, where, _ in ROWS if flavour in where)


def without_counterpart() -> frozenset[str]:
    """The public names that exist only in mminit (no upstream object to alias them to)."""
    return frozenset(name for name, _, topic in ROWS if not TOPICS[topic])
