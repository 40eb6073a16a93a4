"""Issue 22 item 10: errors that name their real cause and the file.

A URL whose file name is long (240 characters) downloads and caches (the
temporary ``.partial`` name is shortened, not the cause of a failure blamed on
the cache directory); a name the file system cannot take is said to be too long;
a damaged safetensors file is named; a ``map_location`` ``torch.load`` does not
take is a ``TypeError`` (upstream's type) naming the file and the value.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
from torch import nn

from mminit._checkpoint import DownloadError, _load_checkpoint, load_checkpoint
from mminit._flavour import MMCV1, MMENGINE

from .conftest import to_bytes

FLAVOURS = [pytest.param(MMENGINE, id="mmengine"), pytest.param(MMCV1, id="mmcv1")]


def weights() -> dict[str, torch.Tensor]:
    torch.manual_seed(0)
    return nn.Linear(3, 2).state_dict()


def test_long_url_file_name_downloads_and_caches(http_server, cache_dir) -> None:
    name = "a" * 236 + ".pth"  # 240 characters: fits, but not with .<host>-<pid>.<random>.partial
    body = to_bytes({"state_dict": weights()})
    url = http_server.serve(f"/{name}", body)
    model = nn.Linear(3, 2)
    load_checkpoint(model, url, logger="silent", flavour=MMENGINE)
    assert torch.equal(model.weight, weights()["weight"])
    assert sorted(p.name for p in cache_dir.iterdir()) == [name]  # no .partial left
    assert (cache_dir / name).read_bytes() == body


def test_file_name_longer_than_the_file_system_takes_says_so(http_server, cache_dir) -> None:
    name = "b" * 296 + ".pth"
    url = http_server.serve(f"/{name}", to_bytes({"state_dict": weights()}))
    with pytest.raises(
        DownloadError, match=r"file name is 300 bytes long .* at most \d+ bytes"
    ) as info:
        _load_checkpoint(url, logger="silent", flavour=MMENGINE)
    assert "TORCH_HOME" not in str(info.value)
    assert http_server.hits(f"/{name}") == 0  # refused before any request
    assert not cache_dir.exists() or list(cache_dir.iterdir()) == []


def test_shortened_temporary_names_stay_apart() -> None:
    from mminit._checkpoint.download import _fit

    a, b = _fit("x" * 300 + "1", 100), _fit("x" * 300 + "2", 100)
    assert a != b and len(a) == len(b) == 100
    assert _fit("short.pth", 100) == "short.pth"
    assert len(os.fsencode(_fit("é" * 200, 101))) <= 101  # bytes, not characters


def test_damaged_safetensors_file_is_named(tmp_path: Path) -> None:
    safetensors_torch = pytest.importorskip("safetensors.torch")
    path = tmp_path / "cut.safetensors"
    safetensors_torch.save_file({"w": torch.ones(4, 4)}, str(path))
    path.write_bytes(path.read_bytes()[:-10])  # tensor offsets now run past the end of the file
    with pytest.raises(Exception, match="deserializing header") as info:
        _load_checkpoint(str(path), logger="silent", flavour=MMENGINE)
    assert str(path) in str(info.value)
    assert type(info.value).__name__ == "SafetensorError"  # safetensors' own type, kept


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("suffix", [".pth", ".safetensors"])
def test_bad_map_location_names_the_file_and_the_value(tmp_path: Path, flavour, suffix) -> None:
    path = tmp_path / f"w{suffix}"
    if suffix == ".pth":
        torch.save(weights(), path)
    else:
        pytest.importorskip("safetensors.torch").save_file(weights(), str(path))
    with pytest.raises(
        TypeError, match=r"map_location=12345 \(int\) is not one torch.load takes"
    ) as info:
        _load_checkpoint(str(path), map_location=12345, logger="silent", flavour=flavour)
    assert str(path) in str(info.value)
    for fine in (None, "cpu", torch.device("cpu"), {"cpu": "cpu"}, lambda storage, loc: storage):
        assert set(
            _load_checkpoint(str(path), map_location=fine, logger="silent", flavour=flavour)
        ) == {"weight", "bias"}
