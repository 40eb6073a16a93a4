"""Training checkpoints written by upstream itself load under weights_only.

mmengine's Runner stores numpy values in ``meta`` and ``HistoryBuffer``
objects in ``message_hub``; mmcv 1.x's ``save_checkpoint`` stores
``mmcv_version``/``time`` meta and the optimizer.  mminit loads both with
``weights_only=True`` and its allow-list.  Upstream on torch >= 2.6 refuses
the mmengine one unless unsafe loading is forced, so the reference here is
upstream with ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1``.
"""

from __future__ import annotations

import importlib
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

import mminit._checkpoint as ours
from compat_tests.libs import INSTALL_HINT, missing_upstream
from mminit._flavour import MMCV1, MMENGINE


def _require(module: str, install: str) -> Any:
    try:
        return importlib.import_module(module)
    except Exception as exc:  # noqa: BLE001
        message = f"{module} is not importable ({exc}); install: {install}"
        missing_upstream(message)


def _model() -> nn.Module:
    torch.manual_seed(3)
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Flatten(), nn.Linear(64, 2))


def _train_step(model: nn.Module) -> torch.optim.Optimizer:
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.randn(2, 3, 6, 6)).sum().backward()
    opt.step()
    return opt


def _torch_version() -> tuple[int, int]:
    major, minor = torch.__version__.split("+")[0].split(".")[:2]
    return int(major), int(minor)


def _upstream_load(load: Any, model: nn.Module, path: Path, monkeypatch) -> tuple[Any, bool]:
    """Upstream's load; forced unsafe if torch's default weights_only refuses.

    Returns the checkpoint and whether forcing was needed.
    """
    try:
        return load(model, str(path), map_location="cpu"), False
    except pickle.UnpicklingError:
        with monkeypatch.context() as patch:
            patch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
            return load(model, str(path), map_location="cpu"), True


def _same(a: Any, b: Any) -> bool:
    """Deep equality over dicts/lists/tensors/numpy/HistoryBuffer-like objects."""
    if type(a) is not type(b):
        return False
    if isinstance(a, torch.Tensor):
        return torch.equal(a, b)
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and np.array_equal(a, b)
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if hasattr(a, "__dict__") and not callable(a):
        return _same(vars(a), vars(b))
    return bool(a == b)


def _mmengine_runner_checkpoint(path: Path) -> None:
    checkpoint_mod = _require("mmengine.runner.checkpoint", INSTALL_HINT["mmengine"])
    from mmengine.logging import MessageHub

    model = _model()
    opt = _train_step(model)
    hub = MessageHub.get_instance("mminit-compat-ckpt")
    hub.update_scalar("train/loss", np.float64(0.75))
    hub.update_scalar("train/lr", 0.1)
    hub.update_scalar("train/acc", np.float32(0.5))
    hub.update_info("iter", 12)
    meta = {
        "epoch": 1,
        "iter": 12,
        "seed": np.int64(1234),
        "experiment_name": "compat",
        "mmengine_version": "0.10.7",
        "time": "20250101_000000",
        "dataset_meta": {"classes": ("cat", "dog"), "palette": [(1, 2, 3), (4, 5, 6)]},
        "hist": np.linspace(0, 1, 5),
        "flags": np.array([True, False]),
    }
    checkpoint = {
        "meta": meta,
        "state_dict": checkpoint_mod.weights_to_cpu(checkpoint_mod.get_state_dict(model)),
        "optimizer": opt.state_dict(),
        "message_hub": hub.state_dict(),
        "param_schedulers": [],
    }
    checkpoint_mod.save_checkpoint(checkpoint, str(path))


def test_training_checkpoint_loads_safely(
    flavour_name: str, tmp_path: Path, monkeypatch, capsys
) -> None:
    check = {"mmengine": _check_mmengine, "mmcv1": _check_mmcv}[flavour_name]
    check(tmp_path, monkeypatch, capsys)


def _check_mmengine(tmp_path: Path, monkeypatch, capsys) -> None:
    path = tmp_path / "epoch_1.pth"
    _mmengine_runner_checkpoint(path)
    upstream = _require("mmengine.runner.checkpoint", INSTALL_HINT["mmengine"])

    theirs_model, mine_model = _model(), _model()
    theirs, forced = _upstream_load(upstream.load_checkpoint, theirs_model, path, monkeypatch)
    if _torch_version() >= (2, 6):  # torch.load defaults to weights_only=True
        assert forced, "upstream unexpectedly read numpy/HistoryBuffer under weights_only"
    capsys.readouterr()

    mine = ours.load_checkpoint(mine_model, str(path), map_location="cpu", flavour=MMENGINE)
    assert capsys.readouterr().out == f"Loads checkpoint by local backend from path: {path}\n"
    assert _same(theirs["meta"], mine["meta"])
    assert _same(theirs["optimizer"], mine["optimizer"])
    assert _same(theirs["message_hub"], mine["message_hub"])
    loss = mine["message_hub"]["log_scalars"]["train/loss"]
    assert loss.current() == 0.75 and loss.mean() == 0.75  # the statistics methods work
    for key, value in theirs_model.state_dict().items():
        assert torch.equal(mine_model.state_dict()[key], value), key


def _check_mmcv(tmp_path: Path, monkeypatch, capsys) -> None:
    runner_ckpt = _require("mmcv.runner.checkpoint", INSTALL_HINT["mmcv1"])
    model = _model()
    opt = _train_step(model)
    path = tmp_path / "epoch_1.pth"
    runner_ckpt.save_checkpoint(
        model,
        str(path),
        optimizer=opt,
        meta={"epoch": 1, "iter": 12, "CLASSES": ("cat", "dog"), "seed": np.int64(5)},
    )
    theirs_model, mine_model = _model(), _model()
    theirs, _ = _upstream_load(runner_ckpt.load_checkpoint, theirs_model, path, monkeypatch)
    capsys.readouterr()
    mine = ours.load_checkpoint(mine_model, str(path), map_location="cpu", flavour=MMCV1)
    assert capsys.readouterr().out == f"load checkpoint from local path: {path}\n"
    assert _same(theirs["meta"], mine["meta"])
    assert _same(theirs["optimizer"], mine["optimizer"])
    for key, value in theirs_model.state_dict().items():
        assert torch.equal(mine_model.state_dict()[key], value), key
