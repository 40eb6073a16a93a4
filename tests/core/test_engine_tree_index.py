"""The engine walks the module tree once, not once per check, with identical results.

Every check (upstream's ``update_init_info``) needs its module's parameters.  The
engine indexes the subtree of the first check that needs one and slices it per module,
re-indexing only after code outside the engine ran (a user's ``init_weights``, a custom
initializer) or for a check outside the index, and falls back to its own walk where the
tree shares parameters or modules holding any.
"""

from __future__ import annotations

import logging

import pytest
import torch
from torch import nn

import mminit
from mminit._errors import InitInfoError

TN = dict(type="TruncNormal", layer="Linear", std=0.02)
LN = dict(type="Constant", layer="LayerNorm", val=1)


class Block(mminit.BaseModule):
    def __init__(self) -> None:
        super().__init__([TN, LN])
        self.fc = nn.Linear(4, 4)
        self.ln = nn.LayerNorm(4)


class Deep(mminit.BaseModule):
    def __init__(self, depth: int = 8) -> None:
        super().__init__([TN, LN])
        self.blocks = mminit.ModuleList([Block() for _ in range(depth)], init_cfg=TN)


class Shared(mminit.BaseModule):
    """A module reachable twice and a tied parameter: no contiguous index exists."""

    def __init__(self) -> None:
        super().__init__([TN, LN])
        self.a = Block()
        self.b = mminit.Sequential(self.a, Block(), init_cfg=LN)
        self.head = nn.Linear(4, 4)
        self.tail = nn.Linear(4, 4)
        self.tail.weight = self.head.weight


class UserCode(mminit.BaseModule):
    """User code after ``super()`` changes the tree: later checks must see it."""

    def __init__(self, grow: str) -> None:
        super().__init__(TN)
        self.fc = nn.Linear(4, 4)
        self.grow = grow

    def init_weights(self) -> None:
        super().init_weights()
        if self.grow == "parameter":
            self.extra = nn.Parameter(torch.zeros(2))
        elif self.grow == "module":
            self.extra_fc = nn.Linear(2, 2)
        elif self.grow == "replace":
            self.fc.weight = nn.Parameter(torch.ones(4, 4))
        else:
            nn.init.ones_(self.fc.weight)


class Parent(mminit.BaseModule):
    def __init__(self, grow: str) -> None:
        super().__init__([TN, LN])
        self.first = Block()
        self.user = UserCode(grow)
        self.last = Block()


def _run(make, mode: str, caplog: pytest.LogCaptureFixture):
    torch.manual_seed(0)
    model = make()
    torch.manual_seed(1)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="mminit"), mminit.init_mode(mode):
        try:
            model.init_weights()
        except InitInfoError as exc:
            return model, str(exc), []
    return model, None, [r.getMessage() for r in caplog.records if r.name == "mminit"]


def _same(make, caplog: pytest.LogCaptureFixture) -> None:
    eager_model, eager_err, eager_dump = _run(make, "eager", caplog)
    compat_model, compat_err, compat_dump = _run(make, "compat", caplog)
    assert compat_err == eager_err
    assert compat_dump == eager_dump
    for (name, a), (_, b) in zip(
        eager_model.state_dict().items(), compat_model.state_dict().items()
    ):
        assert torch.equal(a, b), name


def test_checks_do_not_walk_the_tree_each(monkeypatch: pytest.MonkeyPatch, caplog) -> None:
    calls = []
    original = nn.Module.named_parameters

    def counting(self, *args, **kwargs):
        calls.append(type(self).__name__)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(nn.Module, "named_parameters", counting)
    _run(Deep, "eager", caplog)
    eager = len(calls)
    calls.clear()
    _run(Deep, "compat", caplog)
    # eager: a walk per check (30); compat: the table, the dump and the
    # engine's one check of the meta device
    assert eager >= 30
    assert len(calls) <= 4, calls


@pytest.mark.parametrize("make", [Deep, Shared], ids=["tree", "shared"])
def test_compat_equals_eager(make, caplog) -> None:
    _same(make, caplog)


@pytest.mark.parametrize("grow", ["parameter", "module", "replace", "write"])
def test_user_code_changing_the_tree_is_seen(grow: str, caplog) -> None:
    _same(lambda: Parent(grow), caplog)
    _, err, _ = _run(lambda: Parent(grow), "compat", caplog)
    if grow == "write":
        assert err is None
    else:
        assert err is not None and "Found a new Parameter named" in err


class _OwnWalk(nn.Module):
    def named_parameters(self, *args, **kwargs):  # type: ignore[override]
        return super().named_parameters(*args, **kwargs)


def _trees() -> list[nn.Module]:
    act = nn.GELU()  # a parameter-less module reused (mmcv 1.x FFN, mmseg MixFFN)
    ffn = nn.Sequential(nn.Linear(4, 8), act, nn.Linear(8, 4), act)
    twice = nn.Linear(3, 3)  # a module holding parameters, reachable twice
    outer = nn.Sequential(twice, nn.Sequential(nn.LayerNorm(3), twice), nn.Linear(3, 3))
    tied = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 4))
    tied[1].weight = tied[0].weight
    cyclic = nn.Sequential(nn.Linear(2, 2))
    cyclic.add_module("self", cyclic)
    return [Shared(), ffn, outer, tied, cyclic, nn.Sequential(nn.Linear(2, 2), None)]


@pytest.mark.parametrize(
    "tree", _trees(), ids=["shared", "ffn", "module-twice", "tied", "cycle", "none-child"]
)
def test_subtree_walk_is_named_parameters(tree: nn.Module) -> None:
    """The fallback walk (trees the index refuses) yields what named_parameters() does,
    in the same order, for every subtree."""
    from mminit._engine.state import _subtree_params

    for _, module in tree.named_modules():
        expected = [p for _, p in module.named_parameters()]
        got = _subtree_params(module)
        assert got is not None and len(got) == len(expected)
        assert all(a is b for a, b in zip(got, expected))


def test_subtree_walk_leaves_own_walks_to_them() -> None:
    from mminit._engine.state import _subtree_params

    assert _subtree_params(nn.Sequential(nn.Linear(2, 2), _OwnWalk())) is None


@pytest.mark.parametrize(
    "tree",
    [*_trees(), nn.Sequential(nn.Linear(2, 2), _OwnWalk())],
    ids=["shared", "ffn", "module-twice", "tied", "cycle", "none-child", "own-walk"],
)
def test_module_walk_is_modules(tree: nn.Module) -> None:
    """The one-frame module walk (set-up and teardown of the table, routes) yields what
    modules() does, in the same order, for every subtree."""
    from mminit._engine import subtree_modules

    for _, module in tree.named_modules():
        expected = list(module.modules())
        got = subtree_modules(module)
        assert len(got) == len(expected) and all(a is b for a, b in zip(got, expected))


@pytest.mark.parametrize(
    "index",
    [0, 1, 2, 3, 4, 5],
    ids=["shared", "ffn", "module-twice", "tied", "cycle", "none-child"],
)
def test_index_slices_are_named_parameters(index: int) -> None:
    """Trees whose only shared modules hold no parameters (one activation reused, as
    mmcv 1.x's FFN and mmseg's MixFFN do) are indexed; each slice is named_parameters().
    A module holding parameters reached twice, a tied parameter or a cycle: refused."""
    from mminit._engine.state import _tree_index

    tree = _trees()[index]
    table = {p: {} for p in tree.parameters()}
    found = _tree_index(tree, table)
    refused = {"shared", "module-twice", "tied", "cycle"}
    name = ["shared", "ffn", "module-twice", "tied", "cycle", "none-child"][index]
    assert (found is None) == (name in refused)
    if found is None:
        return
    assert found.all_known
    for _, module in tree.named_modules():
        m, start, end = found.spans[id(module)]
        expected = [p for _, p in module.named_parameters()]
        assert m is module and len(found.params[start:end]) == len(expected)
        assert all(a is b for a, b in zip(found.params[start:end], expected))
