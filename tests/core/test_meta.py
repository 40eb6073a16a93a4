"""``mminit.materialize``: meta-built models get the CPU-built model's construction values."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn

import mminit
from mminit._scale.meta import construction_order


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(8, 2)  # out_proj reset before the attention's own reset
        self.fc = nn.Linear(8, 8)
        self.bn = nn.BatchNorm1d(8)


class WithRaw(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.pos = nn.Parameter(torch.randn(1, 4))  # not replayable: a value computed in __init__
        self.register_buffer("index", torch.arange(4))


def _build(cls, device: str, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    with torch.device(device):
        return cls()


def test_meta_materialize_equals_cpu_build_and_generator_position():
    cpu = _build(lambda: nn.Sequential(Block(), nn.Embedding(5, 8, padding_idx=1), Block()), "cpu")
    after_cpu = torch.rand(3)
    meta = _build(
        lambda: nn.Sequential(Block(), nn.Embedding(5, 8, padding_idx=1), Block()), "meta"
    )
    assert mminit.materialize(meta) == ()
    after_meta = torch.rand(3)
    assert torch.equal(after_cpu, after_meta)
    for (k, a), (k2, b) in zip(cpu.state_dict().items(), meta.state_dict().items()):
        assert k == k2 and torch.equal(a, b), k


def test_construction_order_is_post_order_once_each():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(nn.Sequential(shared, nn.ReLU()), shared)
    names = [name for name, _ in construction_order(model)]
    assert names == ["0.0", "0.1", "0", ""]


def test_values_computed_in_init_are_named_and_warned():
    model = _build(WithRaw, "meta")
    with pytest.warns(mminit.MaterializeWarning, match=r"2 tensor\(s\).*pos, index"):
        left = mminit.materialize(model)
    assert left == ("pos", "index")
    assert model.fc.weight.device.type == "cpu"


def test_warn_false_and_device_none_replay_in_place():
    model = _build(WithRaw, "meta")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert mminit.materialize(model, device=None, warn=False) == ("pos", "index")
    assert model.fc.weight.is_meta  # nothing allocated; the replay ran on the meta tensors


def test_cpu_model_replays_too():
    model = _build(lambda: nn.Linear(3, 3), "cpu", seed=1)
    with torch.no_grad():
        model.weight.zero_()
    torch.manual_seed(1)
    assert mminit.materialize(model) == ()
    assert torch.equal(model.weight, _build(lambda: nn.Linear(3, 3), "cpu", seed=1).weight)


def test_not_a_module():
    with pytest.raises(TypeError, match="materialize\\(\\) expects an nn.Module, got list"):
        mminit.materialize([])  # type: ignore[arg-type]


class TiedToRaw(nn.Module):
    """A Linear whose weight is tied to a parameter no default initialisation writes."""

    def __init__(self) -> None:
        super().__init__()
        self.table = nn.Parameter(torch.randn(4, 4))
        self.fc = nn.Linear(4, 4)
        self.fc.weight = self.table


def test_tie_to_an_unreset_tensor_is_still_reported_unwritten():
    # On the CPU the Linear's draw went into its own weight, replaced by the tie: the tied
    # tensor holds the constructor's value, which the meta build never computed.
    meta = _build(TiedToRaw, "meta")
    with pytest.warns(mminit.MaterializeWarning, match="table"):
        unwritten = mminit.materialize(meta)
    assert unwritten == ("table",)
    assert meta.fc.weight is meta.table and not meta.table.is_meta


def test_tensors_off_the_meta_device_keep_their_values_and_ties_stay():
    torch.manual_seed(0)
    with torch.device("meta"):
        model = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 4), nn.BatchNorm1d(4))
    model[1].weight = model[0].weight
    real = torch.arange(4.0)
    model[2].running_mean = real
    mminit.materialize(model, warn=False)
    assert model[1].weight is model[0].weight
    assert len(list(model.parameters())) == 5  # as the CPU build: the tie counts once
    assert model[2].running_mean is real and torch.equal(real, torch.arange(4.0))


def test_fast_init_inside_a_default_meta_device_block():
    """Argument checks draw into a scratch tensor: it is made on the CPU, not on the
    default device (torch 2.1 cannot draw with a generator into a meta tensor)."""

    class Net(mminit.BaseModule):
        def __init__(self) -> None:
            super().__init__(
                init_cfg=[
                    dict(type="Normal", std=0.02, layer="Linear"),
                    dict(type="Uniform", a=-1, b=1, layer="Conv2d"),
                ]
            )
            self.fc = nn.Linear(4, 4)
            self.conv = nn.Conv2d(2, 2, 1)

    def build(inside: bool) -> dict[str, torch.Tensor]:
        torch.manual_seed(0)
        with torch.device("meta"):
            model = Net()
            if inside:
                with mminit.init_mode("fast"):
                    model.init_weights()
        if not inside:
            with mminit.init_mode("fast"):
                model.init_weights()
        return model.state_dict()

    inside, outside = build(True), build(False)
    assert inside.keys() == outside.keys()
    assert all(not v.is_meta and torch.equal(v, outside[k]) for k, v in inside.items())
