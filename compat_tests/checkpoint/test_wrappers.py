"""Wrappers registered with upstream are looked through by both sides' ``load_state_dict``.

A user wrapper registered in mmengine's ``MODEL_WRAPPERS`` or mmcv 1.x's
``MODULE_WRAPPERS`` holds the model in ``.module``; upstream's
``load_state_dict`` loads into that module under the wrapper's own prefix, and
mminit (which consults upstream's wrapper test once upstream is imported) must
load the same weights and print the same report.  An unregistered wrapper is
not looked through by either side.
"""

from __future__ import annotations

import importlib
import itertools
from types import SimpleNamespace
from typing import Any

import pytest
import torch
from torch import nn

import mminit._checkpoint as ours
from mminit._flavour import Flavour

_REGISTRY = {
    "mmengine": ("mmengine.registry", "MODEL_WRAPPERS"),
    "mmcv1": ("mmcv.parallel", "MODULE_WRAPPERS"),
}
_COUNT = itertools.count()


def _wrapper_class(registered: bool, flavour_name: str) -> type[nn.Module]:
    class Wrapper(nn.Module):
        def __init__(self, module: nn.Module) -> None:
            super().__init__()
            self.module = module

    Wrapper.__name__ = f"MminitCompatWrapper{next(_COUNT)}"  # one registry entry per test
    if registered:
        module_name, attr = _REGISTRY[flavour_name]
        registry = getattr(importlib.import_module(module_name), attr)
        registry.register_module(module=Wrapper)
    return Wrapper


def _model(wrapper: type[nn.Module]) -> nn.Module:
    torch.manual_seed(0)
    inner = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    return nn.Sequential(wrapper(inner), nn.Linear(2, 1))


def _load(
    load: Any, model: nn.Module, state: dict[str, torch.Tensor], capsys: pytest.CaptureFixture[str]
) -> tuple[dict[str, torch.Tensor], str]:
    capsys.readouterr()
    load(model, state)
    return dict(model.state_dict()), capsys.readouterr().out


@pytest.mark.parametrize("registered", [True, False], ids=["registered", "unregistered"])
def test_registered_wrappers_are_looked_through_like_upstream(
    registered: bool,
    flavour_name: str,
    flavour: Flavour,
    upstream: SimpleNamespace,
    capsys: pytest.CaptureFixture[str],
) -> None:
    wrapper = _wrapper_class(registered, flavour_name)
    plain = nn.Sequential(nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2)), nn.Linear(2, 1))
    state = {
        key: torch.full_like(value, 0.5) if value.is_floating_point() else value
        for key, value in plain.state_dict().items()
    }

    theirs = _load(
        lambda m, s: upstream.load_state_dict(m, s, logger=None), _model(wrapper), state, capsys
    )
    mine = _load(
        lambda m, s: ours.load_state_dict(m, s, logger=None, flavour=flavour),
        _model(wrapper),
        state,
        capsys,
    )

    assert mine[1] == theirs[1]
    assert mine[0].keys() == theirs[0].keys()
    assert all(torch.equal(mine[0][k], theirs[0][k]) for k in mine[0])
    loaded = torch.equal(mine[0]["0.module.0.weight"], torch.full((2, 3), 0.5))
    assert loaded is registered  # the case is not vacuous: registration decides
