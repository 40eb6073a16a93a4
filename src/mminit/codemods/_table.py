"""Where each init-system name lives upstream, and where it moves to.

One row per public import path: ``(upstream module, name) -> mminit module``.
The rows were collected from mmcv 1.7.2 and mmengine 0.10.7 (every module that
binds one of these names at import time, re-exports included) and are checked
against the installed upstreams by ``tests/codemods/test_table.py``.

How to add rows:

* Names that move by default (the init system, the checkpoint loaders) go in
  :data:`MOVES`.
* Layer bricks (``ConvModule``, ``build_*_layer``, their registries ...) go in
  :data:`BRICK_MOVES`, same shape; they move only with ``mminit migrate --bricks``.
  A brick registry that ``build_from_cfg`` may be called with, or that may be the
  ``parent=`` of a downstream ``Registry``, also goes in :data:`BRICK_REGISTRY_NAMES`.
* A name from ``mmcv.*`` that the ``mminit`` (mmengine / mmcv 2.x) flavour does not
  have goes in :data:`MMCV1_ONLY_NAMES` too: ``mminit migrate --mmcv 2`` (a repository
  on mmcv 2.x) sends every other ``mmcv.*`` row to ``mminit`` instead of ``mminit.mmcv1``.
* A key must not be in both tables.  Nothing else reads these dicts directly:
  every decision goes through :func:`mminit.codemods._moves.move_table`.
"""

from __future__ import annotations

__all__ = [
    "BRICK_MOVES",
    "BRICK_REGISTRY_NAMES",
    "CONDITIONAL_NAMES",
    "MMCV1",
    "MMCV1_ONLY_NAMES",
    "MMENGINE",
    "MOVES",
    "REGISTRY_NAMES",
    "SOURCE_ROOTS",
]

MMCV1 = "mminit.mmcv1"
MMENGINE = "mminit"
SOURCE_ROOTS = ("mmcv", "mmengine")

#: Names that are init registries: a ``build_from_cfg`` call moves only with one of these.
REGISTRY_NAMES = frozenset({"INITIALIZERS", "WEIGHT_INITIALIZERS"})
#: Names that move only when every use is tied to an init registry.
CONDITIONAL_NAMES = frozenset({"build_from_cfg"})

MOVES: dict[tuple[str, str], str] = {
    # mmcv
    ("mmcv", "build_from_cfg"): MMCV1,
    # mmcv.cnn
    ("mmcv.cnn", "bias_init_with_prob"): MMCV1,
    ("mmcv.cnn", "caffe2_xavier_init"): MMCV1,
    ("mmcv.cnn", "Caffe2XavierInit"): MMCV1,
    ("mmcv.cnn", "constant_init"): MMCV1,
    ("mmcv.cnn", "ConstantInit"): MMCV1,
    ("mmcv.cnn", "initialize"): MMCV1,
    ("mmcv.cnn", "INITIALIZERS"): MMCV1,
    ("mmcv.cnn", "kaiming_init"): MMCV1,
    ("mmcv.cnn", "KaimingInit"): MMCV1,
    ("mmcv.cnn", "normal_init"): MMCV1,
    ("mmcv.cnn", "NormalInit"): MMCV1,
    ("mmcv.cnn", "PretrainedInit"): MMCV1,
    ("mmcv.cnn", "trunc_normal_init"): MMCV1,
    ("mmcv.cnn", "TruncNormalInit"): MMCV1,
    ("mmcv.cnn", "uniform_init"): MMCV1,
    ("mmcv.cnn", "UniformInit"): MMCV1,
    ("mmcv.cnn", "xavier_init"): MMCV1,
    ("mmcv.cnn", "XavierInit"): MMCV1,
    # mmcv.cnn.bricks.activation
    ("mmcv.cnn.bricks.activation", "build_from_cfg"): MMCV1,
    # mmcv.cnn.bricks.context_block
    ("mmcv.cnn.bricks.context_block", "constant_init"): MMCV1,
    ("mmcv.cnn.bricks.context_block", "kaiming_init"): MMCV1,
    # mmcv.cnn.bricks.conv_module
    ("mmcv.cnn.bricks.conv_module", "constant_init"): MMCV1,
    ("mmcv.cnn.bricks.conv_module", "kaiming_init"): MMCV1,
    # mmcv.cnn.bricks.drop
    ("mmcv.cnn.bricks.drop", "build_from_cfg"): MMCV1,
    # mmcv.cnn.bricks.generalized_attention
    ("mmcv.cnn.bricks.generalized_attention", "kaiming_init"): MMCV1,
    # mmcv.cnn.bricks.non_local
    ("mmcv.cnn.bricks.non_local", "constant_init"): MMCV1,
    ("mmcv.cnn.bricks.non_local", "normal_init"): MMCV1,
    # mmcv.cnn.bricks.transformer
    ("mmcv.cnn.bricks.transformer", "BaseModule"): MMCV1,
    ("mmcv.cnn.bricks.transformer", "build_from_cfg"): MMCV1,
    ("mmcv.cnn.bricks.transformer", "ModuleList"): MMCV1,
    ("mmcv.cnn.bricks.transformer", "Sequential"): MMCV1,
    # mmcv.cnn.bricks.upsample
    ("mmcv.cnn.bricks.upsample", "xavier_init"): MMCV1,
    # mmcv.cnn.builder
    ("mmcv.cnn.builder", "build_from_cfg"): MMCV1,
    ("mmcv.cnn.builder", "Sequential"): MMCV1,
    # mmcv.cnn.resnet
    ("mmcv.cnn.resnet", "constant_init"): MMCV1,
    ("mmcv.cnn.resnet", "kaiming_init"): MMCV1,
    # mmcv.cnn.rfsearch.operator
    ("mmcv.cnn.rfsearch.operator", "BaseModule"): MMCV1,
    # mmcv.cnn.utils
    ("mmcv.cnn.utils", "bias_init_with_prob"): MMCV1,
    ("mmcv.cnn.utils", "caffe2_xavier_init"): MMCV1,
    ("mmcv.cnn.utils", "Caffe2XavierInit"): MMCV1,
    ("mmcv.cnn.utils", "constant_init"): MMCV1,
    ("mmcv.cnn.utils", "ConstantInit"): MMCV1,
    ("mmcv.cnn.utils", "initialize"): MMCV1,
    ("mmcv.cnn.utils", "INITIALIZERS"): MMCV1,
    ("mmcv.cnn.utils", "kaiming_init"): MMCV1,
    ("mmcv.cnn.utils", "KaimingInit"): MMCV1,
    ("mmcv.cnn.utils", "normal_init"): MMCV1,
    ("mmcv.cnn.utils", "NormalInit"): MMCV1,
    ("mmcv.cnn.utils", "PretrainedInit"): MMCV1,
    ("mmcv.cnn.utils", "trunc_normal_init"): MMCV1,
    ("mmcv.cnn.utils", "TruncNormalInit"): MMCV1,
    ("mmcv.cnn.utils", "uniform_init"): MMCV1,
    ("mmcv.cnn.utils", "UniformInit"): MMCV1,
    ("mmcv.cnn.utils", "xavier_init"): MMCV1,
    ("mmcv.cnn.utils", "XavierInit"): MMCV1,
    # mmcv.cnn.utils.weight_init
    ("mmcv.cnn.utils.weight_init", "BaseInit"): MMCV1,
    ("mmcv.cnn.utils.weight_init", "bias_init_with_prob"): MMCV1,
    ("mmcv.cnn.utils.weight_init", "build_from_cfg"): MMCV1,
    ("mmcv.cnn.utils.weight_init", "caffe2_xavier_init"): MMCV1,
    ("mmcv.cnn.utils.weight_init", "Caffe2XavierInit"): MMCV1,
    ("mmcv.cnn.utils.weight_init", "constant_init"): MMCV1,
    ("mmcv.cnn.utils.weight_init", "ConstantInit"): MMCV1,
    ("mmcv.cnn.utils.weight_init", "initialize"): MMCV1,
    ("mmcv.cnn.utils.weight_init", "INITIALIZERS"): MMCV1,
    ("mmcv.cnn.utils.weight_init", "kaiming_init"): MMCV1,
    ("mmcv.cnn.utils.weight_init", "KaimingInit"): MMCV1,
    ("mmcv.cnn.utils.weight_init", "normal_init"): MMCV1,
    ("mmcv.cnn.utils.weight_init", "NormalInit"): MMCV1,
    ("mmcv.cnn.utils.weight_init", "PretrainedInit"): MMCV1,
    ("mmcv.cnn.utils.weight_init", "trunc_normal_"): MMCV1,
    ("mmcv.cnn.utils.weight_init", "trunc_normal_init"): MMCV1,
    ("mmcv.cnn.utils.weight_init", "TruncNormalInit"): MMCV1,
    ("mmcv.cnn.utils.weight_init", "uniform_init"): MMCV1,
    ("mmcv.cnn.utils.weight_init", "UniformInit"): MMCV1,
    ("mmcv.cnn.utils.weight_init", "update_init_info"): MMCV1,
    ("mmcv.cnn.utils.weight_init", "xavier_init"): MMCV1,
    ("mmcv.cnn.utils.weight_init", "XavierInit"): MMCV1,
    # mmcv.cnn.vgg
    ("mmcv.cnn.vgg", "constant_init"): MMCV1,
    ("mmcv.cnn.vgg", "kaiming_init"): MMCV1,
    ("mmcv.cnn.vgg", "normal_init"): MMCV1,
    # mmcv.ops.carafe
    ("mmcv.ops.carafe", "normal_init"): MMCV1,
    ("mmcv.ops.carafe", "xavier_init"): MMCV1,
    # mmcv.ops.multi_scale_deform_attn
    ("mmcv.ops.multi_scale_deform_attn", "BaseModule"): MMCV1,
    ("mmcv.ops.multi_scale_deform_attn", "constant_init"): MMCV1,
    ("mmcv.ops.multi_scale_deform_attn", "xavier_init"): MMCV1,
    # mmcv.ops.saconv
    ("mmcv.ops.saconv", "constant_init"): MMCV1,
    # mmcv.runner
    ("mmcv.runner", "BaseModule"): MMCV1,
    ("mmcv.runner", "ModuleDict"): MMCV1,
    ("mmcv.runner", "ModuleList"): MMCV1,
    ("mmcv.runner", "Sequential"): MMCV1,
    # mmcv.runner.base_module
    ("mmcv.runner.base_module", "BaseModule"): MMCV1,
    ("mmcv.runner.base_module", "ModuleDict"): MMCV1,
    ("mmcv.runner.base_module", "ModuleList"): MMCV1,
    ("mmcv.runner.base_module", "Sequential"): MMCV1,
    # mmcv.runner.optimizer.builder
    ("mmcv.runner.optimizer.builder", "build_from_cfg"): MMCV1,
    # mmcv.runner.optimizer.default_constructor
    ("mmcv.runner.optimizer.default_constructor", "build_from_cfg"): MMCV1,
    # mmcv.utils
    ("mmcv.utils", "build_from_cfg"): MMCV1,
    # mmcv.utils.registry
    ("mmcv.utils.registry", "build_from_cfg"): MMCV1,
    # mmengine
    ("mmengine", "build_from_cfg"): MMENGINE,
    ("mmengine", "WEIGHT_INITIALIZERS"): MMENGINE,
    # mmengine.model
    ("mmengine.model", "BaseInit"): MMENGINE,
    ("mmengine.model", "BaseModule"): MMENGINE,
    ("mmengine.model", "bias_init_with_prob"): MMENGINE,
    ("mmengine.model", "caffe2_xavier_init"): MMENGINE,
    ("mmengine.model", "Caffe2XavierInit"): MMENGINE,
    ("mmengine.model", "constant_init"): MMENGINE,
    ("mmengine.model", "ConstantInit"): MMENGINE,
    ("mmengine.model", "initialize"): MMENGINE,
    ("mmengine.model", "kaiming_init"): MMENGINE,
    ("mmengine.model", "KaimingInit"): MMENGINE,
    ("mmengine.model", "ModuleDict"): MMENGINE,
    ("mmengine.model", "ModuleList"): MMENGINE,
    ("mmengine.model", "normal_init"): MMENGINE,
    ("mmengine.model", "NormalInit"): MMENGINE,
    ("mmengine.model", "PretrainedInit"): MMENGINE,
    ("mmengine.model", "Sequential"): MMENGINE,
    ("mmengine.model", "trunc_normal_init"): MMENGINE,
    ("mmengine.model", "TruncNormalInit"): MMENGINE,
    ("mmengine.model", "uniform_init"): MMENGINE,
    ("mmengine.model", "UniformInit"): MMENGINE,
    ("mmengine.model", "update_init_info"): MMENGINE,
    ("mmengine.model", "xavier_init"): MMENGINE,
    ("mmengine.model", "XavierInit"): MMENGINE,
    # mmengine.model.base_model.base_model
    ("mmengine.model.base_model.base_model", "BaseModule"): MMENGINE,
    # mmengine.model.base_module
    ("mmengine.model.base_module", "BaseModule"): MMENGINE,
    ("mmengine.model.base_module", "initialize"): MMENGINE,
    ("mmengine.model.base_module", "ModuleDict"): MMENGINE,
    ("mmengine.model.base_module", "ModuleList"): MMENGINE,
    ("mmengine.model.base_module", "PretrainedInit"): MMENGINE,
    ("mmengine.model.base_module", "Sequential"): MMENGINE,
    ("mmengine.model.base_module", "update_init_info"): MMENGINE,
    # mmengine.model.weight_init
    ("mmengine.model.weight_init", "BaseInit"): MMENGINE,
    ("mmengine.model.weight_init", "bias_init_with_prob"): MMENGINE,
    ("mmengine.model.weight_init", "build_from_cfg"): MMENGINE,
    ("mmengine.model.weight_init", "caffe2_xavier_init"): MMENGINE,
    ("mmengine.model.weight_init", "Caffe2XavierInit"): MMENGINE,
    ("mmengine.model.weight_init", "constant_init"): MMENGINE,
    ("mmengine.model.weight_init", "ConstantInit"): MMENGINE,
    ("mmengine.model.weight_init", "initialize"): MMENGINE,
    ("mmengine.model.weight_init", "kaiming_init"): MMENGINE,
    ("mmengine.model.weight_init", "KaimingInit"): MMENGINE,
    ("mmengine.model.weight_init", "normal_init"): MMENGINE,
    ("mmengine.model.weight_init", "NormalInit"): MMENGINE,
    ("mmengine.model.weight_init", "PretrainedInit"): MMENGINE,
    ("mmengine.model.weight_init", "trunc_normal_"): MMENGINE,
    ("mmengine.model.weight_init", "trunc_normal_init"): MMENGINE,
    ("mmengine.model.weight_init", "TruncNormalInit"): MMENGINE,
    ("mmengine.model.weight_init", "uniform_init"): MMENGINE,
    ("mmengine.model.weight_init", "UniformInit"): MMENGINE,
    ("mmengine.model.weight_init", "update_init_info"): MMENGINE,
    ("mmengine.model.weight_init", "WEIGHT_INITIALIZERS"): MMENGINE,
    ("mmengine.model.weight_init", "xavier_init"): MMENGINE,
    ("mmengine.model.weight_init", "XavierInit"): MMENGINE,
    # mmengine.registry
    ("mmengine.registry", "build_from_cfg"): MMENGINE,
    ("mmengine.registry", "WEIGHT_INITIALIZERS"): MMENGINE,
    # mmengine.registry.build_functions
    ("mmengine.registry.build_functions", "build_from_cfg"): MMENGINE,
    # mmengine.registry.root
    ("mmengine.registry.root", "WEIGHT_INITIALIZERS"): MMENGINE,
    # checkpoint loaders: every module binding mmcv 1.7.2's mmcv.runner.checkpoint
    # objects or mmengine 0.10.7's mmengine.runner.checkpoint objects, found with getattr
    # over all importable modules (tests/codemods/test_checkpoint_rows.py re-checks them)
    # mmcv.runner
    ("mmcv.runner", "CheckpointLoader"): MMCV1,
    ("mmcv.runner", "_load_checkpoint"): MMCV1,
    ("mmcv.runner", "_load_checkpoint_with_prefix"): MMCV1,
    ("mmcv.runner", "load_checkpoint"): MMCV1,
    ("mmcv.runner", "load_state_dict"): MMCV1,
    # mmcv.runner.base_runner
    ("mmcv.runner.base_runner", "load_checkpoint"): MMCV1,
    # mmcv.runner.checkpoint
    ("mmcv.runner.checkpoint", "CheckpointLoader"): MMCV1,
    ("mmcv.runner.checkpoint", "_load_checkpoint"): MMCV1,
    ("mmcv.runner.checkpoint", "_load_checkpoint_with_prefix"): MMCV1,
    ("mmcv.runner.checkpoint", "load_checkpoint"): MMCV1,
    ("mmcv.runner.checkpoint", "load_state_dict"): MMCV1,
    # mmengine._strategy.colossalai
    ("mmengine._strategy.colossalai", "_load_checkpoint"): MMENGINE,
    # mmengine.hub.hub
    ("mmengine.hub.hub", "load_checkpoint"): MMENGINE,
    # mmengine.infer.infer
    ("mmengine.infer.infer", "_load_checkpoint"): MMENGINE,
    # mmengine.runner
    ("mmengine.runner", "CheckpointLoader"): MMENGINE,
    ("mmengine.runner", "load_checkpoint"): MMENGINE,
    ("mmengine.runner", "load_state_dict"): MMENGINE,
    # mmengine.runner.checkpoint
    ("mmengine.runner.checkpoint", "CheckpointLoader"): MMENGINE,
    ("mmengine.runner.checkpoint", "_load_checkpoint"): MMENGINE,
    ("mmengine.runner.checkpoint", "_load_checkpoint_with_prefix"): MMENGINE,
    ("mmengine.runner.checkpoint", "load_checkpoint"): MMENGINE,
    ("mmengine.runner.checkpoint", "load_state_dict"): MMENGINE,
    # mmengine.runner.runner
    ("mmengine.runner.runner", "_load_checkpoint"): MMENGINE,
}


#: Layer bricks: moved only with ``mminit migrate --bricks`` (rows shaped as in MOVES).
BRICK_MOVES: dict[tuple[str, str], str] = {
    # collected with getattr from mmcv 1.7.2 and mmcv-lite 2.2.0 (every importable module
    # binding the object mmcv.cnn exports); mmcv paths move to the mmcv 1.x flavour
    # mmcv.cnn
    ("mmcv.cnn", "ACTIVATION_LAYERS"): MMCV1,
    ("mmcv.cnn", "build_activation_layer"): MMCV1,
    ("mmcv.cnn", "build_conv_layer"): MMCV1,
    ("mmcv.cnn", "build_norm_layer"): MMCV1,
    ("mmcv.cnn", "build_padding_layer"): MMCV1,
    ("mmcv.cnn", "build_plugin_layer"): MMCV1,
    ("mmcv.cnn", "build_upsample_layer"): MMCV1,
    ("mmcv.cnn", "ContextBlock"): MMCV1,
    ("mmcv.cnn", "Conv2d"): MMCV1,
    ("mmcv.cnn", "Conv3d"): MMCV1,
    ("mmcv.cnn", "CONV_LAYERS"): MMCV1,
    ("mmcv.cnn", "conv_ws_2d"): MMCV1,
    ("mmcv.cnn", "ConvAWS2d"): MMCV1,
    ("mmcv.cnn", "ConvModule"): MMCV1,
    ("mmcv.cnn", "ConvTranspose2d"): MMCV1,
    ("mmcv.cnn", "ConvTranspose3d"): MMCV1,
    ("mmcv.cnn", "ConvWS2d"): MMCV1,
    ("mmcv.cnn", "DepthwiseSeparableConvModule"): MMCV1,
    ("mmcv.cnn", "GeneralizedAttention"): MMCV1,
    ("mmcv.cnn", "HSigmoid"): MMCV1,
    ("mmcv.cnn", "HSwish"): MMCV1,
    ("mmcv.cnn", "is_norm"): MMCV1,
    ("mmcv.cnn", "Linear"): MMCV1,
    ("mmcv.cnn", "MaxPool2d"): MMCV1,
    ("mmcv.cnn", "MaxPool3d"): MMCV1,
    ("mmcv.cnn", "NonLocal1d"): MMCV1,
    ("mmcv.cnn", "NonLocal2d"): MMCV1,
    ("mmcv.cnn", "NonLocal3d"): MMCV1,
    ("mmcv.cnn", "NORM_LAYERS"): MMCV1,
    ("mmcv.cnn", "PADDING_LAYERS"): MMCV1,
    ("mmcv.cnn", "PLUGIN_LAYERS"): MMCV1,
    ("mmcv.cnn", "Scale"): MMCV1,
    ("mmcv.cnn", "Swish"): MMCV1,
    ("mmcv.cnn", "UPSAMPLE_LAYERS"): MMCV1,
    # mmcv.cnn.bricks
    ("mmcv.cnn.bricks", "ACTIVATION_LAYERS"): MMCV1,
    ("mmcv.cnn.bricks", "build_activation_layer"): MMCV1,
    ("mmcv.cnn.bricks", "build_conv_layer"): MMCV1,
    ("mmcv.cnn.bricks", "build_norm_layer"): MMCV1,
    ("mmcv.cnn.bricks", "build_padding_layer"): MMCV1,
    ("mmcv.cnn.bricks", "build_plugin_layer"): MMCV1,
    ("mmcv.cnn.bricks", "build_upsample_layer"): MMCV1,
    ("mmcv.cnn.bricks", "ContextBlock"): MMCV1,
    ("mmcv.cnn.bricks", "Conv2d"): MMCV1,
    ("mmcv.cnn.bricks", "Conv2dAdaptivePadding"): MMCV1,
    ("mmcv.cnn.bricks", "Conv3d"): MMCV1,
    ("mmcv.cnn.bricks", "CONV_LAYERS"): MMCV1,
    ("mmcv.cnn.bricks", "conv_ws_2d"): MMCV1,
    ("mmcv.cnn.bricks", "ConvAWS2d"): MMCV1,
    ("mmcv.cnn.bricks", "ConvModule"): MMCV1,
    ("mmcv.cnn.bricks", "ConvTranspose2d"): MMCV1,
    ("mmcv.cnn.bricks", "ConvTranspose3d"): MMCV1,
    ("mmcv.cnn.bricks", "ConvWS2d"): MMCV1,
    ("mmcv.cnn.bricks", "DepthwiseSeparableConvModule"): MMCV1,
    ("mmcv.cnn.bricks", "Dropout"): MMCV1,
    ("mmcv.cnn.bricks", "DropPath"): MMCV1,
    ("mmcv.cnn.bricks", "GeneralizedAttention"): MMCV1,
    ("mmcv.cnn.bricks", "HSigmoid"): MMCV1,
    ("mmcv.cnn.bricks", "HSwish"): MMCV1,
    ("mmcv.cnn.bricks", "is_norm"): MMCV1,
    ("mmcv.cnn.bricks", "Linear"): MMCV1,
    ("mmcv.cnn.bricks", "MaxPool2d"): MMCV1,
    ("mmcv.cnn.bricks", "MaxPool3d"): MMCV1,
    ("mmcv.cnn.bricks", "NonLocal1d"): MMCV1,
    ("mmcv.cnn.bricks", "NonLocal2d"): MMCV1,
    ("mmcv.cnn.bricks", "NonLocal3d"): MMCV1,
    ("mmcv.cnn.bricks", "NORM_LAYERS"): MMCV1,
    ("mmcv.cnn.bricks", "PADDING_LAYERS"): MMCV1,
    ("mmcv.cnn.bricks", "PLUGIN_LAYERS"): MMCV1,
    ("mmcv.cnn.bricks", "Scale"): MMCV1,
    ("mmcv.cnn.bricks", "Swish"): MMCV1,
    ("mmcv.cnn.bricks", "UPSAMPLE_LAYERS"): MMCV1,
    # mmcv.cnn.bricks.activation
    ("mmcv.cnn.bricks.activation", "ACTIVATION_LAYERS"): MMCV1,
    ("mmcv.cnn.bricks.activation", "build_activation_layer"): MMCV1,
    # mmcv.cnn.bricks.context_block
    ("mmcv.cnn.bricks.context_block", "ContextBlock"): MMCV1,
    ("mmcv.cnn.bricks.context_block", "PLUGIN_LAYERS"): MMCV1,
    # mmcv.cnn.bricks.conv
    ("mmcv.cnn.bricks.conv", "build_conv_layer"): MMCV1,
    ("mmcv.cnn.bricks.conv", "CONV_LAYERS"): MMCV1,
    # mmcv.cnn.bricks.conv2d_adaptive_padding
    ("mmcv.cnn.bricks.conv2d_adaptive_padding", "Conv2dAdaptivePadding"): MMCV1,
    ("mmcv.cnn.bricks.conv2d_adaptive_padding", "CONV_LAYERS"): MMCV1,
    # mmcv.cnn.bricks.conv_module
    ("mmcv.cnn.bricks.conv_module", "build_activation_layer"): MMCV1,
    ("mmcv.cnn.bricks.conv_module", "build_conv_layer"): MMCV1,
    ("mmcv.cnn.bricks.conv_module", "build_norm_layer"): MMCV1,
    ("mmcv.cnn.bricks.conv_module", "build_padding_layer"): MMCV1,
    ("mmcv.cnn.bricks.conv_module", "ConvModule"): MMCV1,
    ("mmcv.cnn.bricks.conv_module", "PLUGIN_LAYERS"): MMCV1,
    # mmcv.cnn.bricks.conv_ws
    ("mmcv.cnn.bricks.conv_ws", "CONV_LAYERS"): MMCV1,
    ("mmcv.cnn.bricks.conv_ws", "conv_ws_2d"): MMCV1,
    ("mmcv.cnn.bricks.conv_ws", "ConvAWS2d"): MMCV1,
    ("mmcv.cnn.bricks.conv_ws", "ConvWS2d"): MMCV1,
    # mmcv.cnn.bricks.depthwise_separable_conv_module
    ("mmcv.cnn.bricks.depthwise_separable_conv_module", "ConvModule"): MMCV1,
    ("mmcv.cnn.bricks.depthwise_separable_conv_module", "DepthwiseSeparableConvModule"): MMCV1,
    # mmcv.cnn.bricks.drop
    ("mmcv.cnn.bricks.drop", "build_dropout"): MMCV1,
    ("mmcv.cnn.bricks.drop", "Dropout"): MMCV1,
    ("mmcv.cnn.bricks.drop", "DROPOUT_LAYERS"): MMCV1,
    ("mmcv.cnn.bricks.drop", "DropPath"): MMCV1,
    # mmcv.cnn.bricks.generalized_attention
    ("mmcv.cnn.bricks.generalized_attention", "GeneralizedAttention"): MMCV1,
    ("mmcv.cnn.bricks.generalized_attention", "PLUGIN_LAYERS"): MMCV1,
    # mmcv.cnn.bricks.hsigmoid
    ("mmcv.cnn.bricks.hsigmoid", "ACTIVATION_LAYERS"): MMCV1,
    ("mmcv.cnn.bricks.hsigmoid", "HSigmoid"): MMCV1,
    # mmcv.cnn.bricks.hswish
    ("mmcv.cnn.bricks.hswish", "ACTIVATION_LAYERS"): MMCV1,
    ("mmcv.cnn.bricks.hswish", "HSwish"): MMCV1,
    # mmcv.cnn.bricks.non_local
    ("mmcv.cnn.bricks.non_local", "ConvModule"): MMCV1,
    ("mmcv.cnn.bricks.non_local", "NonLocal1d"): MMCV1,
    ("mmcv.cnn.bricks.non_local", "NonLocal2d"): MMCV1,
    ("mmcv.cnn.bricks.non_local", "NonLocal3d"): MMCV1,
    ("mmcv.cnn.bricks.non_local", "PLUGIN_LAYERS"): MMCV1,
    # mmcv.cnn.bricks.norm
    ("mmcv.cnn.bricks.norm", "build_norm_layer"): MMCV1,
    ("mmcv.cnn.bricks.norm", "infer_abbr"): MMCV1,
    ("mmcv.cnn.bricks.norm", "is_norm"): MMCV1,
    ("mmcv.cnn.bricks.norm", "NORM_LAYERS"): MMCV1,
    # mmcv.cnn.bricks.padding
    ("mmcv.cnn.bricks.padding", "build_padding_layer"): MMCV1,
    ("mmcv.cnn.bricks.padding", "PADDING_LAYERS"): MMCV1,
    # mmcv.cnn.bricks.plugin
    ("mmcv.cnn.bricks.plugin", "build_plugin_layer"): MMCV1,
    ("mmcv.cnn.bricks.plugin", "PLUGIN_LAYERS"): MMCV1,
    # mmcv.cnn.bricks.registry
    ("mmcv.cnn.bricks.registry", "ACTIVATION_LAYERS"): MMCV1,
    ("mmcv.cnn.bricks.registry", "CONV_LAYERS"): MMCV1,
    ("mmcv.cnn.bricks.registry", "DROPOUT_LAYERS"): MMCV1,
    ("mmcv.cnn.bricks.registry", "NORM_LAYERS"): MMCV1,
    ("mmcv.cnn.bricks.registry", "PADDING_LAYERS"): MMCV1,
    ("mmcv.cnn.bricks.registry", "PLUGIN_LAYERS"): MMCV1,
    ("mmcv.cnn.bricks.registry", "UPSAMPLE_LAYERS"): MMCV1,
    # mmcv.cnn.bricks.scale
    ("mmcv.cnn.bricks.scale", "Scale"): MMCV1,
    # mmcv.cnn.bricks.swish
    ("mmcv.cnn.bricks.swish", "ACTIVATION_LAYERS"): MMCV1,
    ("mmcv.cnn.bricks.swish", "Swish"): MMCV1,
    # mmcv.cnn.bricks.transformer
    ("mmcv.cnn.bricks.transformer", "AdaptivePadding"): MMCV1,
    ("mmcv.cnn.bricks.transformer", "build_activation_layer"): MMCV1,
    ("mmcv.cnn.bricks.transformer", "build_conv_layer"): MMCV1,
    ("mmcv.cnn.bricks.transformer", "build_dropout"): MMCV1,
    ("mmcv.cnn.bricks.transformer", "build_norm_layer"): MMCV1,
    ("mmcv.cnn.bricks.transformer", "FFN"): MMCV1,
    ("mmcv.cnn.bricks.transformer", "Linear"): MMCV1,
    ("mmcv.cnn.bricks.transformer", "MultiheadAttention"): MMCV1,
    ("mmcv.cnn.bricks.transformer", "PatchEmbed"): MMCV1,
    ("mmcv.cnn.bricks.transformer", "PatchMerging"): MMCV1,
    # mmcv.cnn.bricks.upsample
    ("mmcv.cnn.bricks.upsample", "build_upsample_layer"): MMCV1,
    ("mmcv.cnn.bricks.upsample", "PixelShufflePack"): MMCV1,
    ("mmcv.cnn.bricks.upsample", "UPSAMPLE_LAYERS"): MMCV1,
    # mmcv.cnn.bricks.wrappers
    ("mmcv.cnn.bricks.wrappers", "Conv2d"): MMCV1,
    ("mmcv.cnn.bricks.wrappers", "Conv3d"): MMCV1,
    ("mmcv.cnn.bricks.wrappers", "CONV_LAYERS"): MMCV1,
    ("mmcv.cnn.bricks.wrappers", "ConvTranspose2d"): MMCV1,
    ("mmcv.cnn.bricks.wrappers", "ConvTranspose3d"): MMCV1,
    ("mmcv.cnn.bricks.wrappers", "Linear"): MMCV1,
    ("mmcv.cnn.bricks.wrappers", "MaxPool2d"): MMCV1,
    ("mmcv.cnn.bricks.wrappers", "MaxPool3d"): MMCV1,
    ("mmcv.cnn.bricks.wrappers", "UPSAMPLE_LAYERS"): MMCV1,
    # mmcv.cnn.utils.flops_counter
    ("mmcv.cnn.utils.flops_counter", "Conv2d"): MMCV1,
    ("mmcv.cnn.utils.flops_counter", "Conv3d"): MMCV1,
    ("mmcv.cnn.utils.flops_counter", "ConvTranspose2d"): MMCV1,
    ("mmcv.cnn.utils.flops_counter", "Linear"): MMCV1,
    ("mmcv.cnn.utils.flops_counter", "MaxPool2d"): MMCV1,
    ("mmcv.cnn.utils.flops_counter", "MaxPool3d"): MMCV1,
}

#: Brick registries that behave as init registries do for the rules above (``parent=``
#: keeps them upstream; ``build_from_cfg`` called with them moves) when --bricks is on.
BRICK_REGISTRY_NAMES: frozenset[str] = frozenset(
    {
        "ACTIVATION_LAYERS",
        "CONV_LAYERS",
        "NORM_LAYERS",
        "PADDING_LAYERS",
        "UPSAMPLE_LAYERS",
        "DROPOUT_LAYERS",
        "PLUGIN_LAYERS",
    }
)

#: ``mmcv.*`` names that exist only in the mmcv 1.x flavour (mmcv 2.x replaced these
#: registries by mmengine's MODELS); checked against ``mminit`` by test_table.py.
MMCV1_ONLY_NAMES: frozenset[str] = frozenset(
    {
        "ACTIVATION_LAYERS",
        "CONV_LAYERS",
        "NORM_LAYERS",
        "PADDING_LAYERS",
        "UPSAMPLE_LAYERS",
        "DROPOUT_LAYERS",
        "PLUGIN_LAYERS",
    }
)
