"""The public checkpoint names of both flavours (upstream parity is in compat_tests)."""

from __future__ import annotations

import importlib
import os
from collections import OrderedDict
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

import mminit
import mminit.mmcv1
from mminit._checkpoint import (
    InvalidSchemeArg,
    InvalidSchemePrefix,
    UnknownSchemeError,
    UnsafeCheckpointError,
)

MODULES = [pytest.param(mminit, id="mminit"), pytest.param(mminit.mmcv1, id="mminit.mmcv1")]
NAMES = (
    "load_checkpoint",
    "_load_checkpoint",
    "_load_checkpoint_with_prefix",
    "load_state_dict",
    "CheckpointLoader",
)


class Payload:
    def __reduce__(self):
        return (os.getpid, ())


def weights() -> OrderedDict[str, torch.Tensor]:
    torch.manual_seed(4)
    return OrderedDict(weight=torch.randn(2, 2), bias=torch.randn(2))


@pytest.fixture
def cleanup() -> Any:
    added: list[tuple[type, str]] = []
    yield added
    for cls, prefix in added:
        cls._schemes.pop(prefix, None)


@pytest.mark.parametrize("mod", MODULES)
def test_names_are_public_and_importable(mod) -> None:
    for name in NAMES:
        assert name in mod.__all__
        assert getattr(mod, name).__module__ == mod.__name__
    namespace: dict[str, Any] = {}
    exec(f"from {mod.__name__} import {', '.join(NAMES)}", namespace)  # noqa: S102 - the from-import form itself is under test
    assert all(name in namespace for name in NAMES)


def test_each_flavour_has_its_own_scheme_table(cleanup) -> None:
    assert mminit.CheckpointLoader is not mminit.mmcv1.CheckpointLoader
    mminit.CheckpointLoader.register_scheme("only-engine://", lambda f, m=None: {})
    cleanup.append((mminit.CheckpointLoader, "only-engine://"))
    assert "only-engine://" in mminit.CheckpointLoader._schemes
    assert "only-engine://" not in mminit.mmcv1.CheckpointLoader._schemes


@pytest.mark.parametrize("mod", MODULES)
def test_register_scheme_forms(mod, cleanup, capsys) -> None:
    cls = mod.CheckpointLoader
    cleanup.extend([(cls, "t1://"), (cls, "t2://"), (cls, "t3://")])

    @cls.register_scheme("t1://")
    def load_from_t1(filename: str, map_location: Any = None) -> Any:
        return {"state_dict": weights(), "from": filename}

    assert load_from_t1.__name__ == "load_from_t1"  # the decorator returns the function
    assert cls.register_scheme(("t2://", "t3://"), load_from_t1) is None
    model = nn.Linear(2, 2)
    ckpt = mod.load_checkpoint(model, "t3://x")
    assert ckpt["from"] == "t3://x" and torch.equal(model.weight, weights()["weight"])
    first = capsys.readouterr().out.splitlines()[0]
    assert first.endswith(("t1 backend from path: t3://x", "t1 path: t3://x"))
    with pytest.raises(KeyError, match="t1:// is already registered.*force=True"):
        cls.register_scheme("t1://", load_from_t1)
    with pytest.raises(InvalidSchemeArg, match="prefixes must be a str or a list/tuple"):
        cls.register_scheme({"t4://"}, load_from_t1)
    assert list(cls._schemes)[-1] == ""  # local stays the fallback


@pytest.mark.parametrize("mod", MODULES)
def test_unknown_scheme_lists_registered_ones(mod, cleanup) -> None:
    cls = mod.CheckpointLoader
    cleanup.append((cls, "mine://"))
    cls.register_scheme("mine://", lambda f, m=None: {})
    with pytest.raises(UnknownSchemeError, match="register one with") as info:
        mod._load_checkpoint("nope://x.pth")
    assert "mine://" in str(info.value) and "http://" in str(info.value)


@pytest.mark.parametrize("mod", MODULES)
def test_weights_only_reaches_the_builtin_loaders(mod, tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "unsafe.pth"
    torch.save({"state_dict": weights(), "hook": Payload()}, path)
    with pytest.raises(UnsafeCheckpointError, match="getpid"):
        mod.load_checkpoint(nn.Linear(2, 2), str(path), logger="silent")
    with pytest.raises(UnsafeCheckpointError):
        mod.CheckpointLoader.load_checkpoint(str(path), logger="silent")
    model = nn.Linear(2, 2)
    ckpt = mod.load_checkpoint(model, str(path), logger="silent", weights_only=False)
    assert ckpt["hook"] == os.getpid() and torch.equal(model.bias, weights()["bias"])
    assert mod._load_checkpoint(str(path), logger="silent", weights_only=False)["hook"] > 0
    monkeypatch.setenv("MMINIT_ALLOW_UNSAFE_PICKLE", "1")
    assert mod.CheckpointLoader.load_checkpoint(str(path), logger="silent")["hook"] > 0


@pytest.mark.parametrize("mod", MODULES)
def test_public_load_checkpoint_reads_state_dict_only_like_upstream(
    mod, tmp_path: Path, capsys
) -> None:
    """``{'model': weights}`` is unwrapped by ``Pretrained`` (documented extension),
    never by the public ``load_checkpoint``, which behaves as upstream."""
    path = tmp_path / "model-key.pth"
    torch.save({"model": weights(), "epoch": 1}, path)
    model = nn.Linear(2, 2)
    before = model.weight.detach().clone()
    mod.load_checkpoint(model, str(path))
    assert torch.equal(model.weight, before)
    assert "unexpected key in source state_dict: model, epoch" in capsys.readouterr().out

    class Holder(mod.BaseModule):
        def __init__(self) -> None:
            super().__init__(init_cfg=dict(type="Pretrained", checkpoint=str(path)))
            self.weight = nn.Parameter(torch.zeros(2, 2))
            self.bias = nn.Parameter(torch.zeros(2))

    holder = Holder()
    holder.init_weights()
    assert torch.equal(holder.weight, weights()["weight"])


def test_public_names_resolve_lazily_without_torch_first() -> None:
    import subprocess
    import sys

    code = (
        "import sys, mminit; assert 'torch' not in sys.modules; "
        "from mminit import load_checkpoint, CheckpointLoader; print(CheckpointLoader.__module__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "mminit"


def test_mmcv1_flavour_module_is_mmcv_runner_shaped() -> None:
    mod = importlib.import_module("mminit.mmcv1")
    assert mod.load_checkpoint.__defaults__[-1] == [(r"^module\.", "")]
    assert mod.CheckpointLoader.load_checkpoint.__defaults__ == (None, None)
    assert mminit.CheckpointLoader.load_checkpoint.__defaults__ == (None, "current")


@pytest.mark.parametrize("mod", MODULES)
def test_register_scheme_is_all_or_nothing(mod, cleanup) -> None:
    """A bad prefix anywhere in the list: an error naming it, and none of the list registered."""
    cls = mod.CheckpointLoader
    cleanup.extend([(cls, "ok1://"), (cls, "ok2://"), (cls, "zz(://"), (cls, None)])
    before = dict(cls._schemes)
    with pytest.raises(
        InvalidSchemePrefix, match=r"'zz\(://' is not a valid regular expression.*re\.escape"
    ):
        cls.register_scheme(["ok1://", "zz(://"], lambda f, m=None: {})
    with pytest.raises(InvalidSchemeArg, match="got NoneType: None"):
        cls.register_scheme(["ok1://", None], lambda f, m=None: {})
    with pytest.raises(KeyError, match="http:// is already registered"):
        cls.register_scheme(["ok1://", "http://"], lambda f, m=None: {})
    with pytest.raises(KeyError, match="ok2:// is already registered"):
        cls.register_scheme(["ok2://", "ok2://"], lambda f, m=None: {})
    assert cls._schemes == before
    cls.register_scheme(["ok1://", "ok2://"], lambda f, m=None: {"state_dict": {}})  # still usable
    assert cls._get_checkpoint_loader("ok2://x") is cls._schemes["ok2://"]
    assert list(cls._schemes)[-1] == ""
