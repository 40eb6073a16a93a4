"""``mminit._parallel``: rank without a process group, and which model wrappers count.

Upstream's own wrapper test is stood in for by fake modules in ``sys.modules``
(the real ones are exercised in compat_tests/checkpoint/test_wrappers.py).
"""

from __future__ import annotations

import sys
import types

import pytest
import torch
from torch import nn

from mminit._checkpoint import load_state_dict
from mminit._flavour import MMCV1, MMENGINE, Flavour
from mminit._parallel import dist_info, is_model_wrapper, is_rank_zero


class Wrapper(nn.Module):
    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        self.module = module


class TTA(Wrapper):
    pass


def _fake_upstream(monkeypatch: pytest.MonkeyPatch, flavour: Flavour) -> None:
    """Make ``flavour``'s upstream say that :class:`Wrapper` is a model wrapper."""
    module_name, function = flavour.model_wrapper_check
    fake = types.ModuleType(module_name)
    setattr(fake, function, lambda module: type(module) is Wrapper)
    monkeypatch.setitem(sys.modules, module_name, fake)
    if flavour.tta_wrapper_class is not None:
        tta_module, tta_class = flavour.tta_wrapper_class
        holder = types.ModuleType(tta_module)
        setattr(holder, tta_class, TTA)
        monkeypatch.setitem(sys.modules, tta_module, holder)


def _hide_upstream(monkeypatch: pytest.MonkeyPatch) -> None:
    for flavour in (MMENGINE, MMCV1):
        monkeypatch.delitem(sys.modules, flavour.model_wrapper_check[0], raising=False)
        if flavour.tta_wrapper_class is not None:
            monkeypatch.delitem(sys.modules, flavour.tta_wrapper_class[0], raising=False)


def test_without_a_process_group_this_is_rank_zero_of_one() -> None:
    assert not torch.distributed.is_initialized()
    assert dist_info() == (0, 1)
    assert is_rank_zero()


@pytest.mark.parametrize("flavour", [MMENGINE, MMCV1], ids=["mmengine", "mmcv1"])
def test_torch_wrappers_always_count(flavour: Flavour, monkeypatch: pytest.MonkeyPatch) -> None:
    _hide_upstream(monkeypatch)
    assert is_model_wrapper(nn.DataParallel(nn.Linear(1, 1)), flavour)
    assert not is_model_wrapper(Wrapper(nn.Linear(1, 1)), flavour)
    assert not is_model_wrapper(nn.Linear(1, 1), flavour)


@pytest.mark.parametrize("flavour", [MMENGINE, MMCV1], ids=["mmengine", "mmcv1"])
def test_upstreams_wrapper_test_is_consulted_once_imported(
    flavour: Flavour, monkeypatch: pytest.MonkeyPatch
) -> None:
    _hide_upstream(monkeypatch)
    _fake_upstream(monkeypatch, flavour)
    assert is_model_wrapper(Wrapper(nn.Linear(1, 1)), flavour)
    assert not is_model_wrapper(TTA(nn.Linear(1, 1)), flavour)  # only load_state_dict's walk
    assert is_model_wrapper(TTA(nn.Linear(1, 1)), flavour, tta=True) is (
        flavour.tta_wrapper_class is not None
    )


def test_one_flavours_upstream_does_not_answer_for_the_other(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _hide_upstream(monkeypatch)
    _fake_upstream(monkeypatch, MMCV1)
    assert not is_model_wrapper(Wrapper(nn.Linear(1, 1)), MMENGINE)
    assert is_model_wrapper(Wrapper(nn.Linear(1, 1)), MMCV1)


@pytest.mark.parametrize("flavour", [MMENGINE, MMCV1], ids=["mmengine", "mmcv1"])
def test_load_state_dict_looks_through_upstream_wrappers(
    flavour: Flavour, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _hide_upstream(monkeypatch)
    _fake_upstream(monkeypatch, flavour)
    for wrapper in (Wrapper, TTA):
        model = nn.Sequential(wrapper(nn.Linear(2, 2)))
        state = {"0.weight": torch.ones(2, 2), "0.bias": torch.zeros(2)}
        load_state_dict(model, state, flavour=flavour)
        report = capsys.readouterr().out
        looked_through = wrapper is Wrapper or flavour.tta_wrapper_class is not None
        assert torch.equal(model[0].module.weight, torch.ones(2, 2)) is looked_through
        assert ("unexpected key" in report) is not looked_through
