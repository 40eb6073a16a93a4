"""Meta-device models in compat mode equal upstream's init of the same model built on the CPU.

Upstream's ``init_weights`` cannot run on the meta device (it fails at its first
mean); the reference is therefore upstream's init of the model *built on the
CPU* under the same seed, construction draws (``reset_parameters``) included.
mminit's side builds under ``torch.device("meta")``, calls
``mminit.materialize`` and then ``init_weights`` in compat mode.
"""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn

from .libs import LogCapture, requested_flavours
from .test_core_support import Outcome, assert_same, lib

FLAVOURS = requested_flavours()


def _run(build, prepare, seed: int) -> Outcome:
    """Seed once, build (construction draws count), ``prepare``, then init under capture."""
    torch.manual_seed(seed)
    model = build()
    prepare(model)
    out = Outcome()
    with LogCapture().capture() as records, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.init_weights()
    out.records = list(records)
    out.warnings = [(w.category.__name__, str(w.message)) for w in caught]
    out.state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    out.extra["is_init"] = {n: getattr(m, "is_init", None) for n, m in model.named_modules()}
    out.extra["next_draw"] = torch.rand(4).tolist()  # the generator ends where upstream's does
    return out


def _meta(build):
    def on_meta():
        with torch.device("meta"):
            model = build()
        assert all(p.is_meta for p in model.parameters())
        return model
    return on_meta


def _materialize(model) -> None:
    import mminit

    mminit.materialize(model, warn=False)


def _net(L, init_cfg, head_cfg):
    class Head(L.BaseModule):
        def __init__(self, init_cfg=None):
            super().__init__(init_cfg)
            self.attn = nn.MultiheadAttention(8, 2)
            self.fc = nn.Linear(8, 3)

    class Net(L.BaseModule):
        def __init__(self):
            super().__init__(init_cfg)
            self.stem = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU())
            self.embed = nn.Embedding(10, 8, padding_idx=0)
            self.blocks = L.ModuleList([L.Sequential(nn.Linear(8, 8), nn.LayerNorm(8)) for _ in range(2)])
            self.head = Head(head_cfg)

    return Net()


CASES = {
    "no-init-cfg": (None, None),
    "partial-cover": (dict(type="Kaiming", layer="Conv2d"), dict(type="TruncNormal", std=0.02, layer="Linear")),
    "override-and-constant": ([dict(type="Xavier", layer="Linear"), dict(type="Constant", val=1, bias=2,
                                                                         layer=["BatchNorm2d", "LayerNorm"])],
                              dict(type="Normal", std=0.1, override=dict(name="fc", type="Constant", val=3))),
}


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_meta_build_materialize_compat_equals_upstream_cpu_build(flavour, case):
    init_cfg, head_cfg = CASES[case]
    theirs = _run(lambda: _net(lib(flavour, "upstream"), init_cfg, head_cfg), lambda m: None, seed=7)
    mine = _run(_meta(lambda: _net(lib(flavour, "mminit"), init_cfg, head_cfg)), _materialize, seed=7)
    assert_same(mine, theirs)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_meta_pretrained_loads_into_materialised_tensors(flavour, tmp_path):
    torch.manual_seed(3)
    src = nn.ModuleDict({"fc": nn.Linear(8, 3)})
    ckpt = tmp_path / "head.pth"
    torch.save(src.state_dict(), ckpt)
    pre = dict(type="Pretrained", checkpoint=str(ckpt))
    kaiming = dict(type="Kaiming", layer="Conv2d")
    theirs = _run(lambda: _net(lib(flavour, "upstream"), kaiming, pre), lambda m: None, seed=11)
    mine = _run(_meta(lambda: _net(lib(flavour, "mminit"), kaiming, pre)), _materialize, seed=11)
    assert torch.equal(mine.state["head.fc.weight"], src.fc.weight.detach())
    assert_same(mine, theirs)
