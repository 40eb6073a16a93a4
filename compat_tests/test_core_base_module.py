"""Parity of ``BaseModule.init_weights`` and its containers with upstream."""

from __future__ import annotations

import logging

import pytest
import torch
from torch import nn

from .libs import requested_flavours
from .test_core_support import assert_same, both, lib, run

FLAVOURS = requested_flavours()


def _classes(L):
    """A small family of BaseModule subclasses built on ``L``'s classes."""

    class Block(L.BaseModule):
        def __init__(self, init_cfg=None):
            super().__init__(init_cfg)
            self.conv = nn.Conv2d(2, 2, 1)
            self.bn = nn.BatchNorm2d(2)

    class OwnInit(L.BaseModule):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)

        def init_weights(self):
            nn.init.constant_(self.fc.weight, 0.25)

    class DataOnly(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 3)

        def init_weights(self):
            self.fc.weight.data.fill_(7.0)

    class Net(L.BaseModule):
        def __init__(self, init_cfg=None, child_cfg=None, container_cfg=None):
            super().__init__(init_cfg)
            self.stem = nn.Conv2d(3, 2, 3)
            self.block = Block(child_cfg)
            self.stages = L.Sequential(
                Block(), Block(dict(type="Constant", val=2, layer="Conv2d")), init_cfg=container_cfg
            )
            self.blocks = L.ModuleList([Block(), OwnInit()], init_cfg=container_cfg)
            self.heads = L.ModuleDict(
                {"a": nn.Linear(2, 2), "b": DataOnly()}, init_cfg=container_cfg
            )
            self.plain = nn.Linear(2, 1)

    return Net


K = dict(type="Kaiming", layer="Conv2d")
C = dict(type="Constant", val=1, layer=["BatchNorm2d", "Linear"])
N = dict(type="Normal", std=0.3, layer=["Linear", "Conv2d"])
SCENARIOS = {
    "no-cfg": dict(),
    "parent-only": dict(init_cfg=[K, C]),
    "child-overrides-parent": dict(init_cfg=K, child_cfg=N),
    "containers": dict(init_cfg=N, container_cfg=dict(type="Uniform", layer=["Linear", "Conv2d"])),
    "override-child": dict(
        init_cfg=dict(type="Xavier", layer="Conv2d", override=dict(name="block"))
    ),
    "error-in-child": dict(init_cfg=K, child_cfg=dict(type="Xavier", layer="BatchNorm2d")),
    "error-at-top": dict(init_cfg=dict(type="Constant", val=1, override=dict(name="nope"))),
    "string-cfg": dict(init_cfg="Kaiming"),
    "list-with-non-dict": dict(init_cfg=[K, "Constant"]),
    "missing-type": dict(init_cfg=dict(val=1)),
}


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_init_weights_matches_upstream(flavour, scenario):
    """Tensors, init-info dump, log records, is_init and leftover bookkeeping agree."""
    kw = SCENARIOS[scenario]
    ours, theirs = both(flavour, lambda L: (lambda m: m.init_weights(), lambda: _classes(L)(**kw)))
    assert_same(ours, theirs)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_init_weights_twice_matches_upstream(flavour):
    """The second call warns the upstream way (log record or warnings.warn)."""

    def twice(m):
        m.init_weights()
        m.init_weights()

    ours, theirs = both(flavour, lambda L: (twice, lambda: _classes(L)(init_cfg=[K, C])))
    assert_same(ours, theirs)
    assert ours.records or ours.warnings


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_initialised_child_matches_upstream(flavour):
    """mmengine skips children whose is_init is true; mmcv 1.x re-runs (and warns)."""

    def child_first(m):
        m.block.init_weights()
        m.init_weights()

    ours, theirs = both(
        flavour, lambda L: (child_first, lambda: _classes(L)(init_cfg=K, child_cfg=N))
    )
    assert_same(ours, theirs)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_is_init_setter_matches_upstream(flavour):
    def set_it(m):
        m.is_init = True
        return m.is_init

    ours, theirs = both(flavour, lambda L: (set_it, lambda: _classes(L)()))
    assert_same(ours, theirs)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_repr_matches_upstream(flavour):
    ours, theirs = both(
        flavour, lambda L: (lambda m: repr(m), lambda: _classes(L)(init_cfg=[K, C]))
    )
    assert_same(ours, theirs)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_data_parallel_child_matches_upstream(flavour):
    """mmengine unwraps DataParallel children; mmcv 1.x does not."""

    def make(L):
        Net = _classes(L)

        class Wrapper(L.BaseModule):
            def __init__(self):
                super().__init__(dict(type="Constant", val=3, layer="Linear"))
                self.inner = nn.DataParallel(Net(child_cfg=N))

        return (lambda m: m.init_weights(), Wrapper)

    ours, theirs = both(flavour, make)
    assert_same(ours, theirs)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_new_parameter_during_init_matches_upstream(flavour):
    def make(L):
        class Grower(L.BaseModule):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(2, 2)

            def init_weights(self):
                self.extra = nn.Parameter(torch.zeros(2))

        class Top(L.BaseModule):
            def __init__(self):
                super().__init__()
                self.g = Grower()

        return (lambda m: m.init_weights(), Top)

    ours, theirs = both(flavour, make)
    assert_same(ours, theirs)


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("direction", ["upstream-parent", "mminit-parent"])
def test_mixed_trees_match_upstream(flavour, direction):
    """An upstream parent with mminit children (and the reverse) behaves as all-upstream."""
    up, ours_lib = lib(flavour, "upstream"), lib(flavour, "mminit")
    parent_lib, child_lib = (up, ours_lib) if direction == "upstream-parent" else (ours_lib, up)

    def factory(P, Ch):
        ChildNet = _classes(Ch)

        class Mixed(P.BaseModule):
            def __init__(self):
                super().__init__([dict(type="Normal", std=0.5, layer="Linear"), K])
                self.a = ChildNet(child_cfg=C)
                self.b = Ch.Sequential(
                    nn.Linear(2, 2), init_cfg=dict(type="Constant", val=5, layer="Linear")
                )
                self.c = nn.Conv2d(1, 1, 1)

        return Mixed

    mixed = run(lambda m: m.init_weights(), model=factory(parent_lib, child_lib))
    pure = run(lambda m: m.init_weights(), model=factory(up, up))
    assert_same(mixed, pure)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_dump_to_file_handler_matches_upstream(flavour, tmp_path):
    """With a FileHandler on the logger, the dump goes to its stream in upstream's format."""
    import mminit._logging as mlog
    from mminit._flavour import MMCV1, MMENGINE

    texts = {}
    for side in ("upstream", "mminit"):
        L = lib(flavour, side)
        model = _classes(L)(init_cfg=[K, C])
        if side == "upstream" and flavour == "mmengine":
            from mmengine.logging import MMLogger

            logger = MMLogger.get_current_instance()
        elif side == "upstream":
            from mmcv.utils import get_logger

            logger = get_logger("mmcv")
        else:
            logger = mlog.get_logger(MMENGINE if flavour == "mmengine" else MMCV1)
        path = tmp_path / f"{side}.log"
        handler = logging.FileHandler(path)
        handler.setLevel(logging.INFO)  # mmengine's registry chatter is DEBUG
        logger.addHandler(handler)
        try:
            torch.manual_seed(0)
            model.init_weights()
        finally:
            logger.removeHandler(handler)
            handler.close()
        texts[side] = path.read_text()
    assert texts["mminit"] == texts["upstream"]
    assert "Name of parameter - Initialization information\n" in texts["mminit"]
