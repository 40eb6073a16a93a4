"""The plan cache: a second compat init of an architecture replays the first one's plan.

Each test compares the replay with mminit's eager mode (upstream's literal sequence,
which ``compat_tests`` holds to upstream): the same tensors, the same random stream
afterwards, the same init-info dump, and says whether the replay really ran
(``mminit._engine.stats.replayed``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import torch
from torch import nn

import mminit
from mminit._engine import plan_cache, stats
from mminit._logging import LOGGER_NAME

TN = dict(type="TruncNormal", layer="Linear", std=0.02, bias=0.0)
LN = dict(type="Constant", layer="LayerNorm", val=1.0, bias=0.0)


class Block(mminit.BaseModule):
    def __init__(self, dim: int = 8) -> None:
        super().__init__([TN, LN])
        self.fc = nn.Linear(dim, dim)
        self.ln = nn.LayerNorm(dim)


class WithUserCode(mminit.BaseModule):
    """A user's init_weights after super(): mminit's helper, a torch fill, the table."""

    def __init__(self) -> None:
        super().__init__(dict(type="Normal", layer="Linear", std=0.5))
        self.head = nn.Linear(8, 3)
        self.pos = nn.Parameter(torch.zeros(1, 4, 8))

    def init_weights(self) -> None:
        super().init_weights()
        mminit.trunc_normal_init(self.head, std=0.01)
        nn.init.normal_(self.pos, std=0.02)


class Model(mminit.BaseModule):
    def __init__(self, depth: int = 3, cfg: dict | None = None) -> None:
        super().__init__(cfg or TN)
        self.blocks = mminit.ModuleList([Block() for _ in range(depth)], init_cfg=TN)
        self.user = WithUserCode()


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    plan_cache.clear()
    yield
    plan_cache.clear()


def _init(
    build: Callable[[], nn.Module], mode: str | None, dump: Path | None
) -> tuple[dict[str, torch.Tensor], torch.Tensor, str]:
    torch.manual_seed(0)
    model = build()
    torch.manual_seed(1)
    logger = logging.getLogger(LOGGER_NAME)
    handler = logging.FileHandler(dump) if dump is not None else None
    if handler is not None:
        logger.addHandler(handler)
    try:
        model.init_weights(mode=mode) if mode else model.init_weights()  # type: ignore[operator]
    finally:
        if handler is not None:
            logger.removeHandler(handler)
            handler.close()
    assert not hasattr(model, "_params_init_info")
    text = dump.read_text() if dump is not None else ""
    return model.state_dict(), torch.get_rng_state(), text


def _same(a: tuple, b: tuple) -> None:
    sa, ra, ta = a
    sb, rb, tb = b
    assert list(sa) == list(sb)
    assert [k for k in sa if not torch.equal(sa[k], sb[k])] == []
    assert torch.equal(ra, rb)
    assert ta == tb


@pytest.mark.parametrize("seen", [True, False], ids=["dump-seen", "dump-unseen"])
def test_second_init_replays_and_matches_eager(tmp_path: Path, seen: bool) -> None:
    dump = (lambda name: tmp_path / name) if seen else (lambda name: None)
    eager = _init(Model, "eager", dump("eager"))
    before = stats.replayed
    first = _init(Model, None, dump("first"))
    assert stats.replayed == before  # recorded, not replayed
    assert len(plan_cache) == 1
    second = _init(Model, None, dump("second"))
    assert stats.replayed == before + 1
    _same(eager, first)
    _same(eager, second)
    if seen:
        assert "TruncNormalInit" in second[2] and "Initialized by user-defined" in second[2]


def test_the_environment_variable_turns_the_cache_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MMINIT_PLAN_CACHE", "0")
    before = stats.replayed
    _init(Model, None, None)
    _init(Model, None, None)
    assert stats.replayed == before
    assert len(plan_cache) == 0


def test_clear_plan_cache_makes_the_next_init_walk() -> None:
    _init(Model, None, None)
    mminit.clear_plan_cache()
    before = stats.replayed
    _init(Model, None, None)
    assert stats.replayed == before
    assert len(plan_cache) == 1


def test_what_upstream_prints_apart_is_keyed_apart(tmp_path: Path) -> None:
    # val=1 and val=1.0 fill the same values; upstream's info string shows which was given
    as_int = dict(type="Constant", layer="Linear", val=1, bias=0)
    as_float = dict(type="Constant", layer="Linear", val=1.0, bias=0)
    _init(lambda: Model(cfg=as_int), None, tmp_path / "a")
    before = stats.replayed
    got = _init(lambda: Model(cfg=as_float), None, tmp_path / "b")
    assert stats.replayed == before  # a new key: walked and recorded
    assert len(plan_cache) == 2
    want = _init(lambda: Model(cfg=as_float), "eager", tmp_path / "c")
    _same(want, got)


def test_a_tree_of_another_shape_is_another_plan() -> None:
    _init(lambda: Model(depth=2), None, None)
    before = stats.replayed
    _init(lambda: Model(depth=3), None, None)
    assert stats.replayed == before
    _init(lambda: Model(depth=3), None, None)
    assert stats.replayed == before + 1


def test_a_module_already_initialised_is_not_replayed(caplog: pytest.LogCaptureFixture) -> None:
    torch.manual_seed(0)
    model = Model()
    model.init_weights()
    before = stats.replayed
    model.init_weights()  # upstream says so (a log record in this flavour): the walk runs
    assert stats.replayed == before
    assert "init_weights of Model has been called more than once." in caplog.messages


@mminit.WEIGHT_INITIALIZERS.register_module(force=True)
class HalfInit:
    def __init__(self, **kwargs: object) -> None:
        self.wholemodule = False

    def __call__(self, module: nn.Module) -> None:
        for p in module.parameters():
            nn.init.constant_(p, 0.5)


def test_a_custom_initializer_is_never_replayed() -> None:
    build = lambda: Model(cfg=dict(type="HalfInit"))
    eager = _init(build, "eager", None)
    before = stats.replayed
    _init(build, None, None)
    got = _init(build, None, None)
    assert stats.replayed == before
    assert len(plan_cache) == 0
    _same(eager, got)


class ReadsTheTable(mminit.BaseModule):
    """A user's init_weights that asks for an init-info update itself."""

    def __init__(self) -> None:
        super().__init__(dict(type="Xavier", layer="Linear"))
        self.fc = nn.Linear(4, 4)

    def init_weights(self) -> None:
        super().init_weights()
        nn.init.ones_(self.fc.bias)
        mminit.update_init_info(self, "set by hand")


class Outer(mminit.BaseModule):
    def __init__(self) -> None:
        super().__init__(TN)
        self.inner = ReadsTheTable()
        self.fc = nn.Linear(4, 4)


@pytest.mark.parametrize("seen", [True, False], ids=["dump-seen", "dump-unseen"])
def test_user_code_may_update_the_init_info_during_a_replay(tmp_path: Path, seen: bool) -> None:
    dump = (lambda name: tmp_path / name) if seen else (lambda name: None)
    eager = _init(Outer, "eager", dump("eager"))
    _init(Outer, None, dump("first"))
    before = stats.replayed
    got = _init(Outer, None, dump("second"))
    assert stats.replayed == before + 1
    _same(eager, got)
    if seen:
        assert "fc.bias - torch.Size([4]): \nset by hand" in got[2]


class _Mixin:
    def init_weights(self) -> None:  # never reaches BaseModule.init_weights
        nn.init.constant_(self.fc.weight, 0.25)  # type: ignore[attr-defined]


class ViaMixin(_Mixin, mminit.BaseModule):
    def __init__(self) -> None:
        mminit.BaseModule.__init__(self, dict(type="Normal", layer="Linear"))
        self.fc = nn.Linear(4, 4)

    def init_weights(self) -> None:
        super().init_weights()
        nn.init.zeros_(self.fc.bias)


class OuterMixin(mminit.BaseModule):
    def __init__(self) -> None:
        super().__init__(TN)
        self.inner = ViaMixin()
        self.fc = nn.Linear(4, 4)


@pytest.mark.parametrize("seen", [True, False], ids=["dump-seen", "dump-unseen"])
def test_a_child_whose_code_does_not_start_with_super_runs_whole_in_the_replay(
    tmp_path: Path, seen: bool
) -> None:
    # ViaMixin's super() reaches the mixin, not BaseModule: its init_weights is code the
    # plan cannot split, so the replay runs it whole where the walk did
    dump = (lambda name: tmp_path / name) if seen else (lambda name: None)
    eager = _init(OuterMixin, "eager", dump("eager"))
    _init(OuterMixin, None, dump("first"))
    before = stats.replayed
    got = _init(OuterMixin, None, dump("second"))
    assert stats.replayed == before + 1
    _same(eager, got)


class Leaf(mminit.BaseModule):
    def __init__(self) -> None:
        super().__init__(TN)
        self.fc = nn.Linear(4, 4)


class Top(mminit.BaseModule):
    def __init__(self) -> None:
        super().__init__(TN)  # fills leaf.fc first; Leaf's own TN (same string) overwrites it
        self.leaf = Leaf()


def test_a_run_whose_last_mean_is_the_first_regenerates_the_draws(tmp_path: Path) -> None:
    # The parent's TruncNormal on leaf.fc.weight is checked, then overwritten by the leaf's
    # with the same info string: the replay only draws the first (no transform, no mean).
    # Its mean is needed only where the run ends on the mean it started from: built here by
    # starting from the very values the init ends with.
    final = _init(Top, "eager", None)[0]["leaf.fc.weight"]

    def build() -> nn.Module:
        top = Top()
        with torch.no_grad():
            top.leaf.fc.weight.copy_(final)
        return top

    eager = _init(build, "eager", tmp_path / "eager")
    _init(build, None, tmp_path / "first")
    before = stats.replayed
    got = _init(build, None, tmp_path / "second")
    assert stats.replayed == before + 1
    (plan,) = [plan_cache.get(key) for key in plan_cache]
    assert plan is not None and plan.program(True, []).n_saves == 1
    _same(eager, got)
    assert "leaf.fc.weight - torch.Size([4, 4]): \nTruncNormalInit" in got[2]


def test_a_name_registered_again_since_makes_the_walk_run(tmp_path: Path) -> None:
    cfg = dict(type="PlanCacheFill", layer="Linear")

    def register(val: float) -> None:
        @mminit.WEIGHT_INITIALIZERS.register_module(name="PlanCacheFill", force=True)
        class PlanCacheFill(mminit.ConstantInit):
            def __init__(self, **kwargs: object) -> None:
                super().__init__(val=val, **kwargs)

    register(0.5)
    _init(lambda: Model(cfg=cfg), None, None)
    _init(lambda: Model(cfg=cfg), None, None)  # replays
    register(0.25)  # the same name, another class
    before = stats.replayed
    got = _init(lambda: Model(cfg=cfg), None, tmp_path / "got")
    assert stats.replayed == before
    want = _init(lambda: Model(cfg=cfg), "eager", tmp_path / "want")
    _same(want, got)
    assert "val=0.25" in got[2]


class Plain(mminit.BaseModule):
    """No user code: a tree fast mode can replay."""

    def __init__(self) -> None:
        super().__init__(TN)
        self.blocks = mminit.ModuleList([Block() for _ in range(3)], init_cfg=LN)
        self.head = nn.Linear(8, 2)


@pytest.mark.parametrize("seen", [True, False], ids=["dump-seen", "dump-unseen"])
def test_a_second_fast_init_replays_the_fast_walk(
    tmp_path: Path, seen: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    dump = (lambda name: tmp_path / name) if seen else (lambda name: None)
    monkeypatch.setenv("MMINIT_PLAN_CACHE", "0")
    walk = _init(Plain, "fast", dump("walk"))
    monkeypatch.setenv("MMINIT_PLAN_CACHE", "1")
    before = stats.replayed
    first = _init(Plain, "fast", dump("first"))
    assert stats.replayed == before and len(plan_cache) == 1
    second = _init(Plain, "fast", dump("second"))
    assert stats.replayed == before + 1
    _same(walk, first)
    _same(walk, second)
    if seen:
        assert "TruncNormalInit" in second[2]


def test_fast_and_compat_plans_are_kept_apart() -> None:
    before = stats.replayed
    _init(Plain, None, None)  # compat: records
    _init(Plain, "fast", None)  # fast: a plan of its own, recorded
    assert stats.replayed == before and len(plan_cache) == 2
    _init(Plain, "fast", None)
    _init(Plain, None, None)
    assert stats.replayed == before + 2


@pytest.mark.parametrize("seen", [True, False], ids=["dump-seen", "dump-unseen"])
def test_a_fast_replay_runs_the_users_code_as_the_fast_walk_did(
    tmp_path: Path, seen: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    dump = (lambda name: tmp_path / name) if seen else (lambda name: None)
    monkeypatch.setenv("MMINIT_PLAN_CACHE", "0")
    walk = _init(Model, "fast", dump("walk"))  # WithUserCode inside: a barrier
    monkeypatch.setenv("MMINIT_PLAN_CACHE", "1")
    before = stats.replayed
    first = _init(Model, "fast", dump("first"))
    second = _init(Model, "fast", dump("second"))
    assert stats.replayed == before + 1
    _same(walk, first)
    _same(walk, second)
    if seen:
        assert "Initialized by user-defined" in second[2]


class Foreign(mminit.BaseModule):
    """A child whose init_weights does not start with super(): run whole."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def init_weights(self) -> None:
        nn.init.zeros_(self.fc.bias)
        super().init_weights()


class WithForeign(mminit.BaseModule):
    def __init__(self) -> None:
        super().__init__(TN)
        self.child = Foreign()


@pytest.mark.parametrize("seen", [True, False], ids=["dump-seen", "dump-unseen"])
def test_a_fast_replay_runs_a_foreign_child_whole_as_the_fast_walk_did(
    tmp_path: Path, seen: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    dump = (lambda name: tmp_path / name) if seen else (lambda name: None)
    monkeypatch.setenv("MMINIT_PLAN_CACHE", "0")
    walk = _init(WithForeign, "fast", dump("walk"))
    monkeypatch.setenv("MMINIT_PLAN_CACHE", "1")
    before = stats.replayed
    first = _init(WithForeign, "fast", dump("first"))
    second = _init(WithForeign, "fast", dump("second"))
    assert stats.replayed == before + 1
    _same(walk, first)
    _same(walk, second)


def test_an_isolated_cache_starts_empty_and_gives_back_what_it_held() -> None:
    _init(Plain, None, None)
    assert len(plan_cache) == 1
    kept = list(plan_cache)
    with plan_cache.isolated():
        assert len(plan_cache) == 0
        _init(Plain, "fast", None)  # a first init, recorded inside
        assert len(plan_cache) == 1
    assert list(plan_cache) == kept
    before = stats.replayed
    _init(Plain, None, None)
    assert stats.replayed == before + 1  # the compat plan was kept


def _count_index_builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The class of each subtree the engine indexes from now on."""
    from mminit._engine import state

    built: list[str] = []
    original = state._tree_index

    def counting(root: nn.Module, table: object) -> object:
        built.append(type(root).__name__)
        return original(root, table)

    monkeypatch.setattr(state, "_tree_index", counting)
    return built


@pytest.mark.parametrize("mode", ["compat", "fast"])
def test_a_replay_takes_a_barriers_subtree_from_its_plan(
    mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A replay settles a user's code's subtree, and counts it written afterwards, with the
    parameters its plan names: no walk of the subtree (the tree has the plan's shape)."""
    _init(Model, mode, None)  # records
    built = _count_index_builds(monkeypatch)
    before = stats.replayed
    _init(Model, mode, None)
    assert stats.replayed == before + 1
    assert built == []


def test_the_walk_indexes_a_user_codes_subtree_again_only_after_its_code(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Nothing of the user's runs before a ``super()``-first ``init_weights`` reaches
    mminit's, so the index of the whole tree stands until that code runs after it: the
    walk indexes the root once, then the user's subtree once, after its code."""
    monkeypatch.setenv("MMINIT_PLAN_CACHE", "0")
    built = _count_index_builds(monkeypatch)
    _init(Model, None, None)
    assert built == ["Model", "WithUserCode"]
