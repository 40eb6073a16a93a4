"""Parity of the initializers, ``initialize``, overrides and the registry with upstream."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from .libs import requested_flavours
from .test_core_support import assert_same, both

FLAVOURS = requested_flavours()


class MyConv(nn.Conv2d):
    pass


class MyConvChild(MyConv):
    pass


def _tree(L):
    class Net(L.BaseModule):
        def __init__(self, init_cfg=None):
            super().__init__(init_cfg)
            self.conv = nn.Conv2d(3, 4, 3)
            self.myconv = MyConv(4, 4, 1)
            self.grandchild = MyConvChild(4, 2, 1, bias=False)
            self.fc = nn.Linear(4, 3)
            self.bn = nn.BatchNorm2d(4)
            self.gn = nn.GroupNorm(2, 4)
            self.emb = nn.Embedding(5, 3)
            self.head = nn.Sequential(nn.Linear(3, 3), nn.ReLU(), nn.Linear(3, 2, bias=False))

    return Net


INIT_CFGS = {
    "constant": dict(type="Constant", val=0.5, bias=0.1, layer="Conv2d"),
    "xavier-uniform": dict(
        type="Xavier", gain=2, distribution="uniform", layer=["Conv2d", "Linear"]
    ),
    "xavier-normal": dict(type="Xavier", layer="Linear", bias=0.3),
    "normal": dict(type="Normal", mean=0.2, std=0.01, layer="Linear"),
    "trunc-normal": dict(type="TruncNormal", std=0.02, a=-0.04, b=0.04, layer="Linear"),
    "trunc-normal-warn": dict(type="TruncNormal", mean=5.0, std=0.5, layer="Linear"),
    "uniform-default": dict(type="Uniform", layer="Linear"),
    "uniform": dict(type="Uniform", a=-1, b=2.5, layer="Linear"),
    "kaiming": dict(type="Kaiming", layer="Conv2d"),
    "kaiming-uniform-in": dict(
        type="Kaiming",
        a=0.1,
        mode="fan_in",
        nonlinearity="leaky_relu",
        distribution="uniform",
        layer=["Conv2d", "Linear"],
    ),
    "caffe2": dict(type="Caffe2Xavier", layer="Conv2d"),
    "bias-prob": dict(type="Normal", std=0.01, bias_prob=0.01, layer="Linear"),
    "bias-prob-one": dict(type="Constant", val=1, bias_prob=1.0, layer="Linear"),
    "layer-matches-nothing": dict(type="Constant", val=3, layer="NoSuchLayer"),
    "no-layer": dict(type="Constant", val=3),
    "direct-base-only": dict(type="Constant", val=2, bias=1, layer="MyConv"),
    "base-name": dict(type="Constant", val=2, layer="Module"),
    "norms": [
        dict(type="Constant", val=1, layer=["BatchNorm2d", "GroupNorm"]),
        dict(type="Normal", std=0.1, layer="Embedding"),
    ],
    "list-of-cfgs": [
        dict(type="Kaiming", layer="Conv2d"),
        dict(type="Constant", val=1, layer="_BatchNorm"),
    ],
    "override-dict": dict(
        type="Constant", val=1, layer="Linear", override=dict(type="Normal", name="head", std=0.5)
    ),
    "override-list": dict(
        type="Constant",
        val=1,
        layer="Conv2d",
        override=[dict(name="fc"), dict(type="Uniform", name="emb", a=-1, b=1)],
    ),
    "override-name-only": dict(type="Xavier", layer="Conv2d", override=dict(name="head")),
    "override-no-name": dict(
        type="Constant", val=1, layer="Linear", override=dict(type="Constant", val=2)
    ),
    "override-args-no-type": dict(type="Constant", val=1, override=dict(name="fc", val=2)),
    "override-missing-attr": dict(type="Constant", val=1, override=dict(name="nope")),
    "override-bad-type": dict(type="Constant", val=1, override="fc"),
    "xavier-1d-error": dict(type="Xavier", layer="BatchNorm2d"),
    "bad-distribution": dict(type="Kaiming", distribution="bogus", layer="Conv2d"),
    "bad-mode": dict(type="Kaiming", mode="fan_middle", layer="Conv2d"),
    "bad-bias": dict(type="Constant", val=1, bias="0"),
    "bad-bias-prob": dict(type="Constant", val=1, bias_prob=1),
    "bad-layer": dict(type="Constant", val=1, layer=("Linear",)),
    "unknown-type": dict(type="NoSuchInit"),
    "missing-type": dict(val=1),
    "missing-arg": dict(type="Constant"),
    "class-as-type": "class",
}


def _cfg(L, key):
    cfg = INIT_CFGS[key]
    return dict(type=L.ConstantInit, val=4, layer="Linear") if cfg == "class" else cfg


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("key", list(INIT_CFGS))
def test_initialize_matches_upstream(flavour, key):
    """``initialize(model, cfg)`` gives the same tensors, errors and warnings."""
    ours, theirs = both(flavour, lambda L: (lambda m: L.initialize(m, _cfg(L, key)), _tree(L)))
    assert_same(ours, theirs)


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("key", [k for k in INIT_CFGS if "error" not in k and "bad" not in k])
def test_init_cfg_through_base_module(flavour, key):
    """The same cfgs as a BaseModule ``init_cfg``: tensors and the init-info dump agree."""
    ours, theirs = both(
        flavour, lambda L: (lambda m: m.init_weights(), lambda: _tree(L)(_cfg(L, key)))
    )
    assert_same(ours, theirs)


def test_shared_cfg_is_not_mutated():
    import mminit

    cfg = dict(type="Constant", val=1, layer="Linear", override=dict(name="fc"))
    for _ in range(2):
        mminit.initialize(_tree(mminit)(), cfg)
    assert cfg == dict(type="Constant", val=1, layer="Linear", override=dict(name="fc"))


HELPERS = {
    "constant_init": dict(val=0.3, bias=0.2),
    "xavier_init": dict(gain=0.5, distribution="uniform"),
    "normal_init": dict(mean=1, std=3, bias=1),
    "trunc_normal_init": dict(std=0.02),
    "uniform_init": dict(a=-2, b=-1),
    "kaiming_init": dict(mode="fan_in", distribution="uniform"),
    "caffe2_xavier_init": dict(bias=0.5),
}


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("name", list(HELPERS))
@pytest.mark.parametrize("layer", ["conv", "linear-nobias", "bn"])
def test_helpers_match_upstream(flavour, name, layer):
    factory = {
        "conv": lambda: nn.Conv2d(2, 3, 3),
        "linear-nobias": lambda: nn.Linear(4, 5, bias=False),
        "bn": lambda: nn.BatchNorm1d(3),
    }[layer]
    ours, theirs = both(
        flavour, lambda L: (lambda m: getattr(L, name)(m, **HELPERS[name]), factory)
    )
    assert_same(ours, theirs)


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("args", [(), (0.0, 1.0), (0.0, 0.02, -0.04, 0.04), (3.0, 0.1)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16])
def test_trunc_normal_matches_upstream(flavour, args, dtype):
    def make(L):
        t = torch.empty(17, 9, dtype=dtype)
        return (lambda: L.trunc_normal_(t, *args).clone(),)

    ours, theirs = both(flavour, make)
    assert_same(ours, theirs)
    assert torch.equal(ours.value, theirs.value)


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("p", [0.01, 0.5, 0.999, 1e-7, 1.0, 1.5])
def test_bias_init_with_prob_matches_upstream(flavour, p):
    ours, theirs = both(flavour, lambda L: (lambda: L.bias_init_with_prob(p),))
    assert_same(ours, theirs)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_bias_init_with_prob_matches_upstream_bit_for_bit_on_random_probabilities(flavour):
    # Upstream computes ``float(-np.log((1 - p) / p))``: numpy's log, not math.log, and the
    # two differ in the last bit for some p (about 0.2% with numpy 2.x, 24% with numpy 1.26).
    # 20,000 probabilities: uniform in (0, 1) and log-uniform down to 1e-12, both ends.
    gen = torch.Generator().manual_seed(20)
    uniform = torch.rand(10_000, generator=gen, dtype=torch.float64)
    tiny = 10 ** (-12 * torch.rand(5_000, generator=gen, dtype=torch.float64))
    probs = [p for p in torch.cat([uniform, tiny, 1 - tiny]).tolist() if 0 < p]
    assert len(probs) >= 10_000
    ours, theirs = both(flavour, lambda L: (lambda: [L.bias_init_with_prob(p) for p in probs],))
    assert ours.exc is None and theirs.exc is None, (ours.exc, theirs.exc)
    assert ours.warnings == theirs.warnings
    differ = [
        (p, a, b)
        for p, a, b in zip(probs, ours.value, theirs.value, strict=True)
        if a.hex() != b.hex()
    ]
    assert not differ, f"{len(differ)} of {len(probs)} differ from upstream, e.g. {differ[:3]}"


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize(
    "cls",
    [
        "ConstantInit",
        "XavierInit",
        "NormalInit",
        "TruncNormalInit",
        "UniformInit",
        "KaimingInit",
        "Caffe2XavierInit",
    ],
)
def test_info_strings_match_upstream(flavour, cls):
    kwargs = {"ConstantInit": dict(val=2)}.get(cls, {})
    ours, theirs = both(flavour, lambda L: (lambda: getattr(L, cls)(**kwargs)._get_init_info(),))
    assert ours.value == theirs.value


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_pretrained_info_and_map_location_match(flavour):
    ours, theirs = both(
        flavour,
        lambda L: (
            lambda: (
                L.PretrainedInit("x.pth")._get_init_info(),
                L.PretrainedInit("x.pth").map_location,
            ),
        ),
    )
    assert ours.value == theirs.value


REGISTRY_OPS = {
    "register-decorator": lambda R: R.register_module()(type("CustomA", (), {})).__name__,
    "register-name": lambda R: R.register_module(name="CustomB", module=type("X", (), {})).__name__,
    "register-list": lambda R: (
        R.register_module(["CustomC", "CustomD"], module=type("Y", (), {})).__name__
    ),
    "duplicate": lambda R: R.register_module(name="Constant", module=type("Z", (), {})),
    "force-type-error": lambda R: R.register_module(force=1),
    "name-type-error": lambda R: R.register_module(name=3),
    "register-instance": lambda R: R.register_module(module=3),
    "contains": lambda R: ("Constant" in R, "Nope" in R, "Pretrained" in R),
    "get-missing": lambda R: R.get("Nope"),
    "get-builtin": lambda R: R.get("Kaiming").__name__,
    # names the library itself registers (other tests in this process register more)
    "builtin-names": lambda R: sorted(
        k
        for k, v in R.module_dict.items()
        if getattr(v, "__module__", "").split(".")[0] in ("mminit", "mmengine", "mmcv")
    ),
}


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("op", list(REGISTRY_OPS))
def test_registry_matches_upstream(flavour, op):
    ours, theirs = both(flavour, lambda L: (lambda: REGISTRY_OPS[op](L.REGISTRY),))
    assert_same(ours, theirs)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_custom_initializer_matches_upstream(flavour):
    """A custom initializer reading ``wholemodule``, used as a type and through override."""

    def make(L):
        name = "HalvesInit"

        @L.REGISTRY.register_module(name=name, force=True)
        class Halves(L.BaseInit):
            def __call__(self, module):
                for m in module.modules():
                    if (self.wholemodule or type(m).__name__ in self.layer) and getattr(
                        m, "weight", None
                    ) is not None:
                        nn.init.constant_(m.weight, 0.5)
                if hasattr(module, "_params_init_info"):
                    L.update_init_info(module, init_info="halves")

        cfg = dict(type="Constant", val=1, layer="Linear", override=dict(type=name, name="head"))
        return (
            lambda m: m.init_weights(),
            lambda: _tree(L)([cfg, dict(type=name, layer="Conv2d")]),
        )

    ours, theirs = both(flavour, make)
    assert_same(ours, theirs)
