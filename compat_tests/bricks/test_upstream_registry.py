"""A layer registered only in upstream's registry still builds through mminit (half-migrated trees).

mmengine flavour: names resolve through mmengine's ``MODELS`` under the current
default scope first, as mmcv 2.2.0 does; mmcv1 flavour: a name mminit does not
know is looked up in mmcv 1.x's registry of the same kind (e.g. a DCN conv that
``mmcv.ops`` registers in ``CONV_LAYERS``).
"""

from __future__ import annotations

import pytest
from torch import nn

from compat_tests.bricks.suite import upstream_reason
from compat_tests.libs import INSTALL_HINT, MMINIT_OF, missing_upstream, requested_flavours


def _need(flavour: str) -> None:
    why = upstream_reason(flavour)
    if why is not None:
        missing_upstream(f"needs the mmcv of flavour {flavour!r} ({why}): {INSTALL_HINT[flavour]}")


@pytest.mark.parametrize("flavour", requested_flavours())
def test_upstream_only_conv_builds_through_mminit(flavour: str) -> None:
    _need(flavour)
    import mmcv.cnn

    import mminit
    import mminit.mmcv1

    class UpstreamOnlyConv(nn.Conv2d):
        pass

    name = f"UpstreamOnlyConv_{flavour}"
    if flavour == "mmcv1":
        mmcv.cnn.CONV_LAYERS.register_module(name=name, module=UpstreamOnlyConv)
        lib = mminit.mmcv1
    else:
        from mmengine.registry import MODELS

        MODELS.register_module(name=name, module=UpstreamOnlyConv)
        lib = mminit
    assert type(lib.build_conv_layer({"type": name}, 2, 3, 1)) is UpstreamOnlyConv
    assert type(lib.ConvModule(2, 3, 1, conv_cfg={"type": name}).conv) is UpstreamOnlyConv
    assert type(mmcv.cnn.build_conv_layer({"type": name}, 2, 3, 1)) is UpstreamOnlyConv


def _default_scope_test() -> None:
    _need("mmengine")
    import mmcv.cnn
    from mmengine.registry import MODELS, DefaultScope, Registry

    import mminit

    scope = "mminit_bricks_test_scope"
    child = Registry("model", parent=MODELS, scope=scope)

    @child.register_module()
    class ScopedOnlyNorm(nn.BatchNorm2d):
        pass

    with pytest.raises(KeyError):
        mminit.build_norm_layer({"type": "ScopedOnlyNorm"}, 4)
    with pytest.raises(KeyError):
        mmcv.cnn.build_norm_layer({"type": "ScopedOnlyNorm"}, 4)
    with DefaultScope.overwrite_default_scope(scope):
        name, layer = mminit.build_norm_layer({"type": "ScopedOnlyNorm"}, 4)
        up_name, up_layer = mmcv.cnn.build_norm_layer({"type": "ScopedOnlyNorm"}, 4)
    assert (name, type(layer)) == (up_name, type(up_layer)) == ("bn", ScopedOnlyNorm)


if (
    "mmengine" in requested_flavours()
):  # only defined where it runs: a compat skip counts as a failure in CI
    test_mmengine_default_scope_is_honoured_like_mmcv2 = _default_scope_test


def test_mminit_flavours_are_known() -> None:
    assert set(MMINIT_OF) == {"mmengine", "mmcv1"}
