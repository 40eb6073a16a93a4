"""The extra bricks: what is registered where, registry ``build``, plugin names, and the
plain-``nn.Module`` identity the init system relies on.  (Bit-parity with mmcv is checked
by compat_tests/bricks/test_extra_bricks.py.)  With mmengine already imported, the
``mminit`` flavour resolves names through mmengine's ``MODELS`` first, as mmcv 2.x does,
so these tests compare class names where upstream's class may answer."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import mminit
from mminit import mmcv1


def test_mmcv1_plugin_and_dropout_registries_hold_upstreams_names() -> None:
    assert sorted(mmcv1.PLUGIN_LAYERS.module_dict) == [
        "ContextBlock",
        "ConvModule",
        "GeneralizedAttention",
        "NonLocal2d",
    ]
    assert mmcv1.PLUGIN_LAYERS.get("ConvModule") is mmcv1.ConvModule
    assert sorted(mmcv1.DROPOUT_LAYERS.module_dict) == ["DropPath", "Dropout"]


def test_mmcv2_registers_them_in_the_one_table() -> None:
    for name in (
        "ContextBlock",
        "NonLocal2d",
        "DropPath",
        "Dropout",
        "ConvModule",
        "GeneralizedAttention",
    ):
        assert mminit.LAYERS.module_dict[name] is getattr(mminit, name)


def test_each_flavour_builds_its_own_conv_module() -> None:
    assert type(mmcv1.NonLocal2d(4).g) is mmcv1.ConvModule
    assert type(mminit.NonLocal2d(4).g) is mminit.ConvModule
    dsc = mminit.DepthwiseSeparableConvModule(4, 8, 3)
    assert type(dsc.depthwise_conv) is mminit.ConvModule
    assert dsc.depthwise_conv.conv.groups == 4


def test_class_ancestry_is_upstreams() -> None:
    for lib in (mminit, mmcv1):
        assert [c.__name__ for c in lib.NonLocal2d.__mro__] == [
            "NonLocal2d",
            "_NonLocalNd",
            "Module",
            "object",
        ]
        assert lib.DepthwiseSeparableConvModule.__mro__[1:] == (nn.Module, object)
        assert not hasattr(lib.DepthwiseSeparableConvModule(2, 2, 1), "init_weights")


@pytest.mark.parametrize("lib", [mminit, mmcv1])
def test_build_plugin_layer_names(lib: object) -> None:
    name, layer = lib.build_plugin_layer({"type": "ContextBlock", "ratio": 0.5}, 1, in_channels=4)  # type: ignore[attr-defined]
    assert name == "context_block1" and type(layer).__name__ == "ContextBlock"
    name, _ = lib.build_plugin_layer({"type": "NonLocal2d"}, in_channels=4)  # type: ignore[attr-defined]
    assert name == "nonlocal_block"
    with pytest.raises(KeyError, match="NoSuchPlugin"):
        lib.build_plugin_layer({"type": "NoSuchPlugin"})  # type: ignore[attr-defined]
    with pytest.raises(AssertionError, match="postfix"):
        lib.build_plugin_layer({"type": "ContextBlock", "ratio": 0.5}, 1.5, in_channels=4)  # type: ignore[attr-defined]


def test_mmcv1_registry_build_prefixes_constructor_errors() -> None:
    with pytest.raises(TypeError, match="^ContextBlock: "):
        mmcv1.PLUGIN_LAYERS.build({"type": "ContextBlock", "in_channels": 4})
    drop = mmcv1.DROPOUT_LAYERS.build({"type": "Dropout"}, default_args={"drop_prob": 0.2})
    assert isinstance(drop, mmcv1.Dropout) and drop.p == 0.2
    with pytest.raises(KeyError, match="NoSuch"):
        mmcv1.DROPOUT_LAYERS.build({"type": "NoSuch"})


def test_mmcv2_build_of_a_list_is_a_sequential() -> None:
    built = mminit.build_dropout([{"type": "DropPath"}, {"type": "Dropout"}])
    assert isinstance(built, mminit.Sequential)
    assert [type(m).__name__ for m in built] == ["DropPath", "Dropout"]
    with pytest.raises(TypeError):
        mmcv1.build_dropout([{"type": "DropPath"}])


def test_drop_path_is_identity_in_eval_and_scales_kept_samples() -> None:
    layer = mminit.DropPath(0.5)
    x = torch.ones(64, 3)
    assert layer.eval()(x) is x
    torch.manual_seed(0)
    y = layer.train()(x)
    assert set(y.flatten().tolist()) <= {0.0, 2.0}


def test_bad_args_raise_assertion_errors_naming_the_argument() -> None:
    with pytest.raises(AssertionError, match="pooling_type"):
        mminit.ContextBlock(4, 0.5, pooling_type="max")
    with pytest.raises(AssertionError, match="groups"):
        mmcv1.DepthwiseSeparableConvModule(4, 4, 3, groups=2)
    with pytest.raises(ValueError, match="cosine"):
        mminit.NonLocal2d(4, mode="cosine")


def test_generalized_attention_spatial_range_needs_256_or_512_channels() -> None:
    # upstream leaves its map size unset and fails with UnboundLocalError; same type, clear words
    with pytest.raises(UnboundLocalError, match="in_channels 256 or 512, got in_channels=16"):
        mminit.GeneralizedAttention(16, num_heads=2, spatial_range=1)
    layer = mminit.GeneralizedAttention(256, num_heads=8, spatial_range=0)
    assert (
        layer.local_constraint_map.dtype == torch.uint8
        and not layer.local_constraint_map.requires_grad
    )
    assert layer(torch.randn(1, 256, 4, 4)).shape == (1, 256, 4, 4)


def test_generalized_attention_masks_as_its_flavour_does() -> None:
    assert mminit.GeneralizedAttention._bool_mask and not mmcv1.GeneralizedAttention._bool_mask


def test_ffn_flavours() -> None:
    # mmcv 1.x: one shared activation, extra keyword arguments ignored; mmcv 2.x: one per layer
    old = mmcv1.FFN(embed_dims=4, feedforward_channels=8, num_fcs=3, no_such_arg=1)
    assert old.layers[0][1] is old.activate is old.layers[1][1]
    new = mminit.FFN(embed_dims=4, feedforward_channels=8, num_fcs=3, layer_scale_init_value=0.5)
    assert new.layers[0][1] is not new.layers[1][1] and isinstance(new.gamma2, mminit.LayerScale)
    with pytest.raises(TypeError):
        mminit.FFN(no_such_arg=1)
    assert not hasattr(mmcv1, "LayerScale")
    assert isinstance(old, mmcv1.BaseModule) and isinstance(new, mminit.BaseModule)


def test_ffn_renames_deprecated_arguments_with_upstreams_warning() -> None:
    with pytest.warns(
        DeprecationWarning, match='"dropout" is deprecated in `FFN.__init__`, please use "ffn_drop"'
    ):
        ffn = mminit.FFN(embed_dims=4, feedforward_channels=4, dropout=0.25)
    assert ffn.layers[-1].p == 0.25
    with pytest.raises(AssertionError, match="'dropout' and its replacement 'ffn_drop'"):
        mmcv1.FFN(dropout=0.1, ffn_drop=0.2)
    x = torch.randn(2, 3, 4)
    with pytest.warns(DeprecationWarning, match='"residual" is deprecated in `FFN.forward`'):
        assert torch.equal(ffn.eval()(x, residual=x), ffn(x, identity=x))


@pytest.mark.parametrize("lib", [mminit, mmcv1])
def test_patch_embed_pads_adaptively_and_reports_its_output_size(lib: object) -> None:
    embed = lib.PatchEmbed(in_channels=3, embed_dims=8, kernel_size=4, stride=4, input_size=10)  # type: ignore[attr-defined]
    assert isinstance(embed, lib.BaseModule) and embed.init_out_size == (3, 3)  # type: ignore[attr-defined]
    x, size = embed(torch.randn(2, 3, 10, 10))
    assert x.shape == (2, 9, 8) and size == (3, 3)
    with pytest.raises(AssertionError, match="padding must be one of"):
        lib.AdaptivePadding(padding="valid")  # type: ignore[attr-defined]


@pytest.mark.parametrize("lib", [mminit, mmcv1])
def test_patch_merging_halves_the_map(lib: object) -> None:
    merge = lib.PatchMerging(in_channels=3, out_channels=6)  # type: ignore[attr-defined]
    x, size = merge(torch.randn(2, 5 * 4, 3), (5, 4))
    assert x.shape == (2, 3 * 2, 6) and size == (3, 2)  # corner padding: 5 -> 6 rows
    with pytest.raises(AssertionError, match="wrong size"):
        merge(torch.randn(2, 7, 3), (5, 4))


def test_multihead_attention_deprecated_dropout_rewrites_the_shared_default_upstream_oddity() -> (
    None
):
    """Upstream writes a deprecated ``dropout=`` into its default ``dropout_layer`` dict,
    which every later instance shares; kept (and restored here)."""
    from mminit.bricks._transformer import _MHA_DROPOUT_DEFAULT

    saved = dict(_MHA_DROPOUT_DEFAULT)
    try:
        with pytest.warns(
            DeprecationWarning, match="`dropout` in MultiheadAttention has been deprecated"
        ):
            first = mminit.MultiheadAttention(4, 2, dropout=0.25)
        later = mmcv1.MultiheadAttention(4, 2)
        assert first.attn.dropout == 0.25 and first.dropout_layer.p == 0.25
        assert later.dropout_layer.p == 0.25  # the shared default was rewritten
    finally:
        _MHA_DROPOUT_DEFAULT.clear()
        _MHA_DROPOUT_DEFAULT.update(saved)
    out = mminit.MultiheadAttention(4, 2, batch_first=True)(torch.randn(3, 5, 4))
    assert out.shape == (3, 5, 4)
