"""http(s) checkpoints, served by a real server on 127.0.0.1 (no mocks)."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest
import torch
from torch import nn

from mminit._checkpoint import (
    ChecksumError,
    DownloadError,
    OfflineError,
    _load_checkpoint,
    load_checkpoint,
)
from mminit._flavour import MMCV1, MMENGINE

from .conftest import to_bytes


def weights() -> dict[str, torch.Tensor]:
    torch.manual_seed(0)
    return nn.Linear(3, 2).state_dict()


def sha_name(stem: str, body: bytes, digits: int = 8) -> str:
    return f"/{stem}-{hashlib.sha256(body).hexdigest()[:digits]}.pth"


def leftovers(cache_dir: Path) -> list[str]:
    return sorted(p.name for p in cache_dir.iterdir()) if cache_dir.exists() else []


@pytest.mark.parametrize(
    ("flavour", "line"),
    [
        (MMENGINE, "Loads checkpoint by http backend from path: {url}"),
        (MMCV1, "load checkpoint from http path: {url}"),
    ],
    ids=["mmengine", "mmcv1"],
)
def test_downloads_once_into_torch_home(http_server, cache_dir, capsys, flavour, line) -> None:
    body = to_bytes({"state_dict": weights()})
    url = http_server.serve("/good.pth", body)
    model = nn.Linear(3, 2)
    load_checkpoint(model, url, flavour=flavour)
    assert torch.equal(model.weight, weights()["weight"])
    assert (cache_dir / "good.pth").read_bytes() == body
    captured = capsys.readouterr()  # torch.hub's stream: stdout (stderr on torch 2.1)
    out = captured.out + captured.err
    assert out == f'{line.format(url=url)}\nDownloading: "{url}" to {cache_dir / "good.pth"}\n'

    load_checkpoint(nn.Linear(3, 2), url, flavour=flavour)
    assert http_server.hits("/good.pth") == 1  # second load came from the cache
    captured = capsys.readouterr()
    assert "Downloading" not in captured.out + captured.err


def test_xdg_cache_home_is_used_without_torch_home(http_server, tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("TORCH_HOME")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    url = http_server.serve("/xdg.pth", to_bytes(weights()))
    _load_checkpoint(url, logger="silent")
    assert (tmp_path / "xdg" / "torch" / "hub" / "checkpoints" / "xdg.pth").is_file()


def test_hash_in_name_is_verified(http_server, cache_dir) -> None:
    body = to_bytes(weights())
    path = sha_name("resnet", body, digits=10)
    url = http_server.serve(path, body)
    ckpt = _load_checkpoint(url, logger="silent")
    assert torch.equal(ckpt["weight"], weights()["weight"])
    assert leftovers(cache_dir) == [path[1:]]


def test_wrong_hash_deletes_and_raises(http_server, cache_dir) -> None:
    body = to_bytes(weights())
    url = http_server.serve("/resnet-deadbeef.pth", body)
    with pytest.raises(ChecksumError, match="deadbeef"):
        _load_checkpoint(url, logger="silent")
    assert leftovers(cache_dir) == []


def test_hash_check_can_be_switched_off(http_server, cache_dir, monkeypatch) -> None:
    monkeypatch.setenv("MMINIT_VERIFY_HASH", "0")
    url = http_server.serve("/resnet-deadbeef.pth", to_bytes(weights()))
    _load_checkpoint(url, logger="silent")
    assert leftovers(cache_dir) == ["resnet-deadbeef.pth"]


def test_truncated_body_never_becomes_the_cached_file(http_server, cache_dir) -> None:
    url = http_server.serve("/cut.pth", to_bytes(weights()), mode="truncate")
    with pytest.raises(DownloadError, match="cut short"):
        _load_checkpoint(url, logger="silent")
    assert leftovers(cache_dir) == []


def test_404_is_a_download_error_naming_the_status(http_server, cache_dir) -> None:
    url = http_server.serve("/gone.pth", b"", mode="missing")
    with pytest.raises(DownloadError, match="HTTP 404") as info:
        _load_checkpoint(url, logger="silent")
    assert isinstance(info.value, OSError)  # upstream raises urllib's HTTPError
    assert leftovers(cache_dir) == []


def test_slow_server_still_completes(http_server, cache_dir) -> None:
    body = to_bytes(weights())
    url = http_server.serve("/slow.pth", body, mode="slow")
    ckpt = _load_checkpoint(url, logger="silent")
    assert torch.equal(ckpt["bias"], weights()["bias"])
    assert (cache_dir / "slow.pth").read_bytes() == body


def test_stalled_server_times_out_and_caches_nothing(http_server, cache_dir, monkeypatch) -> None:
    monkeypatch.setenv("MMINIT_DOWNLOAD_TIMEOUT", "0.5")
    url = http_server.serve("/stall.pth", to_bytes(weights()), mode="stall")
    start = time.monotonic()
    with pytest.raises(DownloadError, match="timed out"):
        _load_checkpoint(url, logger="silent")
    assert time.monotonic() - start < 5
    assert leftovers(cache_dir) == []


def test_bad_timeout_value_is_explained(http_server, monkeypatch) -> None:
    monkeypatch.setenv("MMINIT_DOWNLOAD_TIMEOUT", "soon")
    url = http_server.serve("/t.pth", to_bytes(weights()))
    with pytest.raises(ValueError, match="MMINIT_DOWNLOAD_TIMEOUT"):
        _load_checkpoint(url, logger="silent")


def test_offline_never_touches_the_network(http_server, cache_dir, monkeypatch) -> None:
    monkeypatch.setenv("MMINIT_OFFLINE", "1")
    url = http_server.serve("/off.pth", to_bytes(weights()))
    with pytest.raises(OfflineError) as info:
        _load_checkpoint(url, logger="silent")
    assert str(cache_dir / "off.pth") in str(info.value)
    assert isinstance(info.value, FileNotFoundError)
    assert http_server.hits("/off.pth") == 0


def test_offline_uses_the_cache(http_server, cache_dir, monkeypatch) -> None:
    url = http_server.serve("/cached.pth", to_bytes(weights()))
    _load_checkpoint(url, logger="silent")
    monkeypatch.setenv("MMINIT_OFFLINE", "1")
    ckpt = _load_checkpoint(url, logger="silent")
    assert torch.equal(ckpt["weight"], weights()["weight"])
    assert http_server.hits("/cached.pth") == 1


def test_url_without_file_name_is_rejected(http_server) -> None:
    with pytest.raises(ValueError, match="file name"):
        _load_checkpoint(http_server.base + "/", logger="silent")
