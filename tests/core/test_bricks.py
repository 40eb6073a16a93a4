"""Layer bricks on their own (no upstream needed): errors, registries, ConvModule's quirks.

Parity with real mmcv is checked by compat_tests/bricks; these tests pin the
behaviour mminit adds (messages, registration) and the upstream oddities kept on purpose.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import warnings

import pytest
import torch
from torch import nn

import mminit
from mminit import mmcv1

FLAVOURS = [pytest.param(mminit, id="mminit"), pytest.param(mmcv1, id="mmcv1")]


# -- bad input ------------------------------------------------------------------------------
@pytest.mark.parametrize("lib", FLAVOURS)
def test_unknown_type_is_a_key_error_naming_registry_type_and_close_matches(lib) -> None:
    with pytest.raises(KeyError) as info:
        lib.build_conv_layer({"type": "Cnv2d"}, 3, 4, 1)
    msg = str(info.value)
    assert "'Cnv2d'" in msg and "Conv2d" in msg and "close matches: Conv2d" in msg
    assert ("CONV_LAYERS" if lib is mmcv1 else "LAYERS") in msg
    with pytest.raises(KeyError, match="unknown norm layer type 'bn2D'.*close matches: BN2d"):
        lib.build_norm_layer({"type": "bn2D"}, 4)
    with pytest.raises(KeyError, match="unknown activation layer type 'Relu'.*close matches: ReLU"):
        lib.build_activation_layer({"type": "Relu"})


@pytest.mark.parametrize("lib", FLAVOURS)
@pytest.mark.parametrize(
    "order", [("conv", "norm"), ["conv", "norm", "act"], ("conv", "norm", "nrm")]
)
def test_wrong_order_is_an_assertion_error_naming_allowed_and_received(lib, order) -> None:
    with pytest.raises(
        AssertionError, match=r"order must be a tuple of 'conv', 'norm' and 'act'.*got"
    ):
        lib.ConvModule(2, 2, 1, order=order)


@pytest.mark.parametrize("lib", FLAVOURS)
@pytest.mark.parametrize("arg", ["conv_cfg", "norm_cfg", "act_cfg"])
def test_non_dict_cfg_of_conv_module_is_an_assertion_error(lib, arg) -> None:
    with pytest.raises(AssertionError, match=f"{arg} must be None or a dict, got 'X' of type str"):
        lib.ConvModule(2, 2, 1, **{arg: "X"})


@pytest.mark.parametrize("lib", FLAVOURS)
def test_non_dict_cfg_of_builders_is_a_type_error(lib) -> None:
    for build in (
        lib.build_conv_layer,
        lib.build_norm_layer,
        lib.build_upsample_layer,
        lib.build_padding_layer,
    ):
        with pytest.raises(TypeError, match="cfg must be a dict"):
            build("Conv2d", 2)
    with pytest.raises(TypeError, match="cfg (must|should) be a dict"):
        lib.build_activation_layer("ReLU")
    with pytest.raises(KeyError, match='must contain the key "type"'):
        lib.build_norm_layer({}, 2)


@pytest.mark.parametrize("lib", FLAVOURS)
def test_groupnorm_needs_num_groups_and_postfix_must_be_int_or_str(lib) -> None:
    with pytest.raises(AssertionError, match="needs 'num_groups'"):
        lib.build_norm_layer({"type": "GN"}, 4)
    with pytest.raises(AssertionError, match="postfix must be an int or a str, got 1.5"):
        lib.build_norm_layer({"type": "BN"}, 4, postfix=1.5)


def test_mmcv1_class_as_type_fails_as_upstream_with_attribute_error() -> None:
    # mmcv 1.x's registry calls key.find('.') on the class; mmcv 2.x accepts classes
    with pytest.raises(AttributeError, match="must be a registered name"):
        mmcv1.build_conv_layer({"type": nn.Conv2d}, 2, 2, 1)
    assert isinstance(mminit.build_conv_layer({"type": nn.Conv2d}, 2, 2, 1), nn.Conv2d)
    # build_activation_layer goes through build_from_cfg, which takes classes in both
    assert isinstance(mmcv1.build_activation_layer({"type": nn.ReLU}), nn.ReLU)


def test_mmcv1_activation_errors_are_prefixed_with_the_class_name() -> None:
    with pytest.raises(TypeError, match=r"^LeakyReLU: "):
        mmcv1.build_activation_layer({"type": "LeakyReLU", "foo": 1})
    with pytest.raises(TypeError) as info:
        mminit.build_activation_layer({"type": "LeakyReLU", "foo": 1})
    assert not str(info.value).startswith("LeakyReLU: ")


def test_mmcv2_activation_list_builds_a_sequential_upstream_oddity() -> None:
    # mmcv 2.x builds activations with MODELS.build, which turns a list into a Sequential
    seq = mminit.build_activation_layer([{"type": "ReLU"}, {"type": "Tanh"}])
    assert isinstance(seq, mminit.Sequential) and [type(m) for m in seq] == [nn.ReLU, nn.Tanh]
    with pytest.raises(TypeError):
        mmcv1.build_activation_layer([{"type": "ReLU"}])


def test_mmcv2_shares_one_table_across_builders_upstream_oddity() -> None:
    # mmcv 2.x keeps every layer in MODELS, so build_conv_layer builds a norm by its name
    assert isinstance(mminit.build_conv_layer({"type": "BN"}, 4), nn.BatchNorm2d)
    with pytest.raises(KeyError):
        mmcv1.build_conv_layer({"type": "BN"}, 4)


# -- norm names --------------------------------------------------------------------------------
@pytest.mark.parametrize("lib", FLAVOURS)
def test_norm_name_inference_and_postfix(lib) -> None:
    expect = {
        "BN": "bn",
        "BN3d": "bn",
        "SyncBN": "bn",
        "GN": "gn",
        "LN": "ln",
        "IN": "in",
        "IN1d": "in",
    }
    for layer_type, abbr in expect.items():
        cfg = {"type": layer_type, "num_groups": 2} if layer_type == "GN" else {"type": layer_type}
        name, layer = lib.build_norm_layer(cfg, 4, postfix=3)
        assert name == f"{abbr}3" and layer.eps == 1e-5

    class FancyGroupThing(nn.Module):
        def __init__(self, num_features: int, eps: float) -> None:
            super().__init__()

    class Tagged(FancyGroupThing):
        _abbr_ = "tg"

    assert lib.infer_abbr(FancyGroupThing) == "gn" and lib.infer_abbr(Tagged) == "tg"
    with pytest.raises(TypeError, match="class_type must be a type"):
        lib.infer_abbr(FancyGroupThing(1, 1.0))


@pytest.mark.parametrize("lib", FLAVOURS)
def test_requires_grad_false_freezes_the_norm(lib) -> None:
    _, layer = lib.build_norm_layer({"type": "BN", "requires_grad": False}, 4)
    assert [p.requires_grad for p in layer.parameters()] == [False, False]


# -- registries --------------------------------------------------------------------------------
def test_mmcv1_registries_register_and_reject_duplicates() -> None:
    @mmcv1.CONV_LAYERS.register_module()
    class TestOnlyConv(nn.Conv2d):
        pass

    assert "TestOnlyConv" in mmcv1.CONV_LAYERS and "TestOnlyConv" not in mmcv1.NORM_LAYERS
    block = mmcv1.ConvModule(2, 3, 1, conv_cfg={"type": "TestOnlyConv"})
    assert type(block.conv) is TestOnlyConv
    with pytest.raises(KeyError, match="already registered in CONV_LAYERS"):
        mmcv1.CONV_LAYERS.register_module(name="TestOnlyConv", module=nn.Conv2d)
    mmcv1.CONV_LAYERS.register_module(name="TestOnlyConv", module=nn.Conv2d, force=True)
    assert mmcv1.CONV_LAYERS.get("TestOnlyConv") is nn.Conv2d
    with pytest.raises(TypeError, match="force must be a bool"):
        mmcv1.CONV_LAYERS.register_module(force=1)


def test_mminit_layers_table_registers_for_every_builder() -> None:
    @mminit.LAYERS.register_module(name="TestOnlyAct")
    class Doubler(nn.Module):
        def __init__(self, inplace: bool = False) -> None:
            super().__init__()

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return 2 * x

    block = mminit.ConvModule(1, 1, 1, act_cfg={"type": "TestOnlyAct"})
    assert isinstance(block.activate, Doubler)


# -- ConvModule --------------------------------------------------------------------------------
@pytest.mark.parametrize("lib", FLAVOURS)
def test_conv_module_is_the_flavours_base_module(lib) -> None:
    block = lib.ConvModule(3, 4, 3, norm_cfg={"type": "BN"})
    assert isinstance(block, lib.BaseModule) and block.__class__.__module__ == lib.__name__
    assert block.norm_name == "bn" and block.norm is block.bn and block.conv.bias is None
    assert lib.ConvModule(3, 4, 3).norm is None


@pytest.mark.parametrize("lib", FLAVOURS)
def test_conv_module_ignores_the_parents_init_cfg_upstream_oddity(lib) -> None:
    # the parent's init_cfg runs first, then each child's init_weights: ConvModule's
    # Kaiming init overwrites the parent's Constant on its own conv
    class Parent(lib.BaseModule):
        def __init__(self) -> None:
            super().__init__(init_cfg={"type": "Constant", "layer": "Conv2d", "val": 3.0})
            self.block = lib.ConvModule(2, 2, 1)
            self.head = nn.Conv2d(2, 2, 1)

    model = Parent()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.init_weights()
    assert torch.all(model.head.weight == 3.0)
    assert not torch.all(model.block.conv.weight == 3.0)


@pytest.mark.parametrize("lib", FLAVOURS)
def test_conv_module_kaiming_uses_the_leaky_relu_slope(lib) -> None:
    torch.manual_seed(0)
    block = lib.ConvModule(4, 8, 3, act_cfg={"type": "LeakyReLU", "negative_slope": 0.2})
    expected = nn.Conv2d(4, 8, 3)
    torch.manual_seed(1)
    block.init_weights()
    torch.manual_seed(1)
    nn.init.kaiming_normal_(expected.weight, a=0.2, mode="fan_out", nonlinearity="leaky_relu")
    assert torch.equal(block.conv.weight, expected.weight)
    assert torch.all(block.conv.bias == 0)


def test_efficient_conv_bn_eval_is_mmcv2_only_and_matches_the_plain_forward() -> None:
    with pytest.raises(TypeError):
        mmcv1.ConvModule(2, 2, 1, efficient_conv_bn_eval=True)
    torch.manual_seed(0)
    block = mminit.ConvModule(
        3, 4, 3, padding=1, norm_cfg={"type": "BN"}, efficient_conv_bn_eval=True
    )
    block.train()
    x = torch.randn(2, 3, 6, 6)
    block(x)  # updates running stats
    block.eval()
    fused = block(x)
    block.turn_on_efficient_conv_bn_eval(False)
    assert block.efficient_conv_bn_eval_forward is None
    torch.testing.assert_close(fused, block(x))
    assert "forward" not in vars(block.conv)  # the temporary forward was removed
    pair = mminit.ConvModule.create_from_conv_bn(nn.Conv2d(3, 4, 1), nn.BatchNorm2d(4))
    assert pair.norm_name == "bn" and pair.with_activation is False


def test_conv_aws_derives_gamma_and_beta_from_a_plain_conv_checkpoint() -> None:
    plain = nn.Conv2d(2, 3, 3)
    aws = mmcv1.ConvAWS2d(2, 3, 3)
    result = aws.load_state_dict(plain.state_dict(), strict=False)
    assert result.missing_keys == []
    rows = plain.weight.detach().view(3, -1)
    torch.testing.assert_close(aws.weight_beta.view(-1), rows.mean(dim=1))
    torch.testing.assert_close(aws.weight_gamma.view(-1), torch.sqrt(rows.var(dim=1) + 1e-5))
    again = mmcv1.ConvAWS2d(2, 3, 3)
    again.load_state_dict(aws.state_dict())
    assert torch.equal(again.weight_gamma, aws.weight_gamma)


def test_without_upstream_the_builders_use_mminits_own_classes() -> None:
    code = textwrap.dedent("""
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split('.')[0] in ('mmcv', 'mmengine'):
                    raise ImportError(name)
        sys.meta_path.insert(0, Block())
        import mminit, mminit.mmcv1
        for lib in (mminit, mminit.mmcv1):
            conv = lib.build_conv_layer(dict(type='Conv'), 2, 2, 1)
            assert type(conv) is lib.Conv2d, type(conv)
            assert type(lib.build_upsample_layer(dict(type='deconv'), 2, 2, 2)) is lib.ConvTranspose2d
            assert lib.build_upsample_layer(dict(type='bilinear', scale_factor=2)).mode == 'bilinear'
        assert not any(m.split('.')[0] in ('mmcv', 'mmengine') for m in sys.modules)
        print('ok')
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.stdout.strip() == "ok", out.stderr
