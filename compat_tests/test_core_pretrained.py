"""Parity of ``Pretrained`` ordering inside ``init_weights`` (mmengine: last; mmcv 1.x: in order)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from .libs import requested_flavours
from .test_core_support import assert_same, both

FLAVOURS = requested_flavours()


def _net(L):
    class Leaf(L.BaseModule):
        def __init__(self, init_cfg=None):
            super().__init__(init_cfg)
            self.fc = nn.Linear(3, 3)

    class Net(L.BaseModule):
        def __init__(self, init_cfg=None, leaf_cfg=None):
            super().__init__(init_cfg)
            self.backbone = Leaf(leaf_cfg)
            self.head = nn.Linear(3, 2)

    return Net


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    root = tmp_path_factory.mktemp("ckpt")
    torch.manual_seed(123)
    src = nn.ModuleDict(
        {"backbone": nn.ModuleDict({"fc": nn.Linear(3, 3)}), "head": nn.Linear(3, 2)}
    )
    full = root / "full.pth"
    torch.save(src.state_dict(), full)
    wrapped = root / "wrapped.pth"
    torch.save({"state_dict": {f"module.{k}": v for k, v in src.state_dict().items()}}, wrapped)
    return {"full": str(full), "wrapped": str(wrapped)}


N = dict(type="Normal", std=0.5, layer="Linear")
LEAF = dict(type="Constant", val=9, layer="Linear")


def _cases(ck):
    return {
        "dict": dict(init_cfg=dict(type="Pretrained", checkpoint=ck["full"]), leaf_cfg=LEAF),
        "dict-wrapped": dict(
            init_cfg=dict(type="Pretrained", checkpoint=ck["wrapped"]), leaf_cfg=LEAF
        ),
        "in-list-first": dict(
            init_cfg=[dict(type="Pretrained", checkpoint=ck["full"]), N], leaf_cfg=LEAF
        ),
        "in-list-last": dict(
            init_cfg=[N, dict(type="Pretrained", checkpoint=ck["full"])], leaf_cfg=LEAF
        ),
        "prefix-on-leaf": dict(
            init_cfg=N, leaf_cfg=dict(type="Pretrained", checkpoint=ck["full"], prefix="backbone.")
        ),
        "prefix-no-dot": dict(
            init_cfg=N,
            leaf_cfg=[dict(type="Pretrained", checkpoint=ck["full"], prefix="backbone"), LEAF],
        ),
        "class-type": "class",
    }


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize(
    "case",
    [
        "dict",
        "dict-wrapped",
        "in-list-first",
        "in-list-last",
        "prefix-on-leaf",
        "prefix-no-dot",
        "class-type",
    ],
)
def test_pretrained_ordering_matches_upstream(flavour, case, checkpoints):
    def make(L):
        kw = _cases(checkpoints)[case]
        if kw == "class":
            kw = dict(
                init_cfg=dict(type=L.PretrainedInit, checkpoint=checkpoints["full"]), leaf_cfg=LEAF
            )
        return (lambda m: m.init_weights(), lambda: _net(L)(**kw))

    ours, theirs = both(flavour, make)
    assert_same(ours, theirs)
