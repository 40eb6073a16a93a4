"""weights_only by default, the opt-ins, the allow-list, and safetensors."""

from __future__ import annotations

import pickle
import re
import sys
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from mminit._checkpoint import (
    UnsafeCheckpointError,
    UnsupportedSourceError,
    _load_checkpoint,
    load_checkpoint,
)

from .conftest import to_bytes


class _TouchOnLoad:
    """Unpickling this creates ``marker``: a stand-in for any code execution."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (Path.touch, (self.marker,))


class _GetattrOnLoad:
    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (getattr, (OrderedDict, "fromkeys"))


def malicious_torch_file(tmp_path: Path) -> tuple[Path, Path]:
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pth"
    torch.save({"state_dict": {"weight": torch.zeros(1)}, "payload": _TouchOnLoad(marker)}, path)
    return path, marker


def test_malicious_pickle_is_refused_and_never_runs(tmp_path: Path) -> None:
    path, marker = malicious_torch_file(tmp_path)
    with pytest.raises(UnsafeCheckpointError) as info:
        load_checkpoint(nn.Linear(1, 1), str(path), logger="silent")
    message = str(info.value)
    # names the offending global (pathlib._local.Path on Python 3.13)
    assert re.search(r"pathlib(\._local)?\.Path", message)
    assert "weights_only=False" in message and "MMINIT_ALLOW_UNSAFE_PICKLE=1" in message
    assert "arbitrary code" in message
    assert isinstance(info.value, pickle.UnpicklingError)
    assert not marker.exists()


def test_malicious_legacy_pickle_is_refused(tmp_path: Path) -> None:
    """A bare pickle (not torch's zip format) goes through the same unpickler."""
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps(_TouchOnLoad(marker), protocol=2))
    with pytest.raises(UnsafeCheckpointError):
        _load_checkpoint(str(path), logger="silent")
    assert not marker.exists()


def test_malicious_url_is_refused(http_server, tmp_path: Path) -> None:
    marker = tmp_path / "pwned-url"
    url = http_server.serve("/evil.pth", to_bytes({"x": _TouchOnLoad(marker)}))
    with pytest.raises(UnsafeCheckpointError):
        _load_checkpoint(url, logger="silent")
    assert not marker.exists()


def test_keyword_opt_in_unpickles(tmp_path: Path) -> None:
    path, marker = malicious_torch_file(tmp_path)
    _load_checkpoint(str(path), logger="silent", weights_only=False)
    assert marker.exists()


def test_env_opt_in_unpickles(tmp_path: Path, monkeypatch) -> None:
    path, marker = malicious_torch_file(tmp_path)
    monkeypatch.setenv("MMINIT_ALLOW_UNSAFE_PICKLE", "1")
    _load_checkpoint(str(path), logger="silent")
    assert marker.exists()


def test_explicit_weights_only_beats_env(tmp_path: Path, monkeypatch) -> None:
    path, marker = malicious_torch_file(tmp_path)
    monkeypatch.setenv("MMINIT_ALLOW_UNSAFE_PICKLE", "1")
    with pytest.raises(UnsafeCheckpointError):
        _load_checkpoint(str(path), logger="silent", weights_only=True)
    assert not marker.exists()


def test_getattr_outside_the_allow_list_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "getattr.pth"
    torch.save({"x": _GetattrOnLoad(), "arr": np.arange(2)}, path)
    with pytest.raises(pickle.UnpicklingError, match="only allows getattr on"):
        _load_checkpoint(str(path), logger="silent")


def test_numpy_metadata_loads_under_weights_only(tmp_path: Path) -> None:
    meta = {
        "seed": np.int64(7),
        "lr": np.float32(0.5),
        "hist": np.arange(4, dtype=np.float64),
        "flags": np.array([True, False]),
        "classes": ("cat", "dog"),
    }
    path = tmp_path / "meta.pth"
    torch.save({"meta": meta, "state_dict": nn.Linear(1, 1).state_dict()}, path)
    ckpt = _load_checkpoint(str(path), logger="silent")
    assert ckpt["meta"]["seed"] == 7 and isinstance(ckpt["meta"]["seed"], np.int64)
    np.testing.assert_array_equal(ckpt["meta"]["hist"], np.arange(4, dtype=np.float64))
    assert ckpt["meta"]["classes"] == ("cat", "dog")


def test_allow_list_does_not_leak_into_torch_load(tmp_path: Path) -> None:
    path = tmp_path / "np.pth"
    torch.save({"a": np.arange(3)}, path)
    _load_checkpoint(str(path), logger="silent")
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path, weights_only=True)


def test_safetensors_file_loads(tmp_path: Path) -> None:
    safetensors_torch = pytest.importorskip("safetensors.torch")
    torch.manual_seed(3)
    src = nn.Linear(4, 2)
    path = tmp_path / "w.safetensors"
    safetensors_torch.save_file(src.state_dict(), str(path))
    dst = nn.Linear(4, 2)
    load_checkpoint(dst, str(path), logger="silent")
    assert torch.equal(dst.weight, src.weight) and torch.equal(dst.bias, src.bias)


def test_safetensors_prefix(tmp_path: Path) -> None:
    safetensors_torch = pytest.importorskip("safetensors.torch")
    from mminit._checkpoint import _load_checkpoint_with_prefix

    path = tmp_path / "w.safetensors"
    safetensors_torch.save_file({"backbone.w": torch.ones(2), "head.w": torch.zeros(2)}, str(path))
    assert list(_load_checkpoint_with_prefix("backbone", str(path))) == ["w"]


def test_safetensors_without_the_package_names_it(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "w.safetensors"
    path.write_bytes(b"\0" * 16)
    monkeypatch.setitem(sys.modules, "safetensors", None)
    monkeypatch.setitem(sys.modules, "safetensors.torch", None)
    with pytest.raises(UnsupportedSourceError, match="pip install safetensors") as info:
        _load_checkpoint(str(path), logger="silent")
    assert isinstance(info.value, ImportError)
