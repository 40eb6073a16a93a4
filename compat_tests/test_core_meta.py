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
    out.extra["ties"] = _ties(model)
    out.extra["devices"] = sorted(
        {str(t.device) for t in list(model.parameters()) + list(model.buffers())}
    )
    return out


def _ties(model: nn.Module) -> list[list[str]]:
    """The names of each parameter and buffer, grouped by tensor (a tie is a group of two or more)."""
    groups: dict[int, list[str]] = {}
    for name, t in list(model.named_parameters(remove_duplicate=False)) + list(
        model.named_buffers(remove_duplicate=False)
    ):
        groups.setdefault(id(t), []).append(name)
    return sorted(groups.values())


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
            self.blocks = L.ModuleList(
                [L.Sequential(nn.Linear(8, 8), nn.LayerNorm(8)) for _ in range(2)]
            )
            self.head = Head(head_cfg)

    return Net()


CASES = {
    "no-init-cfg": (None, None),
    "partial-cover": (
        dict(type="Kaiming", layer="Conv2d"),
        dict(type="TruncNormal", std=0.02, layer="Linear"),
    ),
    "override-and-constant": (
        [
            dict(type="Xavier", layer="Linear"),
            dict(type="Constant", val=1, bias=2, layer=["BatchNorm2d", "LayerNorm"]),
        ],
        dict(type="Normal", std=0.1, override=dict(name="fc", type="Constant", val=3)),
    ),
}


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_meta_build_materialize_compat_equals_upstream_cpu_build(flavour, case):
    init_cfg, head_cfg = CASES[case]
    theirs = _run(
        lambda: _net(lib(flavour, "upstream"), init_cfg, head_cfg), lambda m: None, seed=7
    )
    mine = _run(
        _meta(lambda: _net(lib(flavour, "mminit"), init_cfg, head_cfg)), _materialize, seed=7
    )
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


def _tied(L, init_cfg):
    """A decoder tied to an embedding (``dec.weight = embed.weight``), and a Linear tied
    to another one built before it, inside a child BaseModule."""

    class Block(L.BaseModule):
        def __init__(self):
            super().__init__(None)
            self.a = nn.Linear(6, 6)
            self.b = nn.Linear(6, 6)
            self.b.weight = self.a.weight

    class Tied(L.BaseModule):
        def __init__(self):
            super().__init__(init_cfg)
            self.embed = nn.Embedding(10, 6, padding_idx=0)
            self.block = Block()
            self.dec = nn.Linear(6, 10)
            self.dec.weight = self.embed.weight
            self.norm = nn.LayerNorm(6)

    return Tied()


TIED_CFGS = {
    "no-init-cfg": None,
    "linear-only": dict(type="Constant", val=0.5, bias=0.25, layer="Linear"),
    "random-fills": [
        dict(type="Normal", std=0.3, layer="Embedding"),
        dict(type="Xavier", layer="Linear"),
    ],
}


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("case", sorted(TIED_CFGS))
def test_meta_materialize_keeps_ties_as_the_cpu_build(flavour, case):
    """Tied parameters stay one tensor (same groups as the CPU build in
    ``named_parameters(remove_duplicate=False)``) with the CPU build's values."""
    cfg = TIED_CFGS[case]
    theirs = _run(lambda: _tied(lib(flavour, "upstream"), cfg), lambda m: None, seed=5)
    mine = _run(_meta(lambda: _tied(lib(flavour, "mminit"), cfg)), _materialize, seed=5)
    assert ["embed.weight", "dec.weight"] in theirs.extra["ties"]
    assert_same(mine, theirs)


def _loaded(on_meta: bool, values: dict[str, torch.Tensor]):
    """Real values put into part of the model before init: the head's Linear loaded, and a
    BatchNorm buffer replaced (on the meta side: ``load_state_dict(assign=True)``, which
    makes them CPU tensors in a meta model)."""

    def prepare(model) -> None:
        if on_meta:
            model.head.fc.load_state_dict({k: v.clone() for k, v in values.items()}, assign=True)
            model.stem[1].running_var = torch.full((8,), 4.0)
            assert not model.head.fc.weight.is_meta and model.head.attn.in_proj_weight.is_meta
            _materialize(model)
        else:
            model.head.fc.load_state_dict(values)
            model.stem[1].running_var = torch.full((8,), 4.0)

    return prepare


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("case", ["no-init-cfg", "partial-cover"])
def test_meta_materialize_keeps_tensors_that_hold_real_values(flavour, case):
    """Tensors off the meta device keep their values (they are not re-allocated); their
    modules' default initialisation still draws, so the random stream matches the CPU build."""
    init_cfg, head_cfg = CASES[case]
    gen = torch.Generator().manual_seed(99)
    values = {"weight": torch.randn(3, 8, generator=gen), "bias": torch.randn(3, generator=gen)}
    theirs = _run(
        lambda: _net(lib(flavour, "upstream"), init_cfg, head_cfg), _loaded(False, values), seed=13
    )
    mine = _run(
        _meta(lambda: _net(lib(flavour, "mminit"), init_cfg, head_cfg)),
        _loaded(True, values),
        seed=13,
    )
    if head_cfg is None:  # nothing covers the head: the loaded values are the result
        assert torch.equal(mine.state["head.fc.weight"], values["weight"])
    assert torch.equal(mine.state["stem.1.running_var"], torch.full((8,), 4.0))
    assert_same(mine, theirs)
