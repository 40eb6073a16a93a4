"""mminit's own behaviour, without upstream installed."""

from __future__ import annotations

import logging
import subprocess
import sys
import warnings

import pytest
import torch
from torch import nn

import mminit
from mminit import mmcv1
from mminit._errors import InvalidInitArg

PUBLIC = [
    "constant_init",
    "xavier_init",
    "normal_init",
    "trunc_normal_init",
    "uniform_init",
    "kaiming_init",
    "caffe2_xavier_init",
    "bias_init_with_prob",
    "trunc_normal_",
    "initialize",
    "update_init_info",
    "BaseInit",
    "ConstantInit",
    "XavierInit",
    "NormalInit",
    "TruncNormalInit",
    "UniformInit",
    "KaimingInit",
    "Caffe2XavierInit",
    "PretrainedInit",
    "BaseModule",
    "Sequential",
    "ModuleList",
    "ModuleDict",
    "WEIGHT_INITIALIZERS",
    "INITIALIZERS",
    "build_from_cfg",
]


@pytest.mark.parametrize("mod", [mminit, mmcv1], ids=["mminit", "mmcv1"])
def test_public_names(mod):
    assert set(PUBLIC) <= set(mod.__all__)
    for name in mod.__all__:
        assert hasattr(mod, name), name
    assert mod.WEIGHT_INITIALIZERS is mod.INITIALIZERS


def test_import_does_not_import_upstream():
    code = "import sys, mminit, mminit.mmcv1; print(sorted(m for m in sys.modules if m.split('.')[0] in ('mmengine', 'mmcv')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_registered_types():
    for mod in (mminit, mmcv1):
        names = {
            "Constant",
            "Xavier",
            "Normal",
            "TruncNormal",
            "Uniform",
            "Kaiming",
            "Caffe2Xavier",
            "Pretrained",
        }
        assert names <= set(mod.WEIGHT_INITIALIZERS.module_dict)
        assert mod.WEIGHT_INITIALIZERS.get("Uniform") is mod.UniformInit


def test_flavour_differences_are_data():
    assert mminit.UniformInit()._get_init_info() == "UniformInit: a=0, b=1, bias=0"
    assert mmcv1.UniformInit()._get_init_info() == "UniformInit: a=0.0, b=1.0, bias=0"
    assert mminit.PretrainedInit("x").map_location == "cpu"
    assert mmcv1.PretrainedInit("x").map_location is None
    m = mminit.BaseModule()
    m.is_init = True
    assert m.is_init
    with pytest.raises(AttributeError):
        mmcv1.BaseModule().is_init = True
    assert mminit.BaseModule.__bases__ == (nn.Module,) == mmcv1.BaseModule.__bases__


def test_custom_initializer_found_by_both_flavours():
    @mminit.WEIGHT_INITIALIZERS.register_module(name="SevensForBoth")
    class Sevens(mminit.BaseInit):
        def __call__(self, module):
            for p in module.parameters():
                nn.init.constant_(p, 7)

    for mod in (mminit, mmcv1):
        lin = nn.Linear(2, 2)
        mod.initialize(lin, dict(type="SevensForBoth"))
        assert torch.all(lin.weight == 7)
    assert "SevensForBoth" in mmcv1.INITIALIZERS


def test_registry_duplicates_and_force():
    reg = mmcv1.INITIALIZERS
    cls = type("Dup", (), {})
    reg.register_module(name="DupOnce", module=cls)
    with pytest.raises(KeyError, match="already registered"):
        reg.register_module(name="DupOnce", module=type("Other", (), {}))
    other = type("Other", (), {})
    reg.register_module(name="DupOnce", force=True, module=other)
    assert reg.get("DupOnce") is other
    with pytest.raises(TypeError, match="force"):
        reg.register_module(force="yes")


def test_unknown_type_error_names_registry_and_known_types():
    with pytest.raises(KeyError) as info:
        mminit.initialize(nn.Linear(1, 1), dict(type="Nope"))
    msg = str(info.value)
    assert "mmengine::weight initializer" in msg and "Kaiming" in msg and "Nope" in msg


def test_error_note_names_cfg_and_module():
    with pytest.raises(ValueError) as info:
        mminit.initialize(nn.Linear(2, 2), dict(type="Constant", val=1, override=dict(val=2)))
    notes = getattr(info.value, "__notes__", [])
    assert any("Linear" in n and "'override'" in n for n in notes)


@pytest.mark.parametrize("fn", [mminit.xavier_init, mminit.kaiming_init])
def test_bad_distribution_is_assertion_and_value_error(fn):
    with pytest.raises(AssertionError) as info:
        fn(nn.Linear(2, 2), distribution="gauss")
    assert isinstance(info.value, (ValueError, InvalidInitArg))
    assert "'gauss'" in str(info.value) and "uniform" in str(info.value)


@pytest.mark.parametrize(
    "kwargs, word",
    [
        (dict(bias="1"), "bias"),
        (dict(bias_prob=1), "bias_prob"),
        (dict(layer=3), "layer"),
    ],
)
def test_type_errors_name_the_argument(kwargs, word):
    with pytest.raises(TypeError, match=word):
        mminit.ConstantInit(val=1, **kwargs)


def test_layer_matching_is_direct_bases_only():
    class A(nn.Linear):
        pass

    class B(A):
        pass

    seq = nn.Sequential(A(2, 2), B(2, 2))
    mminit.initialize(seq, dict(type="Constant", val=3, layer="Linear"))
    assert torch.all(seq[0].weight == 3)
    assert not torch.all(seq[1].weight == 3)


def test_records_go_to_mminit_logger_without_upstream(caplog):
    class Net(mminit.BaseModule):
        def __init__(self):
            super().__init__(dict(type="Constant", val=1, layer="Linear"))
            self.fc = nn.Linear(2, 2)

    with caplog.at_level(logging.DEBUG, logger="mminit"):
        Net().init_weights()
    msgs = [r.getMessage() for r in caplog.records if r.name == "mminit"]
    assert msgs[0].startswith("initialize Net with init_cfg")
    assert "\nfc.weight - torch.Size([2, 2]): \nConstantInit: val=1, bias=0 \n " in msgs


def test_repeat_call_reporting_per_flavour(caplog):
    for mod, expect_warning in ((mminit, False), (mmcv1, True)):
        m = mod.Sequential(nn.Linear(1, 1))
        m.init_weights()
        caplog.clear()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with caplog.at_level(logging.WARNING, logger="mminit"):
                m.init_weights()
        assert bool(caught) is expect_warning
        assert (
            bool([r for r in caplog.records if "more than once" in r.getMessage()])
            is not expect_warning
        )


def test_bookkeeping_removed_after_init_weights():
    m = mminit.Sequential(nn.Linear(2, 2), mminit.ModuleList([nn.Linear(1, 1)]))
    m.init_weights()
    assert not any(hasattr(s, "_params_init_info") for s in m.modules())
    assert m.is_init and m[1].is_init


def test_dump_only_on_rank_zero(monkeypatch, caplog):
    import torch.distributed as dist

    monkeypatch.setattr(dist, "is_available", lambda: True)
    monkeypatch.setattr(dist, "is_initialized", lambda: True)
    for rank, expected in ((1, 0), (0, 2)):
        monkeypatch.setattr(dist, "get_rank", lambda group=None, rank=rank: rank)
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="mminit"):
            mminit.Sequential(nn.Linear(2, 2)).init_weights()
        assert len([r for r in caplog.records if "torch.Size" in r.getMessage()]) == expected
