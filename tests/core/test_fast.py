"""Fast mode: one fill per parameter, compat mode's distributions and init-info strings."""

from __future__ import annotations

import logging

import pytest
import torch
from torch import nn

import mminit
from mminit._engine.fast import UncoveredWarning

TN = dict(type="TruncNormal", layer="Linear", std=0.02)


class Block(mminit.BaseModule):
    def __init__(self, dtype=torch.float32):
        super().__init__([TN, dict(type="Constant", layer=["LayerNorm", "BatchNorm1d"], val=1)])
        self.fc = nn.Linear(64, 64, dtype=dtype)
        self.ln = nn.LayerNorm(64, dtype=dtype)
        self.bn = nn.BatchNorm1d(64, dtype=dtype)


class Model(mminit.BaseModule):
    def __init__(self, depth=3, dtype=torch.float32):
        super().__init__([TN])
        self.blocks = mminit.ModuleList([Block(dtype) for _ in range(depth)], init_cfg=TN)
        self.token = nn.Parameter(torch.zeros(1, 64, dtype=dtype))
        self.head = nn.Linear(64, 3, dtype=dtype)

    def init_weights(self):
        super().init_weights()
        nn.init.zeros_(self.head.bias)


def _dump(mode, caplog, factory=Model):
    caplog.clear()
    torch.manual_seed(0)
    model = factory()
    with caplog.at_level(logging.INFO, logger="mminit"), mminit.init_mode(mode):
        model.init_weights()
    return model, [r.getMessage() for r in caplog.records if r.name == "mminit"]


def test_fast_info_strings_equal_compat(caplog):
    _, compat = _dump("compat", caplog)
    _, fast = _dump("fast", caplog)
    assert fast == compat
    # BatchNorm weights start at 1 and Constant(1) leaves the mean alone: upstream keeps
    # the "same before and after" text, and so does fast mode.
    assert any("bn.weight" in m and "The value is the same" in m for m in fast)


def test_fast_fills_each_parameter_once(monkeypatch):
    draws = []
    original = torch.Tensor.uniform_

    def counting(self, *args, **kwargs):
        if not self.is_meta:  # fast mode validates each recorded fill on a meta tensor
            draws.append(tuple(self.shape))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(torch.Tensor, "uniform_", counting)
    torch.manual_seed(0)
    model = Model()
    draws.clear()
    with mminit.init_mode("fast"):  # Model overrides init_weights() without `mode`
        model.init_weights()
    assert sorted(draws) == sorted([(64, 64)] * 3 + [(3, 64)])  # one trunc-normal draw each
    assert torch.all(model.head.bias == 0)


def test_fast_distribution_matches():
    torch.manual_seed(0)
    model = Model(depth=8)
    with mminit.init_mode("fast"):
        model.init_weights()
    w = torch.cat([b.fc.weight.flatten() for b in model.blocks])
    assert abs(w.std().item() - 0.02) < 0.002
    assert w.abs().max().item() <= 2


def test_fast_trunc_normal_in_bf16_is_sampled_in_fp32():
    class Big(mminit.BaseModule):
        def __init__(self):
            super().__init__(dict(type="TruncNormal", layer="Linear", std=0.02))
            self.fc = nn.Linear(512, 512, dtype=torch.bfloat16)

    torch.manual_seed(0)
    fast = Big()
    fast.init_weights(mode="fast")
    at_bound = (fast.fc.weight == -2).float().mean().item()
    assert at_bound == 0.0
    assert abs(fast.fc.weight.float().std().item() - 0.02) < 0.002


def test_fast_on_meta_device_materialises_and_reports_uncovered():
    with torch.device("meta"):
        model = Model()
    with pytest.warns(UncoveredWarning) as record, mminit.init_mode("fast"):
        model.init_weights()
    assert not any(t.is_meta for t in list(model.parameters()) + list(model.buffers()))
    message = str(record[0].message)
    assert "token" in message and "running_mean" in message
    assert "blocks.0.fc.weight" not in message and "head.bias" not in message
    assert torch.isfinite(model.blocks[0].fc.weight).all()


def test_fast_does_not_fill_what_pretrained_loads(tmp_path, monkeypatch):
    torch.manual_seed(3)
    path = tmp_path / "blocks.pth"
    ref = Model()
    torch.save(ref.state_dict(), path)

    class Loaded(Model):
        def __init__(self):
            super().__init__()
            self.init_cfg = [TN, dict(type="Pretrained", checkpoint=str(path))]

    draws = []
    original = torch.Tensor.uniform_
    monkeypatch.setattr(
        torch.Tensor,
        "uniform_",
        lambda self, *a, **k: (
            self.is_meta or draws.append(tuple(self.shape)),
            original(self, *a, **k),
        )[1],
    )
    model = Loaded()
    draws.clear()
    with mminit.init_mode("fast"):
        model.init_weights()
    assert draws == []
    assert torch.equal(model.blocks[1].fc.weight, ref.blocks[1].fc.weight)
