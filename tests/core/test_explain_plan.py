"""``mminit.explain`` reads its answer from the plan ``init_weights`` then replays.

On a tree the plan cache can key, explain's run on the copy records the architecture's
plan and puts it in the cache; each parameter's fills in the explanation are that
plan's write steps on it, and the next compat ``init_weights`` of a model built the
same way replays the plan (no walk) with upstream's result (the eager sequence here;
``compat_tests/test_plan_cache_generated.py`` compares with upstream itself).
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from torch import nn

import mminit
from mminit._engine import plan_cache, stats
from mminit._engine.program import WRITE
from mminit._logging import LOGGER_NAME

TN = dict(type="TruncNormal", layer="Linear", std=0.02, bias=0.0)
LN = dict(type="Constant", layer="LayerNorm", val=1.0, bias=0.0)


class Block(mminit.BaseModule):
    def __init__(self) -> None:
        super().__init__([TN, LN])
        self.fc = nn.Linear(8, 8)
        self.ln = nn.LayerNorm(8)


class Head(mminit.BaseModule):
    """A user's init_weights after super(): a barrier in the plan."""

    def __init__(self) -> None:
        super().__init__(dict(type="Normal", layer="Linear", std=0.5))
        self.fc = nn.Linear(8, 3)
        self.pos = nn.Parameter(torch.zeros(1, 4, 8))

    def init_weights(self) -> None:
        super().init_weights()
        nn.init.normal_(self.pos, std=0.02)


class Model(mminit.BaseModule):
    def __init__(self) -> None:
        super().__init__(
            [
                dict(type="Xavier", layer="Linear"),
                dict(type="Normal", std=0.1, override=dict(name="out")),
            ]
        )
        self.blocks = mminit.ModuleList([Block() for _ in range(3)], init_cfg=TN)
        self.head = Head()
        self.out = nn.Linear(8, 2)


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    plan_cache.clear()
    yield
    plan_cache.clear()


_RECORD = re.compile(r"\n(\S+) - torch\.Size\(\[[^\]]*\]\): \n(.*?) \n", re.DOTALL)


def _init(mode: str | None, dump: Path | None) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    torch.manual_seed(0)
    model = Model()
    torch.manual_seed(1)
    logger = logging.getLogger(LOGGER_NAME)
    handler = logging.FileHandler(dump, mode="w") if dump is not None else None
    if handler is not None:
        logger.addHandler(handler)
    try:
        model.init_weights(mode=mode) if mode else model.init_weights()
    finally:
        if handler is not None:
            logger.removeHandler(handler)
            handler.close()
    infos = dict(_RECORD.findall(dump.read_text())) if dump is not None else {}
    return model.state_dict(), infos


def _explain() -> mminit.InitPlan:
    torch.manual_seed(0)
    return mminit.explain(Model())


@pytest.mark.parametrize("seen", [True, False], ids=["dump-seen", "dump-unseen"])
def test_init_after_explain_replays_the_explained_plan(tmp_path: Path, seen: bool) -> None:
    plan = _explain()
    assert plan.cached and len(plan_cache) == 1
    hits, misses, replayed = plan_cache.hits, plan_cache.misses, stats.replayed
    got, got_infos = _init(None, tmp_path / "compat.log" if seen else None)
    assert (plan_cache.hits, plan_cache.misses) == (hits + 1, misses)  # planned once
    assert stats.replayed == replayed + 1
    want, want_infos = _init("eager", tmp_path / "eager.log")
    assert [k for k in want if not torch.equal(want[k], got[k])] == []
    # the strings explain gave are the ones the replay (and upstream's sequence) records
    assert {k: v.strip() for k, v in plan.infos().items()} == {
        k: v.strip() for k, v in want_infos.items()
    }
    if seen:
        assert got_infos == want_infos


def test_each_parameters_fills_are_the_cached_plans_write_steps() -> None:
    plan = _explain()
    (key,) = list(plan_cache)
    cached = plan_cache.get(key)
    assert cached is not None
    names = [n for n, _ in Model().named_parameters()]
    writes: dict[str, list[str]] = {n: [] for n in names}
    for step in cached.steps:
        if step[0] == WRITE:
            writes[names[step[1]]].append(step[2].kind)
    for t in plan.tensors:
        if t.kind != "parameter":
            continue
        shadowed = Counter(s.fill for s in t.shadowed)
        final = 1 if t.origin in ("init_cfg", "override") else 0  # its source is a step too
        assert len(t.shadowed) + final == len(writes[t.name]), t.name
        assert not shadowed - Counter(writes[t.name]), t.name
    fc = plan["blocks.1.fc.weight"]
    # Xavier (normal) from the root, TruncNormal from the ModuleList, then the block's own TruncNormal
    assert writes["blocks.1.fc.weight"] == ["xavier_normal", "trunc_normal", "trunc_normal"]
    assert (fc.origin, fc.source) == ("init_cfg", "Block.init_cfg at 'blocks.1', layer=Linear")
    assert plan["head.pos"].origin == "user_code"
    assert plan["out.weight"].origin == "override"


def test_explaining_an_architecture_already_cached_records_it_again() -> None:
    torch.manual_seed(0)
    Model().init_weights()  # the walk records the plan
    hits = plan_cache.hits
    again = _explain()
    assert plan_cache.hits == hits  # explain never replays: the plan carries no origins
    assert again.cached and len(plan_cache) == 1
    assert again["blocks.0.fc.weight"].source == "Block.init_cfg at 'blocks.0', layer=Linear"


def test_with_the_cache_off_explain_walks_and_says_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from_plan = _explain().to_dict()
    plan_cache.clear()
    monkeypatch.setenv("MMINIT_PLAN_CACHE", "0")
    walked = _explain()
    assert not walked.cached and len(plan_cache) == 0
    assert from_plan.pop("cached") and not walked.to_dict().pop("cached")
    assert {k: v for k, v in walked.to_dict().items() if k != "cached"} == from_plan
