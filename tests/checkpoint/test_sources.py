"""Schemes and model-zoo names: resolution, overrides, deprecations, errors.

Zoo URLs point at the internet; these tests reach them only through files
placed in the cache under the name the URL would be cached as, with
``MMINIT_OFFLINE=1`` guaranteeing that nothing is downloaded.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
import torch
from compat_tests.libs import recording
from torch import nn

from mminit._checkpoint import (
    OfflineError,
    UnknownModelNameError,
    UnknownSchemeError,
    UnsupportedSourceError,
    _load_checkpoint,
    load_checkpoint,
    zoo,
)
from mminit._flavour import MMCV1, MMENGINE
from mminit._logging import get_logger

from .conftest import to_bytes

FLAVOURS = [pytest.param(MMENGINE, id="mmengine"), pytest.param(MMCV1, id="mmcv1")]
HAS_TORCHVISION = importlib.util.find_spec("torchvision") is not None
RESNET50_CAFFE = "resnet50_caffe-788b5fa3.pth"  # detectron/resnet50_caffe's file name


def weights() -> dict[str, torch.Tensor]:
    torch.manual_seed(5)
    return nn.Linear(2, 2).state_dict()


def seed_cache(cache_dir: Path, name: str, obj: object) -> Path:
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / name
    torch.save(obj, path)
    return path


@pytest.fixture
def offline(monkeypatch) -> None:
    monkeypatch.setenv("MMINIT_OFFLINE", "1")


@pytest.fixture
def current_log():
    with recording(get_logger(MMENGINE)) as seen:
        yield seen


@pytest.mark.parametrize("name", ["foo://bar.pth", "file:///tmp/x.pth", "HF://org/model"])
def test_unknown_scheme_names_it_and_the_known_ones(name: str) -> None:
    with pytest.raises(UnknownSchemeError) as info:
        _load_checkpoint(name)
    message = str(info.value)
    assert name.split("://")[0] + "://" in message
    for known in ("http://", "torchvision://", "open-mmlab://", "mmcls://"):
        assert known in message
    assert isinstance(info.value, FileNotFoundError)  # where upstream ends up


@pytest.mark.parametrize(
    "name", ["s3://bucket/x.pth", "mybucket:s3://x.pth", "pavi://m/x", "petrel://x.pth"]
)
def test_internal_storage_schemes_are_refused_by_name(name: str) -> None:
    with pytest.raises(UnsupportedSourceError, match="local path") as info:
        _load_checkpoint(name)
    assert isinstance(info.value, ImportError)


def test_non_string_filename_is_type_error() -> None:
    with pytest.raises(TypeError, match="str path or URL"):
        _load_checkpoint(Path("x.pth"))  # type: ignore[arg-type]


def test_tables_ship_with_the_package() -> None:
    assert zoo.openmmlab_urls(MMENGINE)["detectron/resnet50_caffe"].endswith(RESNET50_CAFFE)
    assert zoo.deprecated_names()["resnet50_caffe"] == "detectron/resnet50_caffe"
    assert "mmclassification" in zoo.mmcls_urls()["resnet18"]
    assert all(u.startswith("https://") for u in zoo.mmcls_urls().values())


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("scheme", ["open-mmlab://", "openmmlab://"])
def test_user_override_file_adds_names(
    flavour, scheme, isolated_homes, http_server, capsys
) -> None:
    url = http_server.serve("/mine.pth", to_bytes({"state_dict": weights()}))
    home = isolated_homes[flavour.name]
    home.mkdir(parents=True)
    (home / "open_mmlab.json").write_text(json.dumps({"my/model": url}))
    model = nn.Linear(2, 2)
    load_checkpoint(model, f"{scheme}my/model", flavour=flavour)
    assert torch.equal(model.weight, weights()["weight"])
    first = capsys.readouterr().out.splitlines()[0]
    assert (
        first
        == {
            "mmengine": f"Loads checkpoint by openmmlab backend from path: {scheme}my/model",
            "mmcv1": f"load checkpoint from openmmlab path: {scheme}my/model",
        }[flavour.name]
    )


def test_override_file_is_per_flavour(isolated_homes) -> None:
    home = isolated_homes["mmcv1"]
    home.mkdir(parents=True)
    (home / "open_mmlab.json").write_text(json.dumps({"only/mmcv": "http://x/y.pth"}))
    assert "only/mmcv" in zoo.openmmlab_urls(MMCV1)
    assert "only/mmcv" not in zoo.openmmlab_urls(MMENGINE)


def test_override_file_must_be_an_object(isolated_homes) -> None:
    home = isolated_homes["mmengine"]
    home.mkdir(parents=True)
    (home / "open_mmlab.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match="JSON object"):
        zoo.openmmlab_urls(MMENGINE)


def test_zoo_home_defaults_under_xdg_cache(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("MMENGINE_HOME")
    monkeypatch.delenv("MMCV_HOME")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert zoo.zoo_home(MMENGINE) == str(tmp_path / "mmengine")
    assert zoo.zoo_home(MMCV1) == str(tmp_path / "mmcv")


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_relative_zoo_entry_is_a_file_under_the_home(flavour, isolated_homes) -> None:
    home = isolated_homes[flavour.name]
    (home / "local").mkdir(parents=True)
    torch.save(weights(), home / "local" / "w.pth")
    (home / "open_mmlab.json").write_text(json.dumps({"here": "local/w.pth", "gone": "no.pth"}))
    ckpt = _load_checkpoint("open-mmlab://here", logger="silent", flavour=flavour)
    assert torch.equal(ckpt["weight"], weights()["weight"])
    with pytest.raises(FileNotFoundError, match="no.pth"):
        _load_checkpoint("open-mmlab://gone", logger="silent", flavour=flavour)


def test_shipped_name_resolves_through_the_cache(cache_dir, offline) -> None:
    seed_cache(cache_dir, RESNET50_CAFFE, weights())
    ckpt = _load_checkpoint("open-mmlab://detectron/resnet50_caffe", logger="silent")
    assert torch.equal(ckpt["bias"], weights()["bias"])


def test_deprecated_name_mmengine_logs_a_warning(cache_dir, offline, current_log) -> None:
    seed_cache(cache_dir, RESNET50_CAFFE, weights())
    _load_checkpoint("openmmlab://resnet50_caffe", logger="silent", flavour=MMENGINE)
    assert current_log == [
        (
            "WARNING",
            (
                "openmmlab://resnet50_caffe is deprecated in favor of "
                "openmmlab://detectron/resnet50_caffe"
            ),
        )
    ]


def test_deprecated_name_mmcv1_warns(cache_dir, offline) -> None:
    seed_cache(cache_dir, RESNET50_CAFFE, weights())
    with pytest.warns(
        DeprecationWarning,
        match="open-mmlab://resnet50_caffe is deprecated in "
        "favor of open-mmlab://detectron/resnet50_caffe",
    ):
        _load_checkpoint("open-mmlab://resnet50_caffe", logger="silent", flavour=MMCV1)


def test_unknown_zoo_name_lists_the_known_ones() -> None:
    with pytest.raises(UnknownModelNameError) as info:
        _load_checkpoint("open-mmlab://detectron/resnet50_cafe", logger="silent")
    message = str(info.value)
    assert isinstance(info.value, KeyError)
    assert "'detectron/resnet50_cafe'" in message
    assert "did you mean detectron/resnet50_caffe" in message
    assert "msra/hrnetv2_w18" in message  # the full list follows


def test_mmcls_keeps_only_the_backbone(cache_dir, offline) -> None:
    url = zoo.mmcls_urls()["resnet18"]
    full = {"backbone.conv.weight": torch.ones(1), "head.fc.weight": torch.zeros(1)}
    seed_cache(cache_dir, url.rsplit("/", 1)[1], {"state_dict": full, "meta": {}})
    ckpt = _load_checkpoint("mmcls://resnet18", logger="silent")
    assert list(ckpt) == ["state_dict"]
    assert list(ckpt["state_dict"]) == ["conv.weight"]


def test_mmcls_unknown_name() -> None:
    with pytest.raises(UnknownModelNameError, match="mmcls model name 'resnet7'"):
        _load_checkpoint("mmcls://resnet7", logger="silent")


def test_offline_zoo_name_says_which_file_it_looked_for(cache_dir, offline) -> None:
    with pytest.raises(OfflineError) as info:
        _load_checkpoint("open-mmlab://detectron/resnet50_caffe", logger="silent")
    assert str(cache_dir / RESNET50_CAFFE) in str(info.value)
    assert "download.openmmlab.com" in str(info.value)


def test_torchvision_missing_is_named(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "torchvision", None)
    monkeypatch.setitem(sys.modules, "torchvision.models", None)
    with pytest.raises(UnsupportedSourceError, match="pip install torchvision"):
        _load_checkpoint("torchvision://resnet18", logger="silent")


def test_torchvision_hidden_is_named(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "torchvision", None)
    monkeypatch.setitem(sys.modules, "torchvision.models", None)
    with pytest.raises(UnsupportedSourceError, match="torchvision is not installed"):
        _load_checkpoint("modelzoo://resnet18", logger="silent")


# Deselected (not skipped) where torchvision is absent: see conftest.py.
needs_torchvision = pytest.mark.needs_torchvision


@needs_torchvision
@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("name", ["resnet18", "resnet18.imagenet1k_v1", "resnet18.default"])
def test_torchvision_names(flavour, name, cache_dir, offline, capsys) -> None:
    seed_cache(cache_dir, "resnet18-f37072fd.pth", weights())
    ckpt = _load_checkpoint(f"torchvision://{name}", flavour=flavour)
    assert torch.equal(ckpt["weight"], weights()["weight"])
    assert (
        capsys.readouterr().out
        == {
            "mmengine": f"Loads checkpoint by torchvision backend from path: torchvision://{name}\n",
            "mmcv1": f"load checkpoint from torchvision path: torchvision://{name}\n",
        }[flavour.name]
    )


@needs_torchvision
def test_torchvision_enum_spelling_only_in_mmcv1(cache_dir, offline) -> None:
    seed_cache(cache_dir, "resnet18-f37072fd.pth", weights())
    name = "torchvision://ResNet18_Weights.IMAGENET1K_V1"
    assert "weight" in _load_checkpoint(name, logger="silent", flavour=MMCV1)
    with pytest.raises(UnknownModelNameError, match="resnet18.imagenet1k_v1"):
        _load_checkpoint(name, logger="silent", flavour=MMENGINE)


@needs_torchvision
def test_modelzoo_is_a_deprecated_alias(cache_dir, offline, current_log) -> None:
    seed_cache(cache_dir, "resnet18-f37072fd.pth", weights())
    message = 'The URL scheme of "modelzoo://" is deprecated, please use "torchvision://" instead'
    _load_checkpoint("modelzoo://resnet18", logger="silent", flavour=MMENGINE)
    assert current_log == [("WARNING", message)]
    with pytest.warns(DeprecationWarning, match="modelzoo://"):
        _load_checkpoint("modelzoo://resnet18", logger="silent", flavour=MMCV1)
