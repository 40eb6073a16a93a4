"""Mixed trees (upstream and mminit ``BaseModule``s) driven by mminit's engine, vs real upstream.

Each model is built twice under the same seed: once all-upstream, initialised
by upstream's own ``model.init_weights()``; once mixed, initialised by
``mminit.init_weights(model)``, the router (``mminit.route`` /
``mminit.enable``) or plain ``init_weights()``.  Every tensor, log record
(the init-info dump included), warning, exception type, ``is_init`` and
leftover table must agree.  ``mminit._engine.state.stats`` shows the engine really
ran and drove the upstream modules (no eager fallback).
"""

from __future__ import annotations

import importlib
import warnings

import pytest
import torch
from torch import nn

from .libs import requested_flavours
from .test_core_support import assert_same, lib, run

FLAVOURS = requested_flavours()

T = dict(type="TruncNormal", std=0.02, layer="Linear")
K = dict(type="Kaiming", layer="Conv2d")
C = dict(type="Constant", val=1, layer=["BatchNorm2d", "Linear"])
X = dict(type="Xavier", layer="Linear", override=dict(name="c", type="Constant", val=3))


def _mm(flavour):
    return importlib.import_module("mminit" if flavour == "mmengine" else "mminit.mmcv1")


def _stats():
    from mminit._engine.state import stats

    return stats.engines, stats.upstream_driven, stats.eager_subtrees


def _factory(A, B, root_cfg=None, pretrained=None):
    """A tree alternating between libraries ``A`` (root, grandchildren) and ``B``.

    ``Own`` (from A) overrides ``init_weights`` and calls ``super()`` first, as
    mmpretrain's ViT layers do; containers come from both libraries.
    """

    class Block(B.BaseModule):
        def __init__(self, init_cfg=None):
            super().__init__(init_cfg)
            self.conv = nn.Conv2d(2, 2, 1)
            self.bn = nn.BatchNorm2d(2)
            self.fc = nn.Linear(2, 2)

    class Leaf(A.BaseModule):
        def __init__(self, init_cfg=None):
            super().__init__(init_cfg)
            self.fc = nn.Linear(2, 3)

    class Mid(B.BaseModule):
        def __init__(self):
            super().__init__(dict(type="Normal", std=0.3, layer="Linear"))
            self.leaf = Leaf(T)
            self.leaves = A.ModuleList([Leaf(), Leaf(dict(type="Uniform", layer="Linear"))])

    class Own(A.BaseModule):
        def __init__(self):
            super().__init__(dict(type="Normal", std=0.1, layer="Linear"))
            self.fc = nn.Linear(2, 2)
            self.b = Block(T)

        def init_weights(self):
            super().init_weights()
            for m in self.b.modules():
                if isinstance(m, nn.Linear):
                    nn.init.xavier_uniform_(m.weight)

    class Root(A.BaseModule):
        def __init__(self):
            cfg = [T, K, X] if root_cfg is None else root_cfg
            if pretrained is not None:
                cfg = cfg + [pretrained]
            super().__init__(cfg)
            self.a = Block(C)
            self.s = B.Sequential(
                Block(),
                A.ModuleList([Block(T), nn.Linear(2, 2)]),
                init_cfg=dict(type="Constant", val=5, layer="Linear"),
            )
            self.d = B.ModuleDict({"mid": Mid(), "lin": nn.Linear(2, 2)})
            self.o = Own()
            self.c = nn.Conv2d(1, 1, 1)

    return Root


SHAPES = {  # (root library, other library) on the mixed side
    "upstream-root": ("upstream", "mminit"),
    "mminit-root": ("mminit", "upstream"),
    "all-upstream": ("upstream", "upstream"),
}


def _entry(flavour, how):
    mm = _mm(flavour)
    if how == "front":
        return lambda m: mm.init_weights(m)
    if how == "route":

        def routed(m):
            with mm.route(m):
                m.init_weights()

        return routed

    def enabled(m):
        mm.enable()
        try:
            m.init_weights()
        finally:
            mm.disable()

    return enabled


def _pure_then_mixed(flavour, shape, entry):
    """Upstream's own ``init_weights`` on the all-upstream tree, the engine counters, then
    ``entry`` on the tree mixed as ``shape``: ``(pure, before, mixed)``."""
    up = lib(flavour, "upstream")
    A, B = (lib(flavour, side) for side in SHAPES[shape])
    pure = run(lambda m: m.init_weights(), model=_factory(up, up))
    before = _stats()
    mixed = run(entry, model=_factory(A, B))
    return pure, before, mixed


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("how", ["front", "route", "enable"])
def test_engine_drives_mixed_tree_like_upstream(flavour, shape, how):
    pure, before, mixed = _pure_then_mixed(flavour, shape, _entry(flavour, how))
    after = _stats()
    assert_same(mixed, pure)
    assert after[0] == before[0] + 1, "one engine ran the whole model"
    assert after[1] > before[1], "the engine drove the upstream BaseModules"
    assert after[2] == before[2], "nothing fell back to upstream's own code"


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_mminit_root_drives_upstream_children_by_default(flavour):
    """No opt-in: an mminit root's plain init_weights() drives upstream children too."""
    pure, before, mixed = _pure_then_mixed(flavour, "mminit-root", lambda m: m.init_weights())
    after = _stats()
    assert_same(mixed, pure)
    assert after[0] == before[0] + 1 and after[1] > before[1]


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_upstream_root_keeps_upstream_code_by_default(flavour):
    """Without the opt-in, model.init_weights() on an upstream root is upstream's own code;
    each mminit module that code calls runs its subtree under an engine of its own (as an
    mminit root does), nothing falling back to upstream's sequence."""
    pure, before, mixed = _pure_then_mixed(flavour, "upstream-root", lambda m: m.init_weights())
    after = _stats()
    assert_same(mixed, pure)
    # a, s, d and o.b (Own is upstream code): the mminit modules upstream's code calls
    assert after[0] == before[0] + 4
    assert after[2] == before[2]


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_upstream_root_mminit_subtrees_take_fewer_means(flavour, monkeypatch):
    """The engines under an upstream root skip what upstream's sequence recomputes (a
    migrated model's own init_weights()): fewer means than the all-upstream tree, same result."""
    up, me = lib(flavour, "upstream"), lib(flavour, "mminit")
    calls = []
    original = torch.Tensor.mean

    def counting(self, *args, **kwargs):
        calls.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(torch.Tensor, "mean", counting)
    pure = run(lambda m: m.init_weights(), model=_factory(up, up))
    upstream_means = len(calls)
    calls.clear()
    mixed = run(lambda m: m.init_weights(), model=_factory(up, me))
    assert_same(mixed, pure)
    assert len(calls) < upstream_means


def _writes_before_super(A, B):
    """An ``A`` root holding a ``B`` module whose own ``init_weights`` writes a parameter,
    then calls ``super()``, whose ``init_cfg`` names only that module's own class (a fill
    that writes nothing: only its check sees the earlier write)."""

    class Head(B.BaseModule):
        def __init__(self):
            super().__init__(dict(type="Xavier", gain=2.0, bias=0.1, layer="Head"))
            self.bn = nn.BatchNorm2d(5)

        def init_weights(self):
            nn.init.normal_(self.bn.weight, 0, 0.02)
            super().init_weights()

    class Root(A.BaseModule):
        def __init__(self):
            super().__init__(
                dict(type="Uniform", b=1, bias=-2.0, layer=["Root", "Head", "_BatchNorm"])
            )
            self.head = Head()

    return Root


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_upstream_root_sees_writes_made_before_super(flavour):
    """Under an upstream root, a migrated module's own writes before ``super().init_weights()``
    are seen by its first check ("XavierInit: ..." for head.bn.weight, as upstream records),
    although no fill of the engine wrote them (found by the generated mixed cases)."""
    up, me = lib(flavour, "upstream"), lib(flavour, "mminit")
    pure = run(lambda m: m.init_weights(), model=_writes_before_super(up, up))
    mixed = run(lambda m: m.init_weights(), model=_writes_before_super(up, me))
    assert any("XavierInit" in msg for msg in _infos(pure)), "the case tests what it names"
    assert_same(mixed, pure)


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("shape", list(SHAPES))
def test_eager_front_door_matches_upstream(flavour, shape):
    mm = _mm(flavour)
    pure, before, mixed = _pure_then_mixed(
        flavour, shape, lambda m: mm.init_weights(m, mode="eager")
    )
    assert_same(mixed, pure)
    assert _stats()[0] == before[0], "eager runs no engine"


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("shape", list(SHAPES))
def test_front_door_twice_matches_upstream(flavour, shape):
    """A second call: the repeat warning/record of each flavour, nothing re-initialised."""
    up = lib(flavour, "upstream")
    A, B = (lib(flavour, side) for side in SHAPES[shape])
    mm = _mm(flavour)

    def twice_upstream(m):
        m.init_weights()
        m.init_weights()

    def twice_front(m):
        mm.init_weights(m)
        mm.init_weights(m)

    assert_same(run(twice_front, model=_factory(A, B)), run(twice_upstream, model=_factory(up, up)))


ERRORS = {
    "bad-override": [dict(type="Constant", val=1, override=dict(name="nope"))],
    "xavier-on-1d": [dict(type="Xavier", layer="BatchNorm2d")],
    "missing-type": [dict(val=1)],
}


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("error", list(ERRORS))
def test_errors_in_mixed_trees_match_upstream(flavour, shape, error):
    """Exception type, the state left behind (tensors, is_init, leftover table) agree."""
    up = lib(flavour, "upstream")
    A, B = (lib(flavour, side) for side in SHAPES[shape])
    mm = _mm(flavour)
    cfg = ERRORS[error]
    pure = run(lambda m: m.init_weights(), model=_factory(up, up, root_cfg=cfg))
    mixed = run(lambda m: mm.init_weights(m), model=_factory(A, B, root_cfg=cfg))
    assert pure.exc_type is not None
    assert_same(mixed, pure)


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("shape", list(SHAPES))
def test_pretrained_in_mixed_tree_matches_upstream(flavour, shape, tmp_path):
    """Pretrained in the root's list (mmengine: last; mmcv 1.x: in order), load log included."""
    up = lib(flavour, "upstream")
    A, B = (lib(flavour, side) for side in SHAPES[shape])
    mm = _mm(flavour)
    torch.manual_seed(123)
    source = _factory(up, up)()
    path = tmp_path / "ckpt.pth"
    state = {k: v for k, v in source.state_dict().items() if k.startswith(("a.", "o."))}
    torch.save({"state_dict": state}, path)
    pre = dict(type="Pretrained", checkpoint=str(path))
    pure = run(lambda m: m.init_weights(), model=_factory(up, up, pretrained=pre))
    mixed = run(lambda m: mm.init_weights(m), model=_factory(A, B, pretrained=pre))
    assert_same(mixed, pure)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_route_is_scoped_and_restored(flavour):
    """Only the routed model runs through mminit; the original method is back afterwards."""
    up = lib(flavour, "upstream")
    mm = _mm(flavour)
    original = up.BaseModule.__dict__["init_weights"]
    Model = _factory(up, up)
    a, b = Model(), Model()
    with mm.route(a):
        assert up.BaseModule.__dict__["init_weights"] is not original
        before = _stats()
        b.init_weights()
        assert _stats() == before, "a model outside the route runs upstream's code"
        a.init_weights()
        assert _stats()[0] == before[0] + 1
    assert up.BaseModule.__dict__["init_weights"] is original
    mm.enable()
    mm.enable()
    mm.disable()
    assert up.BaseModule.__dict__["init_weights"] is original


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_front_door_rejects_what_it_cannot_initialise(flavour):
    mm = _mm(flavour)
    with pytest.raises(TypeError, match="has no init_weights.*BaseModule"):
        mm.init_weights(nn.Linear(2, 2))
    with pytest.raises(ValueError, match="mode must be one of"):
        mm.init_weights(_factory(lib(flavour, "mminit"), lib(flavour, "mminit"))(), mode="quick")


# -- fast mode ------------------------------------------------------------------


def _infos(outcome):
    return [msg for _, msg in outcome.records if " - torch.Size(" in msg]


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("shape", list(SHAPES))
def test_fast_front_door_drives_upstream_modules(flavour, shape):
    """Fast mode on mixed trees: applied (engine stats), same info strings as upstream, no warning."""
    mm = _mm(flavour)
    pure, before, fast = _pure_then_mixed(flavour, shape, lambda m: mm.init_weights(m, mode="fast"))
    after = _stats()
    assert fast.exc_type is None and not fast.warnings
    assert after[0] == before[0] + 1 and after[1] > before[1] and after[2] == before[2]
    assert _infos(fast) == _infos(pure)
    assert fast.extra == pure.extra
    assert any(not torch.equal(fast.state[k], pure.state[k]) for k in pure.state), (
        "fast draws fewer numbers"
    )


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_fast_names_upstream_code_it_could_not_drive(flavour):
    """An upstream class with its own init_weights (no route): upstream's code runs; one warning
    names each such module by qualified name and class, and what ran."""
    up, me = lib(flavour, "upstream"), lib(flavour, "mminit")
    from mminit import FastModeWarning

    model = _factory(me, up)()  # Own (mminit) holds Block (upstream); Mid (upstream) is native

    class OwnUp(up.BaseModule):
        def __init__(self):
            super().__init__(dict(type="Constant", val=2, layer="Linear"))
            self.fc = nn.Linear(2, 2)

        def init_weights(self):
            self.fc.bias.data.fill_(0.5)  # user code first: never driven
            super().init_weights()

    model.d["own_up"] = OwnUp()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.init_weights(mode="fast")
    fast = [w for w in caught if issubclass(w.category, FastModeWarning)]
    assert len(fast) == 1, [str(w.message) for w in caught]
    text = str(fast[0].message)
    assert (
        "d.own_up (OwnUp: its own init_weights)" in text
        and "upstream's own init_weights ran" in text
    )
    assert bool(torch.all(model.d.own_up.fc.weight == 2)) and bool(
        torch.all(model.d.own_up.fc.bias == 0)
    )


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_fast_mode_under_upstream_root_warns_once(flavour):
    """init_mode('fast') cannot reach into upstream's own init_weights: say so instead of silence."""
    up, me = lib(flavour, "upstream"), lib(flavour, "mminit")
    mm = _mm(flavour)
    from mminit import FastModeWarning

    model = _factory(up, me)()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with mm.init_mode("fast"):
            model.init_weights()
    fast = [str(w.message) for w in caught if issubclass(w.category, FastModeWarning)]
    assert len(fast) == 1 and "mminit.init_weights(model, mode='fast')" in fast[0]


# -- flavours mixed: mmengine-style parents with mmcv 1.x-style children ----------------


def _both_upstreams() -> bool:
    """mmengine and mmcv 1.x side by side (.venv-mmcv); defined only there, never skipped."""
    if "mmcv1" not in FLAVOURS:
        return False
    try:
        importlib.import_module("mmengine.model")
        importlib.import_module("mmcv.runner")
    except Exception:  # noqa: BLE001
        return False
    return True


CROSS = {  # (root side, children side) for the mmengine-flavour root / mmcv1-flavour children
    "mminit-root": ("mminit", "upstream"),
    "mminit-children": ("upstream", "mminit"),
    "all-mminit": ("mminit", "mminit"),
}


@pytest.mark.parametrize("shape", list(CROSS))
def _mixed_flavours_follow_each_module_origin(shape):
    """An mmcv 1.x BaseModule under an mmengine root keeps mmcv 1.x rules (INFO records, list
    order, repeat warnings, its own logger), as upstream does when the two are mixed."""
    root_side, child_side = CROSS[shape]
    E_up, M_up = lib("mmengine", "upstream"), lib("mmcv1", "upstream")
    E, M = lib("mmengine", root_side), lib("mmcv1", child_side)
    pre_free = [T, K]
    pure = run(lambda m: m.init_weights(), model=_factory(E_up, M_up, root_cfg=pre_free))
    before = _stats()
    mixed = run(lambda m: _mm("mmengine").init_weights(m), model=_factory(E, M, root_cfg=pre_free))
    assert_same(mixed, pure)
    assert _stats()[0] == before[0] + 1


if _both_upstreams():
    test_mixed_flavours_follow_each_module_origin = _mixed_flavours_follow_each_module_origin


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_first_init_in_a_fresh_process_drives_upstream_children(flavour):
    """Upstream classes imported after mminit are recognised at the first init."""
    import subprocess
    import sys

    up_import = "mmengine.model" if flavour == "mmengine" else "mmcv.runner"
    mm = "mminit" if flavour == "mmengine" else "mminit.mmcv1"
    code = f"""
import importlib, torch
from torch import nn
mm = importlib.import_module({mm!r})
up = importlib.import_module({up_import!r})
from mminit._engine.state import stats
class Root(mm.BaseModule):
    def __init__(self):
        super().__init__(dict(type="Normal", std=0.1, layer="Linear"))
        self.child = up.Sequential(nn.Linear(2, 2), init_cfg=dict(type="Constant", val=1, layer="Linear"))
Root().init_weights()
print(stats.engines, stats.upstream_driven, stats.eager_subtrees)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split()[-3:] == ["1", "1", "0"], out.stdout + out.stderr
