"""Failed inits and malformed ``init_cfg``s (issue 12, items 1 and 2).

Item 1: a fill that fails in fast mode leaves ``is_init`` as compat mode does
(the failing module not initialised), and a meta-device model is never handed
back holding uninitialised memory.  Item 2: clear messages with upstream's
exception types, and a note naming the cfg and the module.  The exception
types themselves are compared with real upstream in
``compat_tests/test_core_mixed.py`` and ``compat_tests/test_core_base_module.py``.
"""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn

import mminit
import mminit.mmcv1

LIBS = [mminit, mminit.mmcv1]
MODES = ["compat", "eager", "fast"]


def _net(L, cfg, device="cpu"):
    class Net(L.BaseModule):
        def __init__(self):
            super().__init__(cfg)
            self.fc = nn.Linear(4, 4)
            self.sub = L.Sequential(
                nn.Linear(4, 4), init_cfg=dict(type="Constant", val=2, layer="Linear")
            )

    with torch.device(device):
        return Net()


BAD_FILLS = {
    "normal-std-none": dict(type="Normal", std=None, layer="Linear"),
    "normal-negative-std": dict(type="Normal", std=-1.0, layer="Linear"),
    "uniform-a-none": dict(type="Uniform", a=None, layer="Linear"),
    "uniform-a-above-b": dict(type="Uniform", a=1.0, b=0.0, layer="Linear"),
    "constant-val-none": dict(type="Constant", val=None, layer="Linear"),
}


@pytest.mark.parametrize("L", LIBS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("bad", list(BAD_FILLS))
def test_fast_failure_leaves_is_init_like_compat(L, bad):
    """The failing module stays uninitialised, so a retry with a fixed cfg runs."""
    seen = {}
    for mode in ("compat", "fast"):
        net = _net(L, BAD_FILLS[bad])
        with pytest.raises(Exception) as info:
            net.init_weights(mode=mode)
        seen[mode] = (info.type, [m.is_init for m in (net, net.sub)])
    assert seen["fast"] == seen["compat"]
    assert seen["fast"][1] == [False, False]


@pytest.mark.parametrize("L", LIBS, ids=lambda m: m.__name__)
def test_fast_retry_after_failure_initialises(L):
    net = _net(L, dict(type="Normal", std=None, layer="Linear"))
    with pytest.raises(TypeError):
        net.init_weights(mode="fast")
    net.init_cfg = dict(type="Constant", val=3, layer="Linear")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "called more than once"
        net.init_weights(mode="fast")
    assert bool(torch.all(net.fc.weight == 3)) and net.is_init


@pytest.mark.parametrize("L", LIBS, ids=lambda m: m.__name__)
def test_fast_failure_on_meta_hands_back_no_uninitialised_memory(L):
    net = _net(L, dict(type="Normal", std=None, layer="Linear"), device="meta")
    with pytest.raises(TypeError):
        net.init_weights(mode="fast")
    assert all(t.is_meta for t in list(net.parameters()) + list(net.buffers()))
    assert not any(getattr(m, "is_init", False) for m in net.modules())
    assert not any(hasattr(m, "_params_init_info") for m in net.modules())
    net.init_cfg = dict(type="Constant", val=3, layer="Linear")
    net.init_weights(mode="fast")  # a retry starts afresh and covers everything
    assert bool(torch.all(net.fc.weight == 3)) and bool(torch.all(net.sub[0].weight == 2))


@pytest.mark.parametrize("L", LIBS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("mode", MODES)
def test_gain_none_says_what_is_wrong(L, mode):
    net = _net(L, dict(type="Xavier", gain=None, layer="Linear"))
    with pytest.raises(TypeError, match="gain must be a number, got NoneType None") as info:
        net.init_weights(mode=mode)
    assert any(
        "while initializing Net with init_cfg" in n and "'gain': None" in n
        for n in info.value.__notes__
    )


@pytest.mark.parametrize("L", LIBS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("mode", MODES)
def test_override_naming_a_non_module_says_so(L, mode):
    cfg = dict(
        type="Constant",
        val=1,
        layer="Linear",
        override=dict(name="training", type="Constant", val=2),
    )
    net = _net(L, cfg)
    with pytest.raises(
        AttributeError,
        match="'Constant' initializes modules, got bool True; an override's "
        "name must be a submodule",
    ) as info:
        net.init_weights(mode=mode)
    assert any("'name': 'training'" in n for n in info.value.__notes__)


MMENGINE_CFGS = {  # mmengine's BaseModule: (cfg, upstream's exception type, words the message must hold)
    "no-type": (dict(val=1), KeyError, ["'type'", "{'val': 1}", "no 'type' key", "'Constant'"]),
    "list-no-type": ([dict(val=1)], KeyError, ["'type'", "no 'type' key"]),
    "int": (
        123,
        TypeError,
        ["init_cfg of Net must be a dict, a list of dicts or None", "got int 123"],
    ),
    "nested-list": (
        [[dict(type="Constant", val=1)]],
        AssertionError,
        ["must be a dict", "got list"],
    ),
    "list-with-str": (
        [dict(type="Constant", val=1), "Constant"],
        AssertionError,
        ["got str 'Constant'"],
    ),
    "list-with-none": ([None], AssertionError, ["got NoneType None"]),
}


def _raises_malformed(L, cfg, exc_type, words, mode):
    """``init_weights`` on a Net with ``cfg`` raises ``exc_type``, its message holds every one of
    ``words`` and a note names the module and its init_cfg; returns the net."""
    net = _net(L, cfg)
    with pytest.raises(exc_type) as info:
        net.init_weights(mode=mode)
    text = str(info.value)
    for w in words:
        assert w in text, (w, text)
    assert any(n.startswith("while initializing Net with init_cfg") for n in info.value.__notes__)
    return net


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", list(MMENGINE_CFGS))
def test_malformed_init_cfg_messages_mmengine(case, mode):
    net = _raises_malformed(mminit, *MMENGINE_CFGS[case], mode)
    assert not net.is_init


MMCV1_CFGS = {  # mmcv 1.x: initialize() sees each entry
    "int": (123, TypeError, ["init_cfg must be a dict or a list of dict", "123"]),
    "nested-list": ([[dict(type="Constant", val=1)]], TypeError, ["must be a dict", "got list"]),
    "list-with-str": (
        [dict(type="Constant", val=1), "Constant"],
        AttributeError,
        ["got str 'Constant'"],
    ),
    "list-with-none": ([None], AttributeError, ["got NoneType None"]),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", list(MMCV1_CFGS))
def test_malformed_init_cfg_messages_mmcv1(case, mode):
    _raises_malformed(mminit.mmcv1, *MMCV1_CFGS[case], mode)
