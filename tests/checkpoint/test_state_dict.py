"""load_state_dict: the mismatch report, strict mode, metadata, hooks, wrappers."""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any

import pytest
import torch
from torch import nn

from mminit._checkpoint import load_state_dict
from mminit._checkpoint.state_dict import mismatch_report
from mminit._flavour import MMCV1, MMENGINE

FLAVOURS = [pytest.param(MMENGINE, id="mmengine"), pytest.param(MMCV1, id="mmcv1")]
HEADER = "The model and loaded state dict do not match exactly\n"


def net() -> nn.Sequential:
    return nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_full_report_text(flavour, capsys) -> None:
    sd = net().state_dict()
    del sd["1.weight"]
    del sd["1.num_batches_tracked"]  # never reported as missing
    sd["extra.w"] = torch.zeros(1)
    sd["0.bias"] = torch.zeros(5)
    load_state_dict(net(), sd, flavour=flavour)
    expected = f"{HEADER}\nsize mismatch for 0.bias: copying a param with shape torch.Size([5]) from checkpoint, the shape in current model is torch.Size([3]).\nunexpected key in source state_dict: extra.w\n\nmissing keys in source state_dict: 1.weight\n"
    assert capsys.readouterr().out == expected + "\n"


def test_report_goes_to_logger_as_warning(caplog) -> None:
    log = logging.getLogger("mminit-test-report")
    with caplog.at_level(logging.DEBUG, logger=log.name):
        load_state_dict(net(), {"0.weight": torch.zeros(3, 2)}, logger=log)
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert record.getMessage().startswith(HEADER)
    assert (
        "missing keys in source state_dict: 0.bias, 1.weight, 1.bias, 1.running_mean, "
        "1.running_var\n" in record.getMessage()
    )


def test_perfect_match_is_silent(capsys) -> None:
    src = net()
    dst = net()
    load_state_dict(dst, src.state_dict())
    assert capsys.readouterr().out == ""
    assert torch.equal(dst[0].weight, src[0].weight)


def test_only_num_batches_tracked_missing_is_silent(capsys) -> None:
    sd = net().state_dict()
    del sd["1.num_batches_tracked"]
    load_state_dict(net(), sd)
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_strict_raises_runtime_error_with_report(flavour) -> None:
    with pytest.raises(RuntimeError) as info:
        load_state_dict(net(), {"nope": torch.zeros(1)}, strict=True, flavour=flavour)
    assert str(info.value).startswith(HEADER)
    assert "unexpected key in source state_dict: nope" in str(info.value)


def test_matching_weights_load_even_when_others_mismatch() -> None:
    src = net()
    sd = src.state_dict()
    sd["0.bias"] = torch.zeros(7)
    dst = net()
    load_state_dict(dst, sd, logger="silent")
    assert torch.equal(dst[0].weight, src[0].weight)
    assert not torch.equal(dst[0].bias, torch.zeros(3))


def test_metadata_versions_reach_each_module() -> None:
    seen: dict[str, Any] = {}

    class Versioned(nn.Linear):
        def _load_from_state_dict(self, state_dict, prefix, local_metadata, *args):  # type: ignore[override]
            seen[prefix] = dict(local_metadata)
            super()._load_from_state_dict(state_dict, prefix, local_metadata, *args)

    model = nn.Sequential(Versioned(2, 2))
    sd = model.state_dict()
    sd._metadata = OrderedDict({"": {"version": 1}, "0": {"version": 42}})  # type: ignore[attr-defined]
    load_state_dict(model, sd, logger="silent")
    assert seen == {"0.": {"version": 42}}


def test_caller_dict_is_not_mutated() -> None:
    class Popper(nn.Linear):
        def _load_from_state_dict(self, state_dict, prefix, *args):  # type: ignore[override]
            super()._load_from_state_dict(state_dict, prefix, *args)
            state_dict.pop(prefix + "weight", None)

    sd = nn.Sequential(nn.Linear(2, 2)).state_dict()
    load_state_dict(nn.Sequential(Popper(2, 2)), sd, logger="silent")
    assert "0.weight" in sd


def _seen_keys_and_hook_calls(flavour) -> tuple[list[str], list[str]]:
    keys_seen: list[str] = []
    hooked: list[str] = []

    class Spy(nn.Linear):
        def _load_from_state_dict(self, state_dict, prefix, *args):  # type: ignore[override]
            keys_seen.extend(sorted(state_dict))
            super()._load_from_state_dict(state_dict, prefix, *args)

    model = nn.Sequential(Spy(2, 2), nn.Linear(2, 2))
    model[0].register_load_state_dict_post_hook(lambda m, keys: hooked.append(type(m).__name__))
    load_state_dict(model, model.state_dict(), flavour=flavour)
    return keys_seen, hooked


def test_mmengine_gives_children_their_keys_and_runs_post_hooks() -> None:
    keys_seen, hooked = _seen_keys_and_hook_calls(MMENGINE)
    assert keys_seen == ["0.bias", "0.weight"]
    assert hooked == ["Spy"]


def test_mmcv1_gives_children_everything_and_skips_post_hooks() -> None:
    keys_seen, hooked = _seen_keys_and_hook_calls(MMCV1)
    assert keys_seen == ["0.bias", "0.weight", "1.bias", "1.weight"]
    assert hooked == []


def test_post_hook_returning_a_value_is_an_error() -> None:
    model = nn.Linear(2, 2)
    model.register_load_state_dict_post_hook(lambda m, keys: "oops")
    with pytest.raises(AssertionError, match="must return None"):
        load_state_dict(model, model.state_dict(), flavour=MMENGINE)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_data_parallel_wrapper_is_looked_through(flavour) -> None:
    inner = nn.Linear(2, 2)
    src = nn.Linear(2, 2)
    model = nn.Sequential(nn.DataParallel(inner))
    sd = OrderedDict((f"0.{k}", v) for k, v in src.state_dict().items())
    load_state_dict(model, sd, strict=True, flavour=flavour)
    assert torch.equal(inner.weight, src.weight)


def test_mismatch_report_none_when_clean() -> None:
    assert mismatch_report([], ["bn.num_batches_tracked"], []) is None


def test_bad_logger_type_is_type_error() -> None:
    with pytest.raises(TypeError, match="logger must be"):
        load_state_dict(net(), {}, logger=42)  # type: ignore[arg-type]


def test_only_rank_zero_reports_or_raises(monkeypatch, capsys) -> None:
    from mminit._checkpoint import state_dict as module

    monkeypatch.setattr(module, "dist_info", lambda: (1, 2))
    load_state_dict(net(), {"nope": torch.zeros(1)}, strict=True)  # upstream: no raise
    assert capsys.readouterr().out == ""
