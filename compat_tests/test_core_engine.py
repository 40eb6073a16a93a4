"""The compat engine (skipped transforms, lazy checks) against upstream's literal sequence."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from .libs import requested_flavours
from .test_core_support import assert_same, both

FLAVOURS = requested_flavours()
TN = dict(type="TruncNormal", layer="Linear", std=0.02)
TN_OTHER = dict(type="TruncNormal", layer="Linear", std=0.05)
TN_ZERO = dict(type="TruncNormal", layer="Linear", a=0, b=0)
LN = dict(type="Constant", layer="LayerNorm", val=1.0)


def _vit(
    L,
    *,
    leaf_cfg=(TN, LN),
    mid_cfg=(TN,),
    top_cfg=(TN,),
    zero=False,
    reader=False,
    tied=False,
    custom=None,
    explode=False,
):
    class Leaf(L.BaseModule):
        def __init__(self):
            super().__init__(
                list(leaf_cfg) + ([dict(type="Xavier", layer="LayerNorm")] if explode else [])
            )
            self.fc1 = nn.Linear(4, 8)
            self.fc2 = nn.Linear(8, 4)
            self.ln = nn.LayerNorm(4)
            if zero:
                nn.init.zeros_(self.fc1.weight)

    class Mid(L.BaseModule):
        def __init__(self):
            super().__init__(list(mid_cfg) + ([custom] if custom else []))
            self.layers = L.ModuleList([Leaf(), Leaf()])
            self.proj = nn.Linear(4, 4)
            self.pos = nn.Parameter(torch.zeros(1, 3, 4))
            self.register_buffer("seen", torch.zeros(2))
            if tied:
                self.layers[1].fc1.weight = self.layers[0].fc1.weight

        def init_weights(self):
            if reader:
                # reads parameters before super(): must see the materialised values
                self.seen[0] = self.layers[0].fc2.weight.data.mean()
                self.seen[1] = self.proj.weight.data.std()
            super().init_weights()
            L.trunc_normal_(self.pos, std=0.02)
            self.proj.weight.data.add_(self.layers[1].fc2.weight.data.sum())

    class Top(L.BaseModule):
        def __init__(self):
            super().__init__(list(top_cfg))
            self.backbone = Mid()
            self.head = L.Sequential(
                nn.Linear(4, 2), init_cfg=dict(type="Constant", layer="Linear", val=0)
            )

    return Top


SCENARIOS = {
    "same-string-chain": {},
    "different-std-levels": dict(mid_cfg=(TN_OTHER,)),
    "constant-after-trunc": dict(leaf_cfg=(dict(type="Constant", layer="Linear", val=0.5), LN)),
    "final-equals-initial": dict(
        leaf_cfg=(TN_ZERO,), mid_cfg=(TN_ZERO,), top_cfg=(TN_ZERO,), zero=True
    ),
    "reader-before-super": dict(reader=True),
    "tied-weights": dict(tied=True),
    "exception-with-pending": dict(explode=True),
    "no-top-cfg": dict(top_cfg=()),
}


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_engine_matches_upstream(flavour, scenario):
    ours, theirs = both(
        flavour, lambda L: (lambda m: m.init_weights(), _vit(L, **SCENARIOS[scenario]))
    )
    assert_same(ours, theirs)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_custom_initializer_reading_pending_values(flavour):
    def make(L):
        name = "DoubleIt"

        @L.REGISTRY.register_module(name=name, force=True)
        class DoubleIt(L.BaseInit):
            def __call__(self, module):
                for m in module.modules():
                    if isinstance(m, nn.Linear):
                        m.weight.data.mul_(2)
                if hasattr(module, "_params_init_info"):
                    L.update_init_info(module, init_info="doubled")

        return (lambda m: m.init_weights(), _vit(L, custom=dict(type=name)))

    ours, theirs = both(flavour, make)
    assert_same(ours, theirs)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_pretrained_after_pending(flavour, tmp_path):
    torch.manual_seed(7)
    path = tmp_path / "mid.pth"
    torch.save({"proj.weight": torch.randn(4, 4)}, path)
    pre = dict(type="Pretrained", checkpoint=str(path))
    ours, theirs = both(flavour, lambda L: (lambda m: m.init_weights(), _vit(L, mid_cfg=(TN, pre))))
    assert_same(ours, theirs)


def _with_user_code(L):
    class Inner(L.BaseModule):
        def __init__(self):
            super().__init__(dict(type="Constant", layer="Linear", val=0.5))
            self.proj = nn.Linear(4, 4)

        def init_weights(self):
            super().init_weights()
            nn.init.zeros_(self.proj.bias)

    class Outer(L.BaseModule):
        def __init__(self):
            super().__init__(dict(type="Normal", layer="Linear", std=0.1))
            self.inner = Inner()
            self.fc = nn.Linear(4, 2)

    return Outer


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_an_instances_own_init_weights_may_change_the_tree_before_super(flavour):
    """A class's ``init_weights`` that starts with ``super()`` runs nothing before it, so
    the engine keeps its index of the tree across the call; a function set on the instance
    may run anything first.  Here it gives ``inner`` a new ``proj``, which upstream's
    ``Linear`` fill then writes and whose parameters its table lacks (its check asserts)."""

    def make(L):
        Outer = _with_user_code(L)

        def build():
            model = Outer()
            inner = model.inner

            def init_weights():
                inner.proj = nn.Linear(4, 4)
                type(inner).init_weights(inner)

            inner.init_weights = init_weights
            return model

        return (lambda m: m.init_weights(), build)

    ours, theirs = both(flavour, make)
    assert theirs.exc_type is not None
    assert_same(ours, theirs)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_user_init_weights_starting_with_super(flavour):
    """The same tree without the instance's function: upstream's values and strings."""
    ours, theirs = both(flavour, lambda L: (lambda m: m.init_weights(), _with_user_code(L)))
    assert theirs.exc_type is None
    assert_same(ours, theirs)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_an_initializer_the_users_code_calls_runs_before_that_code_goes_on(flavour):
    """mminit's engine runs what the walk asks later, in segments; what the user's own
    ``init_weights`` asks of it after ``super()`` (an initializer, ``initialize``) must
    run at once, since the user's code reads and overwrites those weights right after:
    each read sees upstream's value, each direct write lands after the initializer's."""

    def make(L):
        class Block(L.BaseModule):
            def __init__(self):
                super().__init__([TN, LN])
                self.fc = nn.Linear(4, 4)
                self.ln = nn.LayerNorm(4)
                self.register_buffer("seen", torch.zeros(3))

            def init_weights(self):
                super().init_weights()
                L.initialize(self.fc, dict(type="Normal", std=0.3, bias=0.1))
                self.seen[0] = self.fc.weight.data.mean()  # reads the Normal fill
                nn.init.zeros_(self.fc.bias)  # lands after the initializer's bias
                L.initialize(self, dict(type="Constant", layer="LayerNorm", val=2.0))
                self.seen[1] = self.ln.weight.data.sum()
                self.seen[2] = torch.rand(()).item()  # the random stream at this point

        class Net(L.BaseModule):
            def __init__(self):
                super().__init__([TN, dict(type="Kaiming", layer="Linear")])
                self.blocks = L.ModuleList([Block(), Block()])
                self.head = nn.Linear(4, 2)

        return (lambda m: m.init_weights(), Net)

    ours, theirs = both(flavour, make)
    assert theirs.exc_type is None
    assert_same(ours, theirs)
