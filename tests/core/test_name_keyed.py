"""``mminit.name_keyed``: a parameter's values depend only on (seed, name, shape, initializer)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import mminit

CFG = [dict(type="TruncNormal", std=0.02, layer="Linear"), dict(type="Kaiming", layer="Conv2d")]


def _build(order: list[str], extra: bool = False, width: int = 8) -> nn.Module:
    parts = {
        "conv": lambda: nn.Conv2d(3, width, 3),
        "fc1": lambda: nn.Linear(width, width),
        "fc2": lambda: nn.Linear(width, 4),
        "norm": lambda: nn.LayerNorm(width),
        "emb": lambda: nn.Embedding(10, width),  # no init_cfg: its reset_parameters' draw stays
    }

    class Net(mminit.BaseModule):
        def __init__(self) -> None:
            super().__init__(CFG)
            for name in order:
                setattr(self, name, parts[name]())
            if extra:
                self.added = nn.Linear(width, width)

    return Net()


def _keyed_init(model: nn.Module, seed: int = 0, mode: str = "compat") -> dict[str, torch.Tensor]:
    torch.manual_seed(1234)  # the global stream must not matter
    with mminit.name_keyed(model, seed=seed) as keyed:
        mminit.materialize(model, device="cpu", warn=False)
        model.init_weights(mode=mode)
    assert keyed.unkeyed_draws == 0
    return {k: v.clone() for k, v in model.state_dict().items()}


def _on_meta(**kw) -> nn.Module:
    with torch.device("meta"):
        return _build(**kw)


ORDER = ["conv", "fc1", "emb", "fc2", "norm"]


def test_construction_order_and_added_module_leave_values_unchanged():
    base = _keyed_init(_on_meta(order=ORDER))
    reordered = _keyed_init(_on_meta(order=list(reversed(ORDER))))
    grown = _keyed_init(_on_meta(order=ORDER, extra=True))
    for name, value in base.items():
        assert torch.equal(reordered[name], value), name
        assert torch.equal(grown[name], value), name
    assert set(grown) - set(base) == {"added.weight", "added.bias"}


def test_cpu_built_model_equals_meta_built_model():
    cpu = _keyed_init(_build(order=list(reversed(ORDER))))
    meta = _keyed_init(_on_meta(order=ORDER))
    assert cpu.keys() == meta.keys()
    assert all(torch.equal(cpu[k], meta[k]) for k in cpu)


def test_values_depend_on_seed_name_and_shape_but_not_global_generator():
    a = _keyed_init(_on_meta(order=ORDER), seed=0)
    b = _keyed_init(_on_meta(order=ORDER), seed=1)
    assert not torch.equal(a["fc1.weight"], b["fc1.weight"])
    # fc1 and a same-shaped, same-initializer layer under another name differ
    grown = _keyed_init(_on_meta(order=ORDER, extra=True))
    assert not torch.equal(grown["added.weight"], grown["fc1.weight"])
    wide = _keyed_init(_on_meta(order=ORDER, width=16))
    assert wide["fc1.weight"].shape != a["fc1.weight"].shape


def test_eager_and_compat_modes_agree_and_distributions_hold():
    compat = _keyed_init(_on_meta(order=ORDER), mode="compat")
    eager = _keyed_init(_on_meta(order=ORDER), mode="eager")
    assert all(torch.equal(compat[k], eager[k]) for k in compat)
    w = compat["fc1.weight"]
    assert w.abs().max() <= 2.0 and 0.005 < w.std() < 0.05  # trunc normal std 0.02 in [-2, 2]
    assert torch.equal(compat["norm.weight"], torch.ones(8))  # LayerNorm's reset_parameters


def test_global_generator_not_advanced_by_keyed_fills():
    model = _on_meta(order=ORDER)
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    with mminit.name_keyed(model, seed=0):
        mminit.materialize(model, warn=False)
        model.init_weights()
    assert torch.equal(torch.rand(3), expected)


def test_outside_the_block_the_global_stream_is_used():
    model = _build(order=ORDER)
    with mminit.name_keyed(model, seed=0):
        pass
    torch.manual_seed(9)
    with torch.no_grad():
        model.fc1.weight.uniform_()
    torch.manual_seed(9)
    assert torch.equal(model.fc1.weight, torch.empty(8, 8).uniform_())


def test_draws_into_other_tensors_are_counted_not_keyed():
    model = _build(order=ORDER)
    with mminit.name_keyed(model, seed=0) as keyed:
        torch.empty(3).normal_()
    assert keyed.unkeyed_draws == 1


@pytest.mark.parametrize("bad", ["0", 1.5, None, True])
def test_seed_must_be_int(bad):
    with (
        pytest.raises(TypeError, match="seed must be an int"),
        mminit.name_keyed(nn.Linear(2, 2), seed=bad),
    ):
        pass


def test_model_must_be_module():
    with (
        pytest.raises(TypeError, match="expects an nn.Module, got dict"),
        mminit.name_keyed({}, seed=0),
    ):  # type: ignore[arg-type]
        pass


def test_a_fill_without_a_generator_argument_draws_from_the_given_generator():
    """torch 2.1's ``nn.init`` fills take no ``generator``: the keyed generator then stands
    in for the global one during the call (same values, global stream untouched)."""
    from mminit._scale.keyed import RandomCall

    target = torch.empty(5, 4)
    keyed, reference = torch.Generator().manual_seed(7), torch.Generator().manual_seed(7)
    torch.manual_seed(3)
    expected_global = torch.rand(4)
    torch.manual_seed(3)
    call = RandomCall(
        nn.init.uniform_, target, {"a": -1.0, "b": 2.0}, positional=False, takes_generator=False
    )
    call.run(target, keyed)
    assert torch.equal(target, torch.empty(5, 4).uniform_(-1.0, 2.0, generator=reference))
    assert torch.equal(keyed.get_state(), reference.get_state())  # advanced as by the draw
    assert torch.equal(torch.rand(4), expected_global)
