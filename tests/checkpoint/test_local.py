"""Local checkpoints: where the weights sit, prefixes, key revision, logging."""

from __future__ import annotations

import logging
from collections import OrderedDict
from pathlib import Path

import pytest
import torch
from compat_tests.libs import Records
from torch import nn

from mminit._checkpoint import (
    PrefixNotFoundError,
    _load_checkpoint,
    _load_checkpoint_with_prefix,
    load_checkpoint,
)
from mminit._flavour import MMCV1, MMENGINE

FLAVOURS = [pytest.param(MMENGINE, id="mmengine"), pytest.param(MMCV1, id="mmcv1")]


class Net(nn.Module):
    def __init__(self, classes: int = 3) -> None:
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
        self.head = nn.Linear(4, classes)


def trained() -> Net:
    torch.manual_seed(1)
    net = Net()
    for p in net.parameters():
        nn.init.normal_(p)
    return net


def fresh() -> Net:
    net = Net()
    for p in net.parameters():
        nn.init.zeros_(p)
    return net


def same_weights(a: nn.Module, b: nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


@pytest.fixture
def logger() -> tuple[logging.Logger, Records]:
    log = logging.getLogger(f"mminit-test-{id(object())}")
    log.propagate = False
    log.setLevel(logging.DEBUG)
    handler = Records()
    log.addHandler(handler)
    return log, handler


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize(
    "wrap",
    [
        pytest.param(lambda sd: sd, id="top-level"),
        pytest.param(lambda sd: {"state_dict": sd, "meta": {"epoch": 3}}, id="state_dict"),
        pytest.param(lambda sd: {"model": sd, "epoch": 3}, id="model"),
    ],
)
def test_weights_load_wherever_they_sit(tmp_path: Path, flavour, wrap, capsys) -> None:
    src = trained()
    path = tmp_path / "ckpt.pth"
    torch.save(wrap(src.state_dict()), path)
    dst = fresh()
    returned = load_checkpoint(dst, str(path), flavour=flavour)
    assert same_weights(src, dst)
    assert isinstance(returned, dict)
    out = capsys.readouterr().out
    assert "do not match" not in out


def test_model_key_is_an_mminit_extension(tmp_path: Path, capsys) -> None:
    """Upstream reads only ``state_dict``; a ``model`` key holding a tensor
    (a module attribute literally named ``model``) is still a weight."""

    class HasModelParam(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = nn.Parameter(torch.zeros(2))

    path = tmp_path / "p.pth"
    torch.save({"model": torch.ones(2)}, path)
    dst = HasModelParam()
    load_checkpoint(dst, str(path))
    assert torch.equal(dst.model.detach(), torch.ones(2))


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_log_line_names_backend_and_path_per_flavour(tmp_path: Path, flavour, logger) -> None:
    log, handler = logger
    path = tmp_path / "a.pth"
    torch.save(trained().state_dict(), path)
    load_checkpoint(fresh(), str(path), logger=log, flavour=flavour)
    expected = {
        "mmengine": f"Loads checkpoint by local backend from path: {path}",
        "mmcv1": f"load checkpoint from local path: {path}",
    }[flavour.name]
    assert handler.records == [("INFO", expected)]


def test_logger_none_prints_and_silent_drops(tmp_path: Path, capsys) -> None:
    path = tmp_path / "a.pth"
    torch.save(trained().state_dict(), path)
    load_checkpoint(fresh(), str(path), logger=None)
    assert capsys.readouterr().out == f"Loads checkpoint by local backend from path: {path}\n"
    load_checkpoint(fresh(), str(path), logger="silent")
    assert capsys.readouterr().out == ""


def test_home_is_expanded_but_logged_as_given(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    src = trained()
    torch.save(src.state_dict(), tmp_path / "home.pth")
    dst = fresh()
    load_checkpoint(dst, "~/home.pth")
    assert same_weights(src, dst)
    assert "from path: ~/home.pth" in capsys.readouterr().out


def test_missing_file_is_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nope.pth"):
        _load_checkpoint(str(tmp_path / "nope.pth"))


def test_non_dict_checkpoint_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "list.pth"
    torch.save([torch.zeros(1)], path)
    with pytest.raises(RuntimeError, match="No state_dict found"):
        load_checkpoint(fresh(), str(path))


@pytest.mark.parametrize("prefix", ["backbone", "backbone."])
@pytest.mark.parametrize("nest", [False, True], ids=["top-level", "state_dict"])
def test_prefix_with_and_without_dot(tmp_path: Path, prefix: str, nest: bool, capsys) -> None:
    src = trained()
    path = tmp_path / "p.pth"
    torch.save({"state_dict": src.state_dict()} if nest else src.state_dict(), path)
    part = _load_checkpoint_with_prefix(prefix, str(path))
    assert set(part) == {
        k[len("backbone.") :] for k in src.state_dict() if k.startswith("backbone.")
    }
    assert torch.equal(part["0.weight"], src.backbone[0].weight)
    # upstream prints this line (the logger is not passed down on this path)
    assert capsys.readouterr().out == f"Loads checkpoint by local backend from path: {path}\n"


def test_prefix_matching_nothing_lists_top_level_prefixes(tmp_path: Path) -> None:
    path = tmp_path / "p.pth"
    torch.save({"state_dict": trained().state_dict()}, path)
    with pytest.raises(PrefixNotFoundError) as info:
        _load_checkpoint_with_prefix("neck", str(path))
    assert isinstance(info.value, AssertionError)  # upstream's type
    assert "neck." in str(info.value)
    assert "top-level prefixes are: backbone, head" in str(info.value)


def test_prefix_is_matched_whole_segment(tmp_path: Path) -> None:
    """``back`` must not match ``backbone.*``: the dot is appended first."""
    path = tmp_path / "p.pth"
    torch.save(trained().state_dict(), path)
    with pytest.raises(PrefixNotFoundError):
        _load_checkpoint_with_prefix("back", str(path))


def test_revise_keys_default_strips_module_prefix(tmp_path: Path) -> None:
    src = trained()
    path = tmp_path / "dp.pth"
    torch.save({"state_dict": nn.DataParallel(src).state_dict()}, path)
    assert all(k.startswith("module.") for k in torch.load(path)["state_dict"])
    dst = fresh()
    load_checkpoint(dst, str(path))
    assert same_weights(src, dst)


def test_revise_keys_custom_patterns_apply_in_order(tmp_path: Path) -> None:
    src = trained()
    path = tmp_path / "r.pth"
    torch.save(OrderedDict((f"net.{k}", v) for k, v in src.state_dict().items()), path)
    dst = fresh()
    load_checkpoint(dst, str(path), revise_keys=[(r"^net\.", "tmp."), (r"^tmp\.", "")])
    assert same_weights(src, dst)


def test_revise_keys_empty_on_plain_dict(tmp_path: Path) -> None:
    """Upstream oddity, kept: with ``revise_keys=[]`` upstream sets ``_metadata`` on
    the checkpoint's own weights, which fails for a plain dict (``AttributeError``);
    mminit raises the same type and says why and what to do."""
    path = tmp_path / "plain.pth"
    torch.save({"state_dict": dict(trained().state_dict())}, path)
    dst = fresh()
    with pytest.raises(AttributeError, match=r"_metadata.*revise_keys=\[\].*OrderedDict"):
        load_checkpoint(dst, str(path), revise_keys=[])
    torch.save({"state_dict": trained().state_dict()}, path)  # an OrderedDict loads
    load_checkpoint(dst, str(path), revise_keys=[])
    assert same_weights(trained(), dst)


def test_map_location_is_passed_to_torch_load(tmp_path: Path) -> None:
    path = tmp_path / "m.pth"
    torch.save({"w": torch.ones(1)}, path)
    seen: list[str] = []

    def where(storage, location):
        seen.append(location)
        return storage

    _load_checkpoint(str(path), map_location=where)
    assert seen == ["cpu"]


def test_checkpoint_returned_whole(tmp_path: Path) -> None:
    path = tmp_path / "full.pth"
    torch.save({"state_dict": trained().state_dict(), "meta": {"epoch": 7}}, path)
    ckpt = load_checkpoint(fresh(), str(path))
    assert ckpt["meta"] == {"epoch": 7}


def test_state_dict_key_wins_over_model_key(tmp_path: Path) -> None:
    src = trained()
    path = tmp_path / "both.pth"
    torch.save({"state_dict": src.state_dict(), "model": {"junk": torch.zeros(1)}}, path)
    dst = fresh()
    load_checkpoint(dst, str(path), strict=True)
    assert same_weights(src, dst)


def test_logger_current_uses_the_flavours_logger(tmp_path: Path) -> None:
    from mminit._logging import get_logger

    handler = Records()
    target = get_logger(MMENGINE)
    level = target.level
    target.setLevel(logging.DEBUG)
    target.addHandler(handler)
    try:
        path = tmp_path / "c.pth"
        torch.save(trained().state_dict(), path)
        load_checkpoint(fresh(), str(path), logger="current")
    finally:
        target.removeHandler(handler)
        target.setLevel(level)
    assert handler.records == [("INFO", f"Loads checkpoint by local backend from path: {path}")]
