"""Fast mode across a user ``init_weights`` that calls ``super()`` first and then only overwrites.

mmpretrain's ViT layers do ``super().init_weights()`` and then
``nn.init.xavier_uniform_`` on the FFN weights the ``init_cfg`` just filled.
Fast mode leaves its pending fills in place across such code and drops the
ones the user overwrote (instead of filling them first): the user's values
stand, info strings are compat mode's, and nothing is filled twice.
"""

from __future__ import annotations

import logging

import pytest
import torch
from torch import nn

import mminit
import mminit.mmcv1
from mminit._modules.user_code import writes_only_after_super

LIBS = [mminit, mminit.mmcv1]


def _model(L):
    class Layer(L.BaseModule):
        def __init__(self):
            super().__init__()
            self.attn = nn.Linear(16, 16)
            self.ffn = L.Sequential(nn.Linear(16, 64), nn.GELU(), nn.Linear(64, 16))

        def init_weights(self):
            super().init_weights()
            for m in self.ffn.modules():
                if isinstance(m, nn.Linear):
                    nn.init.xavier_uniform_(m.weight)
                    nn.init.normal_(m.bias, std=1e-6)

    class Backbone(L.BaseModule):
        def __init__(self):
            super().__init__(dict(type="TruncNormal", layer="Linear", std=0.02))
            self.pos_embed = nn.Parameter(torch.zeros(1, 4, 16))
            self.layers = L.ModuleList([Layer(), Layer()])

        def init_weights(self):
            super().init_weights()
            if not (isinstance(self.init_cfg, dict) and self.init_cfg["type"] == "Pretrained"):
                mminit.trunc_normal_(self.pos_embed, std=0.02)

    class Net(L.BaseModule):
        def __init__(self):
            super().__init__(dict(type="Constant", layer="Linear", val=0.5))
            self.backbone = Backbone()
            self.head = nn.Linear(16, 3)

    return Net()


def _dump(L, model, mode):
    """The init-info strings the dump would write (the dump's logger enabled for INFO:
    with nobody to see the strings the engine computes none)."""
    table = {}
    original = L.BaseModule.__dict__["init_weights"]

    from mminit._modules import base_module as _base_module

    real = _base_module._dump_init_info

    def capture(module, kind):
        for name, p in module.named_parameters():
            table[name] = module._params_init_info[p]["init_info"]

    _base_module._dump_init_info = capture
    logger = logging.getLogger("mminit")
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        torch.manual_seed(0)
        model.init_weights(mode=mode)
    finally:
        _base_module._dump_init_info = real
        logger.setLevel(level)
    assert L.BaseModule.__dict__["init_weights"] is original
    return table


@pytest.mark.parametrize("L", LIBS, ids=lambda m: m.__name__)
def test_write_only_user_code_is_recognised(L):
    model = _model(L)
    ours = (L.BaseModule,)
    assert writes_only_after_super(type(model.backbone.layers[0]), ours)
    assert writes_only_after_super(type(model.backbone), ours)

    class Reads(L.BaseModule):
        def init_weights(self):
            super().init_weights()
            self.fc.weight.data.mul_(2)  # reads the value: must not be held

    class ReadsMean(L.BaseModule):
        def init_weights(self):
            super().init_weights()
            if self.fc.weight.mean() > 0:
                nn.init.zeros_(self.fc.weight)

    assert not writes_only_after_super(Reads, ours)
    assert not writes_only_after_super(ReadsMean, ours)


@pytest.mark.parametrize("L", LIBS, ids=lambda m: m.__name__)
def test_fast_keeps_user_overwrites_and_compat_info(L):
    compat = _dump(L, _model(L), "compat")
    model = _model(L)
    fast = _dump(L, model, "fast")
    assert fast == compat
    assert "user-defined `init_weights` in Layer" in fast["backbone.layers.0.ffn.0.weight"]
    for layer in model.backbone.layers:
        w = layer.ffn[0].weight
        bound = (6.0 / (16 + 64)) ** 0.5
        assert (
            float(w.detach().abs().max()) <= bound
            and float(w.detach().std()) > 0.5 * bound / 3**0.5
        )
        assert float(layer.ffn[0].bias.detach().abs().max()) < 1e-4  # normal(std=1e-6), not 0.5
        assert (
            float(layer.attn.weight.detach().std()) < 0.03
        )  # the TruncNormal(0.02) fill, applied once
    assert float(model.backbone.pos_embed.detach().std()) == pytest.approx(0.02, rel=0.5)
    assert bool(torch.all(model.head.weight == 0.5))


@pytest.mark.parametrize("L", LIBS, ids=lambda m: m.__name__)
def test_fast_fills_each_overwritten_parameter_once(L, monkeypatch):
    """The TruncNormal fill of the FFN weights is dropped, not applied then overwritten."""
    from mminit._engine import fast as _fast

    filled = []
    real = _fast._fill_once

    def spy(p, spec):
        filled.append((p.shape, spec.kind))
        real(p, spec)

    monkeypatch.setattr(_fast, "_fill_once", spy)
    model = _model(L)
    torch.manual_seed(0)
    model.init_weights(mode="fast")
    ffn_shapes = {(64, 16), (16, 64)}
    assert not [s for s in filled if tuple(s[0]) in ffn_shapes and s[1] == "trunc_normal"]


def _model_same_mean(L):
    """User code that rewrites a bias with the value it already holds (mean unchanged)."""

    class Layer(L.BaseModule):
        def __init__(self):
            super().__init__(dict(type="Constant", layer="Linear", val=1.0, bias=0.0))
            self.fc = nn.Linear(8, 8)
            self.other = nn.Linear(8, 8)

        def init_weights(self):
            super().init_weights()
            nn.init.zeros_(self.fc.bias)  # already 0: upstream keeps the ConstantInit info
            nn.init.normal_(self.fc.weight, std=0.5)

    class Net(L.BaseModule):
        def __init__(self):
            super().__init__(dict(type="TruncNormal", layer="Linear", std=0.02))
            self.layer = Layer()

    return Net()


@pytest.mark.parametrize("L", LIBS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("build", [_model, _model_same_mean], ids=["vit-like", "same-mean"])
def test_compat_across_write_only_user_code_is_bit_identical_to_eager(L, build):
    """Compat mode watches version counters across write-only user code (only what the code
    wrote is re-checked); upstream's literal sequence (eager) re-checks everything."""
    eager_model, compat_model = build(L), build(L)
    compat_model.load_state_dict(eager_model.state_dict())
    eager = _dump(L, eager_model, "eager")
    compat = _dump(L, compat_model, "compat")
    assert compat == eager
    for (name, a), (_, b) in zip(
        eager_model.state_dict().items(), compat_model.state_dict().items()
    ):
        assert torch.equal(a, b), name
    if build is _model_same_mean:
        assert "user-defined" not in compat["layer.fc.bias"]  # mean unchanged: earlier info stays
        assert "user-defined" in compat["layer.fc.weight"]
