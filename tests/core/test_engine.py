"""The compat engine skips overwritten transforms and unneeded means, with identical results."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import mminit

TN = dict(type="TruncNormal", layer="Linear", std=0.02)


class Block(mminit.BaseModule):
    def __init__(self):
        super().__init__([TN, dict(type="Constant", layer="LayerNorm", val=1)])
        self.fc = nn.Linear(8, 8)
        self.ln = nn.LayerNorm(8)


class Stack(mminit.BaseModule):
    def __init__(self, depth=4):
        super().__init__([TN])
        self.blocks = mminit.ModuleList([Block() for _ in range(depth)], init_cfg=TN)


class Model(mminit.BaseModule):
    def __init__(self):
        super().__init__([TN])
        self.stack = Stack()

    def init_weights(self):
        super().init_weights()
        nn.init.zeros_(self.stack.blocks[0].fc.bias)


@pytest.fixture
def erfinv_calls(monkeypatch):
    calls = []
    original = torch.Tensor.erfinv_

    def counting(self, *args, **kwargs):
        calls.append(tuple(self.shape))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(torch.Tensor, "erfinv_", counting)
    return calls


def _init(mode):
    torch.manual_seed(0)
    model = Model()
    torch.manual_seed(1)
    with mminit.init_mode(mode):
        model.init_weights()
    return model


def test_compat_equals_eager_and_skips_overwritten_transforms(erfinv_calls):
    eager = _init("eager")
    eager_calls = len(erfinv_calls)
    erfinv_calls.clear()
    compat = _init("compat")
    # 4 Linear weights, each filled at 4 levels; only the surviving fill is transformed.
    assert eager_calls == 16
    assert len(erfinv_calls) == 4
    for (name, a), (_, b) in zip(eager.state_dict().items(), compat.state_dict().items()):
        assert torch.equal(a, b), name


def test_init_info_is_the_same_in_both_modes(caplog):
    import logging

    dumps = {}
    for mode in ("eager", "compat"):
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="mminit"):
            _init(mode)
        dumps[mode] = [r.getMessage() for r in caplog.records if r.name == "mminit"]
    assert dumps["eager"] == dumps["compat"]
    assert any("TruncNormalInit: a=-2, b=2, mean=0, std=0.02, bias=0" in m for m in dumps["compat"])


def test_init_weights_mode_keyword_and_bad_mode():
    m = Stack()
    with pytest.raises(ValueError, match="mode must be one of"):
        m.init_weights(mode="turbo")
    Stack().init_weights(mode="eager")
