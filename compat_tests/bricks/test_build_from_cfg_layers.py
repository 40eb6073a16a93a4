"""``build_from_cfg(cfg, <layer registry>)`` after ``mminit migrate --bricks`` behaves as upstream's.

``--bricks`` moves both ``build_from_cfg`` and the layer registries (``CONV_LAYERS``,
``DROPOUT_LAYERS`` ...) to mminit, so the call must accept a brick registry: same
class built, same parameters from the same seed, same error type and text for an
unknown name.  mmcv1 flavour: mmcv 1.7.2's ``mmcv.utils.build_from_cfg`` over
``mmcv.cnn`` registries; mminit flavour: mmengine 0.10.7's ``build_from_cfg`` over
mmcv 2.2.0's ``MODELS``.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch

from compat_tests.bricks.suite import upstream_reason
from compat_tests.libs import INSTALL_HINT, missing_upstream, requested_flavours

CASES: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "mmcv1": [
        ("CONV_LAYERS", dict(type="Conv2d", in_channels=3, out_channels=4, kernel_size=3)),
        (
            "CONV_LAYERS",
            dict(type="Conv", in_channels=2, out_channels=2, kernel_size=1, bias=False),
        ),
        ("NORM_LAYERS", dict(type="BN", num_features=4)),
        ("DROPOUT_LAYERS", dict(type="DropPath", drop_prob=0.1)),
        ("PLUGIN_LAYERS", dict(type="ContextBlock", in_channels=8, ratio=0.25)),
    ],
    "mmengine": [
        ("LAYERS", dict(type="Conv2d", in_channels=3, out_channels=4, kernel_size=3)),
        ("LAYERS", dict(type="BN", num_features=4)),
        ("LAYERS", dict(type="DropPath", drop_prob=0.1)),
        ("LAYERS", dict(type="ContextBlock", in_channels=8, ratio=0.25)),
    ],
}


def _sides(flavour: str) -> tuple[Any, Any, Any, Any]:
    """(upstream build_from_cfg, upstream registry lookup, mminit build_from_cfg, mminit lib)."""
    why = upstream_reason(flavour)
    if why is not None:
        missing_upstream(f"needs the mmcv of flavour {flavour!r} ({why}): {INSTALL_HINT[flavour]}")
    if flavour == "mmcv1":
        import mmcv.cnn.bricks.registry as registries
        from mmcv.utils import build_from_cfg

        import mminit.mmcv1 as lib

        return build_from_cfg, lambda name: getattr(registries, name), lib.build_from_cfg, lib
    import mmcv.cnn  # noqa: F401 - registers mmcv 2.x's layers in MODELS
    from mmengine.registry import MODELS, build_from_cfg

    import mminit as lib

    return build_from_cfg, lambda name: MODELS, lib.build_from_cfg, lib


def _outcome(build: Any, cfg: dict[str, Any], registry: Any) -> tuple[str, Any]:
    torch.manual_seed(0)
    try:
        built = build(dict(cfg), registry)
    except Exception as exc:  # noqa: BLE001 - the error is the observation compared
        return "error", (type(exc).__name__, str(exc))
    return type(built).__name__, {k: v.clone() for k, v in built.state_dict().items()}


@pytest.mark.parametrize("flavour", requested_flavours())
def test_build_from_cfg_accepts_layer_registries(flavour: str) -> None:
    theirs_build, theirs_registry, ours_build, lib = _sides(flavour)
    for name, cfg in CASES[flavour]:
        want = _outcome(theirs_build, cfg, theirs_registry(name))
        got = _outcome(ours_build, cfg, getattr(lib, name))
        assert got[0] == want[0], (name, cfg, got, want)
        assert list(got[1]) == list(want[1]), (name, cfg)
        assert all(torch.equal(got[1][k], want[1][k]) for k in want[1]), (name, cfg)


@pytest.mark.parametrize("flavour", requested_flavours())
def test_build_from_cfg_unknown_layer_name_same_error_type(flavour: str) -> None:
    theirs_build, theirs_registry, ours_build, lib = _sides(flavour)
    name = "CONV_LAYERS" if flavour == "mmcv1" else "LAYERS"
    cfg = dict(type="NoSuchConv", in_channels=1)
    kind, (theirs_type, _) = _outcome(theirs_build, cfg, theirs_registry(name))
    ours = _outcome(ours_build, cfg, getattr(lib, name))
    assert kind == "error" and ours[0] == "error"
    assert ours[1][0] == theirs_type
    assert "NoSuchConv" in ours[1][1]
