"""Sharded (FSDP2 ``fully_shard``, gloo on 127.0.0.1) compat init equals upstream's single-process init.

The reference is upstream's ``init_weights`` of the same model built on the CPU
under the same seed in this process; the ranks build on the meta device, shard,
``to_empty``, then ``mminit.materialize`` + ``init_weights`` inside
``mminit.sharded_init()``.  The gathered state is bit-identical, rank 0's
init-info records are upstream's and the other ranks log none.
"""

from __future__ import annotations

import logging

import pytest
import torch

from .libs import LogCapture, requested_flavours, skip_unless_ci
from .sharded_models import upstream_net, upstream_pretrained_net
from .sharded_support import run_sharded

FLAVOURS = requested_flavours()
SEED = 21


def _reference():
    torch.manual_seed(SEED)
    model = upstream_net()
    with LogCapture().capture() as records:
        model.init_weights()
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    return state, [r for r in records if r[1].startswith("\n")], torch.rand(4)


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("world", [2, 4])
def test_sharded_compat_init_equals_upstream_single_process(flavour, world, tmp_path, monkeypatch):
    monkeypatch.setenv("MMINIT_SHARDED_FLAVOUR", flavour)
    state, records, next_draw = _reference()
    results = run_sharded(world, tmp_path, "compat_tests.sharded_models:mminit_net", SEED)
    for rank, res in enumerate(results):
        assert res["state"].keys() == state.keys()
        for key, value in state.items():
            assert torch.equal(res["state"][key], value), f"rank {rank}: {key} differs"
        assert torch.equal(res["next_draw"], next_draw), (
            "the generator ends elsewhere than upstream's"
        )
    sharded = [k for k, shape in results[0]["local"].items() if shape != tuple(state[k].shape)]
    assert sharded, "nothing was sharded"
    assert len(records) == len(list(upstream_net().parameters())), (
        "upstream dumps one record per parameter"
    )
    dump = [r for r in results[0]["records"] if r[1].startswith("\n")]
    assert [r[1] for r in dump] == [r[1] for r in records]
    assert all(res["records"] == [] for res in results[1:])
    logging.getLogger("mminit").handlers.clear()


def _checkpoint(path):
    """A zip checkpoint for ``*_pretrained_net`` (prefix ``backbone.``): some matching keys, a
    wrong-shape one (``free.weight``), one outside the prefix; own values, not upstream's."""
    g = torch.Generator().manual_seed(5)
    weights = {
        "backbone.stem.0.weight": torch.randn(8, 3, 3, 3, generator=g),
        "backbone.stem.1.running_mean": torch.randn(8, generator=g),
        "backbone.blocks.1.weight": torch.randn(8, 8, generator=g),
        "backbone.head.attn.in_proj_weight": torch.randn(24, 8, generator=g),
        "backbone.head.fc.bias": torch.randn(5, generator=g),
        "backbone.free.weight": torch.randn(3, 3, generator=g),
        "neck.extra": torch.randn(2, generator=g),
    }
    torch.save({"state_dict": weights}, path)
    return weights


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_sharded_pretrained_loads_shards_as_upstream_single_process(flavour, tmp_path, monkeypatch):
    """A ``Pretrained`` entry (with prefix) on a sharded model: each rank copies its shard's slice
    of the memory-mapped checkpoint; gathered state, generator and rank 0's records (load line,
    mismatch report, init-info dump) are upstream's single-process ones; other ranks log none."""
    monkeypatch.setenv("MMINIT_SHARDED_FLAVOUR", flavour)
    monkeypatch.setenv("MMINIT_SHARDED_CHECKPOINT", str(tmp_path / "ckpt.pth"))
    weights = _checkpoint(tmp_path / "ckpt.pth")
    torch.manual_seed(SEED)
    model = upstream_pretrained_net()
    with LogCapture().capture() as records:
        model.init_weights()
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    next_draw = torch.rand(4)
    loaded = [
        k
        for k in state
        if f"backbone.{k}" in weights and torch.equal(state[k], weights[f"backbone.{k}"])
    ]
    assert loaded, "upstream kept none of the checkpoint's values: the case checks nothing"
    results = run_sharded(2, tmp_path, "compat_tests.sharded_models:mminit_pretrained_net", SEED)
    for rank, res in enumerate(results):
        assert res["state"].keys() == state.keys()
        for key, value in state.items():
            assert torch.equal(res["state"][key], value), f"rank {rank}: {key} differs"
        assert torch.equal(res["next_draw"], next_draw), (
            "the generator ends elsewhere than upstream's"
        )
    assert [k for k in loaded if results[0]["local"][k] != tuple(state[k].shape)], (
        "no loaded parameter was sharded"
    )
    assert any("load backbone. in model from" in r[1] for r in records)
    assert any("do not match exactly" in r[1] for r in records)
    assert results[0]["records"] == [r for r in records if r[0] != "DEBUG"]  # the ranks log at INFO
    assert all(res["records"] == [] for res in results[1:])
    logging.getLogger("mminit").handlers.clear()


def _upstream_file_dump(flavour, path):
    if flavour == "mmengine":
        from mmengine.logging import MMLogger

        logger = MMLogger.get_current_instance()
    else:
        from mmcv.utils import get_logger

        logger = get_logger("mmcv")
    handler = logging.FileHandler(path)
    handler.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        torch.manual_seed(SEED)
        upstream_net().init_weights()
    finally:
        logger.removeHandler(handler)
        handler.close()
    return path.read_text()


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_sharded_dump_to_file_handler_on_rank_zero_only(flavour, tmp_path, monkeypatch):
    """The init-info dump written straight to a FileHandler's stream (bypassing the logger's
    filters) comes from rank 0 only, in upstream's single-process text."""
    monkeypatch.setenv("MMINIT_SHARDED_FLAVOUR", flavour)
    upstream = _upstream_file_dump(flavour, tmp_path / "upstream.log")
    assert "Name of parameter - Initialization information\n" in upstream
    run_sharded(2, tmp_path, "compat_tests.sharded_models:mminit_net", SEED, file_log=True)
    assert (tmp_path / "rank0.log").read_text() == upstream
    assert (tmp_path / "rank1.log").read_text() == ""
    logging.getLogger("mminit").handlers.clear()


@pytest.mark.parametrize(
    "mode", ["fast"]
)  # compat mode: tests/core/test_name_keyed.py, in one process
def test_sharded_name_keyed_init_equals_single_process_name_keyed(mode, tmp_path, monkeypatch):
    """The opt-in name-keyed streams (not upstream's numbers): sharded equals one process."""
    import mminit

    from .sharded_models import mminit_net

    flavour = FLAVOURS[0]
    monkeypatch.setenv("MMINIT_SHARDED_FLAVOUR", flavour)
    torch.manual_seed(SEED)
    with torch.device("meta"):
        model = mminit_net()
    torch.manual_seed(99)  # the global stream must not matter
    with mminit.name_keyed(model, seed=SEED), mminit.init_mode(mode):
        mminit.materialize(model, warn=False)
        model.init_weights()
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    results = run_sharded(
        2, tmp_path, "compat_tests.sharded_models:mminit_net", SEED, keyed=True, mode=mode
    )
    for rank, res in enumerate(results):
        for key, value in state.items():
            assert torch.equal(res["state"][key], value), f"rank {rank}: {key} differs"
    logging.getLogger("mminit").handlers.clear()


def test_sharded_peak_memory_per_rank_is_shard_plus_largest_parameter(tmp_path, monkeypatch):
    """Per-rank peak during init stays within its shard plus one full parameter (plus slack)."""
    monkeypatch.setenv("MMINIT_SHARDED_FLAVOUR", FLAVOURS[0])
    results = run_sharded(2, tmp_path, "compat_tests.sharded_models:mminit_wide", SEED)
    mib = 1024 * 1024
    largest = 2048 * 2048 * 4
    for rank, res in enumerate(results):
        if res["peak_kib"] is None:
            skip_unless_ci(
                "this kernel does not let a process reset its VmHWM (/proc/self/clear_refs)",
                "the memory bound must be measured",
            )
        shard = sum(torch.Size(shape).numel() * 4 for shape in res["local"].values())
        assert shard == 8 * largest // 2
        bound = shard + largest + 24 * mib  # slack: gloo and DTensor's first-use caches
        assert res["peak_kib"] * 1024 <= bound, (
            f"rank {rank}: init peaked {res['peak_kib'] / 1024:.0f} MiB above its resident set, "
            f"bound {bound / mib:.0f} MiB (shard {shard / mib:.0f} + largest parameter {largest / mib:.0f} + 24)"
        )


def test_sharded_pretrained_peak_memory_per_rank_excludes_the_full_model(tmp_path, monkeypatch):
    """``Pretrained`` into a sharded model reads the checkpoint memory-mapped and copies only each
    shard's slice: per-rank peak stays within the shard, the checkpoint pages it read (its slices,
    counted in VmRSS as mapped file pages), one full parameter (the init_cfg draw before the load)
    and slack, well below reading the whole checkpoint (8 x 16 MiB) on each rank (4 ranks: about
    100 MiB each, 180 MiB when the checkpoint is read whole)."""
    monkeypatch.setenv("MMINIT_SHARDED_FLAVOUR", FLAVOURS[0])
    monkeypatch.setenv("MMINIT_SHARDED_CHECKPOINT", str(tmp_path / "wide.pth"))
    g = torch.Generator().manual_seed(3)
    weights = {f"fc{i}.weight": torch.randn(2048, 2048, generator=g) for i in range(8)}
    torch.save(weights, tmp_path / "wide.pth")
    results = run_sharded(4, tmp_path, "compat_tests.sharded_models:mminit_wide_pretrained", SEED)
    mib = 1024 * 1024
    largest = 2048 * 2048 * 4
    for rank, res in enumerate(results):
        for key, value in weights.items():
            assert torch.equal(res["state"][key], value), f"rank {rank}: {key} was not loaded"
        if res["peak_kib"] is None:
            skip_unless_ci(
                "this kernel does not let a process reset its VmHWM (/proc/self/clear_refs)",
                "the memory bound must be measured",
            )
        shard = sum(torch.Size(shape).numel() * 4 for shape in res["local"].values())
        assert shard == 8 * largest // 4
        bound = 2 * shard + largest + 40 * mib  # slack: gloo, DTensor's caches, the allocator
        assert bound < shard + 8 * largest, "the bound would not tell a whole-checkpoint read apart"
        assert res["peak_kib"] * 1024 <= bound, (
            f"rank {rank}: init peaked {res['peak_kib'] / 1024:.0f} MiB above its resident set, bound "
            f"{bound / mib:.0f} MiB (shard {shard / mib:.0f} + its checkpoint slices {shard / mib:.0f} "
            f"+ largest parameter {largest / mib:.0f} + 40); the whole checkpoint is {8 * largest / mib:.0f} MiB"
        )


def test_sharded_init_names_what_it_expects():
    import mminit

    with (
        pytest.raises(
            TypeError, match=r"sharded_init\(\) expects the model \(an nn.Module\), got str"
        ),
        mminit.sharded_init("model"),
    ):  # type: ignore[arg-type]
        pass
