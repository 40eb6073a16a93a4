"""A half-migrated repo: custom initializers still registered in upstream's registry."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from .libs import requested_flavours
from .test_core_support import lib

FLAVOURS = requested_flavours()


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_type_missing_from_mminit_is_found_in_upstream_registry(flavour):
    up = lib(flavour, "upstream")
    ours = lib(flavour, "mminit")

    class UpstreamOnlyFives(up.BaseInit):
        def __call__(self, module):
            for p in module.parameters():
                nn.init.constant_(p, 5)

    up.REGISTRY.register_module(name="UpstreamOnlyFives", module=UpstreamOnlyFives, force=True)
    assert ours.REGISTRY.get("UpstreamOnlyFives") is UpstreamOnlyFives
    lin = nn.Linear(2, 2)
    ours.initialize(lin, dict(type="UpstreamOnlyFives"))
    assert torch.all(lin.weight == 5)


def _mmengine_only_test_default_scope_child_registry_is_searched():
    from mmengine.registry import WEIGHT_INITIALIZERS, DefaultScope, Registry

    child = Registry("weight initializer", parent=WEIGHT_INITIALIZERS, scope="mminit_test_scope")

    @child.register_module(name="ScopedSixes", force=True)
    class ScopedSixes:
        def __call__(self, module):
            for p in module.parameters():
                nn.init.constant_(p, 6)

    import mminit

    lin = nn.Linear(2, 2)
    with DefaultScope.overwrite_default_scope("mminit_test_scope"):
        mminit.initialize(lin, dict(type="ScopedSixes"))
    assert torch.all(lin.weight == 6)
    with pytest.raises(KeyError):
        mminit.initialize(nn.Linear(1, 1), dict(type="ScopedSixes"))


if "mmengine" in FLAVOURS:  # defined only where the mmengine flavour is tested: no empty skip
    test_default_scope_child_registry_is_searched = (
        _mmengine_only_test_default_scope_child_registry_is_searched
    )
