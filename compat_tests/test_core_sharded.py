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

from .libs import LogCapture
from .sharded_models import upstream_net
from .sharded_support import run_sharded
from .test_core_support import requested_flavours

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
        assert torch.equal(res["next_draw"], next_draw), "the generator ends elsewhere than upstream's"
    sharded = [k for k, shape in results[0]["local"].items() if shape != tuple(state[k].shape)]
    assert sharded, "nothing was sharded"
    assert len(records) == len(list(upstream_net().parameters())), "upstream dumps one record per parameter"
    dump = [r for r in results[0]["records"] if r[1].startswith("\n")]
    assert [r[1] for r in dump] == [r[1] for r in records]
    assert all(res["records"] == [] for res in results[1:])
    logging.getLogger("mminit").handlers.clear()


@pytest.mark.parametrize("mode", ["fast"])  # compat mode: tests/core/test_name_keyed.py, in one process
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
    results = run_sharded(2, tmp_path, "compat_tests.sharded_models:mminit_net", SEED, keyed=True, mode=mode)
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
            pytest.skip("this kernel does not let a process reset its VmHWM (/proc/self/clear_refs)")
        shard = sum(torch.Size(shape).numel() * 4 for shape in res["local"].values())
        assert shard == 8 * largest // 2
        bound = shard + largest + 24 * mib  # slack: gloo and DTensor's first-use caches
        assert res["peak_kib"] * 1024 <= bound, (
            f"rank {rank}: init peaked {res['peak_kib'] / 1024:.0f} MiB above its resident set, "
            f"bound {bound / mib:.0f} MiB (shard {shard / mib:.0f} + largest parameter {largest / mib:.0f} + 24)")


def test_sharded_init_names_what_it_expects():
    import mminit

    with pytest.raises(TypeError, match=r"sharded_init\(\) expects the model \(an nn.Module\), got str"):
        with mminit.sharded_init("model"):  # type: ignore[arg-type]
            pass
