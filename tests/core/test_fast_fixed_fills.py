"""Fast mode's info strings when a fill's values do not depend on the random draws.

Upstream records a fill only when it moves the parameter's mean. A truncated normal far
outside ``[a, b]`` (``mean=6, a=-2, b=2``) writes one value everywhere, so a second such
fill leaves the mean where the first put it and upstream keeps the FIRST fill's string;
fast mode, which runs only the last fill, must replay that (found by the generated
explain-vs-upstream suite, seed 1307022525 index 8).
"""

from __future__ import annotations

import warnings

import pytest
import torch
from compat_tests.libs import LogCapture
from torch import nn

import mminit
import mminit.mmcv1
from mminit._engine.fills import FillSpec, apply_fill, fixed_result, is_fixed


def _model(lib, init_cfg):
    class Net(lib.BaseModule):
        def __init__(self):
            super().__init__(init_cfg=init_cfg)
            self.conv = nn.Conv2d(2, 3, 3)

    return Net()


def _infos(lib, init_cfg, mode):
    torch.manual_seed(0)
    model = _model(lib, init_cfg)
    with warnings.catch_warnings(), LogCapture().capture() as records:
        warnings.simplefilter("ignore")
        with mminit.init_mode(mode):
            model.init_weights()
    dump = [message for _, message in records if "torch.Size" in message]
    assert len(dump) == 2, records  # conv.weight and conv.bias
    return dump


FIXED_TWICE = [
    [
        dict(
            type="TruncNormal",
            mean=6.0,
            std=0.02,
            b=2,
            bias=-2.0,
            layer="Conv2d",
            override=dict(type="TruncNormal", mean=6.0, std=0.02, a=-2, b=2, name="conv"),
        )
    ],
    [
        dict(type="Uniform", a=0.5, b=0.5, bias=1.0, layer="Conv2d"),
        dict(
            type="Uniform",
            a=0.5,
            b=0.5,
            bias=1.0,
            layer="Conv2d",
            override=dict(type="Uniform", a=0.5, b=0.5, bias=4.0, name="conv"),
        ),
    ],
    [
        dict(type="Normal", mean=0.25, std=0, bias=2.0, layer="Conv2d"),
        dict(type="Constant", val=0.25, bias=3.0, layer="Conv2d"),
    ],
]


@pytest.mark.parametrize("lib", [mminit, mminit.mmcv1], ids=["mmengine", "mmcv1"])
@pytest.mark.parametrize("init_cfg", FIXED_TWICE, ids=["trunc_normal", "uniform", "normal"])
def test_fast_mode_keeps_the_string_of_the_fill_that_moved_the_mean(lib, init_cfg) -> None:
    assert _infos(lib, init_cfg, "fast") == _infos(lib, init_cfg, "compat")


@pytest.mark.parametrize(
    "spec",
    [
        FillSpec("constant", (0.5,)),
        FillSpec("uniform", (0.25, 0.25)),
        FillSpec("normal", (1.5, 0)),
        FillSpec("trunc_normal", (6.0, 0.02, -2.0, 2.0)),
        FillSpec("trunc_normal", (-6.0, 0.02, -2.0, 2.0)),
    ],
)
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float64])
def test_fixed_result_is_what_the_fill_writes(spec, dtype) -> None:
    assert is_fixed(spec)
    target = torch.empty(4, 5, dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        apply_fill(target, spec)
    assert torch.equal(fixed_result(target, spec), target)


@pytest.mark.parametrize(
    "spec",
    [
        FillSpec("uniform", (0.0, 1.0)),
        FillSpec("normal", (0.0, 0.02)),
        FillSpec("trunc_normal", (0.0, 0.02, -2.0, 2.0)),
        FillSpec("trunc_normal", (2.5, 0.2, -2.0, 2.0)),  # outside, but the bounds differ
        FillSpec("xavier_uniform", (1.0,)),
    ],
)
def test_random_fills_are_not_fixed(spec) -> None:
    assert not is_fixed(spec)
    with pytest.raises(ValueError, match="random draws"):
        fixed_result(torch.empty(2, 2), spec)
