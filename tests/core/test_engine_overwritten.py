"""A layer's TruncNormal on ``Linear`` overwritten by its children's own fills (issue 21).

mmengine applies the root's, the backbone's and each layer's TruncNormal to the
same ``Linear`` weights, then the layer's children (attention, FFN) overwrite
them with their own ``init_cfg``.  The draws of the chain of identical TruncNormal
checks need not be regenerated: the chain ends at a value whose mean differs from
the mean before it, which decides upstream's info string whatever the skipped
values were.  Regenerating them (one more draw per weight, as after commit
fc84ea6) cost about 20 % of compat mode's time on a ViT-B-sized CPU tree.
"""

from __future__ import annotations

import logging

import pytest
import torch
from benchmarks.models import build_model, load_lib

import mminit
from mminit._engine import compat as _engine


def _run(mode, family, monkeypatch, caplog):
    regenerated = []
    original = _engine.CompatEngine._regenerate_mean

    def counting(self, p, draw):
        regenerated.append(tuple(p.shape))
        return original(self, p, draw)

    monkeypatch.setattr(_engine.CompatEngine, "_regenerate_mean", counting)
    torch.manual_seed(0)
    model = build_model(family, load_lib("mminit"), "small")
    caplog.clear()
    torch.manual_seed(1)
    with caplog.at_level(logging.INFO, logger="mminit"), mminit.init_mode(mode):
        model.init_weights()
    dump = [r.getMessage() for r in caplog.records if r.name == "mminit"]
    return model.state_dict(), dump, regenerated


@pytest.mark.parametrize("family", ["vit-b-overwritten", "vit-b", "deep-narrow"])
def test_overwritten_chains_need_no_regenerated_draws(family, monkeypatch, caplog):
    eager_state, eager_dump, _ = _run("eager", family, monkeypatch, caplog)
    state, dump, regenerated = _run("compat", family, monkeypatch, caplog)
    assert regenerated == []
    assert dump == eager_dump and any("XavierInit" in m or "TruncNormal" in m for m in dump)
    for name, value in eager_state.items():
        assert torch.equal(value, state[name]), name
