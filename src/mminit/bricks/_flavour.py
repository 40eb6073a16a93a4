"""Where mmcv 1.7.2's bricks and mmcv 2.2.0's differ, as data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["MMCV1_BRICKS", "MMCV2_BRICKS", "BricksFlavour"]


@dataclass(frozen=True)
class BricksFlavour:
    """Behavioural switches of one upstream's layer bricks.

    Attributes:
        name: ``"mmengine"`` (mmcv 2.2.0 on mmengine) or ``"mmcv1"``.
        shared_table: every builder looks names up in one table (mmcv 2.x
            registers all layers in mmengine's ``MODELS``), instead of five
            registries (``CONV_LAYERS``, ``NORM_LAYERS``, ...).
        upstream: where a name missing from mminit's tables is looked up when
            the upstream is already imported: mmengine's ``MODELS`` under the
            current default scope (searched *first*, as mmcv 2.x does), or
            mmcv 1.x's registry of the same kind (searched last).
        class_as_type: ``cfg['type']`` may be a class (mmcv 2.x); mmcv 1.x's
            registries fail on it with ``AttributeError``.
        groupnorm_by_class: ``build_norm_layer`` passes ``num_channels=`` when
            the class *is* ``nn.GroupNorm`` (mmcv 2.x) rather than when the
            name is ``'GN'`` (mmcv 1.x).
        activation_builder: ``"mmcv"``: ``build_from_cfg`` that prefixes a
            constructor's error with the class name; ``"mmengine"``:
            ``MODELS.build``, which also turns a list of cfgs into a
            ``Sequential``.
        efficient_conv_bn_eval: ``ConvModule`` takes ``efficient_conv_bn_eval``
            and has ``turn_on_efficient_conv_bn_eval``/``create_from_conv_bn``.
        registry_scope: the scope a registry reports and strips from
            ``"scope.Type"`` names (``"mmcv"`` / ``"mmengine"``).
        attention_bool_mask: ``GeneralizedAttention`` masks with a bool copy of
            its uint8 ``local_constraint_map`` (mmcv 2.x) rather than the map itself.
        layer_scale: ``LayerScale`` exists and ``FFN`` takes ``layer_scale_init_value``
            and builds one activation per hidden layer (mmcv 2.x), rather than one
            shared ``self.activate`` and ignored extra keyword arguments (mmcv 1.x).
    """

    name: Literal["mmengine", "mmcv1"]
    shared_table: bool
    upstream: Literal["mmengine_models", "mmcv_registries"]
    class_as_type: bool
    groupnorm_by_class: bool
    activation_builder: Literal["mmcv", "mmengine"]
    efficient_conv_bn_eval: bool
    registry_scope: Literal["mmcv", "mmengine"]
    attention_bool_mask: bool
    layer_scale: bool


MMCV1_BRICKS = BricksFlavour(
    name="mmcv1",
    shared_table=False,
    upstream="mmcv_registries",
    class_as_type=False,
    groupnorm_by_class=False,
    activation_builder="mmcv",
    efficient_conv_bn_eval=False,
    registry_scope="mmcv",
    attention_bool_mask=False,
    layer_scale=False,
)

MMCV2_BRICKS = BricksFlavour(
    name="mmengine",
    shared_table=True,
    upstream="mmengine_models",
    class_as_type=True,
    groupnorm_by_class=True,
    activation_builder="mmengine",
    efficient_conv_bn_eval=True,
    registry_scope="mmengine",
    attention_bool_mask=True,
    layer_scale=True,
)
