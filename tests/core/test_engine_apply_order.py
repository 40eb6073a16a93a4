"""An initializer visits its module's subtree in ``apply``'s order, without ``apply``.

Upstream's initializers call ``module.apply(visit)`` for every ``init_cfg`` entry: a
recursive walk of the subtree per initializer, which on a deep tree is a large share
of a compat init.  Under an engine the walk takes the order from one list instead,
built once per epoch for the largest subtree asked for (children first, each child
once per parent, a shared module once per parent that holds it, as ``apply`` does),
and calls ``apply`` itself where a class walks its own way or the graph has a cycle.
"""

from __future__ import annotations

import hypothesis.strategies as st
import pytest
import torch
from hypothesis import given, settings
from torch import nn

import mminit
from mminit._engine import state
from mminit._engine.state import _apply_order


def _applied(module: nn.Module) -> list[int]:
    seen: list[int] = []
    module.apply(lambda m: seen.append(id(m)))
    return seen


def _check_against_apply(root: nn.Module) -> None:
    order = _apply_order(root)
    assert order is not None
    assert [id(m) for m in order.modules] == _applied(root)
    for m in root.modules():
        owner, start, end = order.spans[id(m)]
        assert owner is m
        assert [id(x) for x in order.modules[start:end]] == _applied(m)


def test_shared_modules_and_a_child_under_two_names_visit_as_apply_does() -> None:
    act = nn.ReLU()
    block = nn.Sequential(nn.Linear(2, 2), act)
    root = nn.Module()
    root.a = block
    root.b = nn.Sequential(block, act, None)  # type: ignore[arg-type]
    root.c = block  # the same child under a second name of one parent: visited once
    root.d = nn.ModuleList([act, act])
    _check_against_apply(root)


@st.composite
def _dags(draw: st.DrawFn) -> nn.Module:
    """A random module graph without cycles: each new module holds some earlier ones."""
    made: list[nn.Module] = [nn.Linear(1, 1) for _ in range(draw(st.integers(1, 3)))]
    for _ in range(draw(st.integers(1, 8))):
        m = nn.Module()
        picks = draw(st.lists(st.integers(0, len(made) - 1), max_size=4))
        for k, i in enumerate(picks):
            m.add_module(f"c{k}", made[i])
        made.append(m)
    return made[-1]


@settings(max_examples=60, deadline=None)
@given(_dags())
def test_generated_graphs_visit_as_apply_does(root: nn.Module) -> None:
    _check_against_apply(root)


def test_a_class_that_walks_its_own_way_or_a_cycle_has_no_order() -> None:
    class OwnChildren(nn.Module):
        def children(self):  # type: ignore[no-untyped-def]
            return iter(())

    root = nn.Sequential(nn.Linear(2, 2), OwnChildren())
    assert _apply_order(root) is None
    loop = nn.Sequential(nn.Linear(2, 2))
    loop.add_module("again", loop)
    assert _apply_order(loop) is None


class Block(mminit.BaseModule):
    def __init__(self) -> None:
        super().__init__(
            [
                dict(type="Normal", layer="Linear", std=0.1),
                dict(type="Constant", val=2, layer="LayerNorm"),
            ]
        )
        self.fc = nn.Linear(3, 3)
        self.ln = nn.LayerNorm(3)


class Deep(mminit.BaseModule):
    def __init__(self) -> None:
        super().__init__(dict(type="Xavier", layer="Linear"))
        self.blocks = mminit.ModuleList([Block() for _ in range(6)])


def test_one_order_serves_every_initializer_of_a_tree_walked_by_the_engine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    builds: list[int] = []
    real = state._apply_order

    def counted(root: nn.Module) -> state._ApplyOrder | None:
        builds.append(id(root))
        return real(root)

    monkeypatch.setattr(state, "_apply_order", counted)
    model = Deep()
    mminit.clear_plan_cache()
    torch.manual_seed(0)
    model.init_weights(mode="compat")
    # the root's order, then every block's initializers slice it
    assert builds == [id(model)]

    reference = Deep()
    reference.load_state_dict(model.state_dict())
    torch.manual_seed(0)
    reference.init_weights(mode="eager")  # upstream's literal sequence, apply and all
    for (name, a), (_, b) in zip(model.state_dict().items(), reference.state_dict().items()):
        assert torch.equal(a, b), name


def test_an_overridden_apply_is_called_as_upstream_calls_it() -> None:
    calls: list[str] = []

    class Logged(nn.Linear):
        def apply(self, fn):  # type: ignore[no-untyped-def]
            calls.append("apply")
            return super().apply(fn)

    class Holder(mminit.BaseModule):
        def __init__(self) -> None:
            super().__init__(dict(type="Constant", val=1, layer="Linear"))
            self.fc = Logged(2, 2)

    model = Holder()
    mminit.clear_plan_cache()
    model.init_weights(mode="compat")
    assert calls == ["apply"]  # the engine walked with apply: the child's own runs
    assert torch.equal(model.fc.weight, torch.ones(2, 2))
