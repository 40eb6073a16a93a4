"""Fast mode reads each ``Pretrained`` checkpoint once, as compat mode and upstream do.

The reads are counted by a loader registered for a scheme of the test's own, so
every read of the checkpoint (whatever asks for it) goes through the counter.
"""

from __future__ import annotations

import logging

import pytest
import torch
from torch import nn

import mminit
import mminit.mmcv1

TN = dict(type="TruncNormal", layer="Linear", std=0.02)


def _counting_scheme(mod, prefix, path):
    reads = []

    def load_from_counted(filename, map_location=None):
        reads.append(filename)
        return torch.load(path, map_location=map_location, weights_only=True)

    mod.CheckpointLoader.register_scheme(prefixes=prefix, loader=load_from_counted, force=True)
    return reads


def _model(mod, init_cfg):
    class Block(mod.BaseModule):
        def __init__(self):
            super().__init__(TN)
            self.fc = nn.Linear(8, 8)
            self.ln = nn.LayerNorm(8)

    class Net(mod.BaseModule):
        def __init__(self):
            super().__init__(init_cfg)
            self.block = Block()
            self.head = nn.Linear(8, 2)
            self.extra = nn.Linear(8, 8)  # not in the checkpoint: filled as usual

    return Net()


def _params_by_name(model):
    return {n: p.detach().clone() for n, p in model.named_parameters()}


@pytest.mark.parametrize("mod", [mminit, mminit.mmcv1], ids=["mminit", "mmcv1"])
@pytest.mark.parametrize("mode", ["compat", "fast"])
def test_pretrained_checkpoint_is_read_once(mod, mode, tmp_path, caplog):
    torch.manual_seed(0)
    source = _model(mod, None)
    saved = {k: v for k, v in source.state_dict().items() if not k.startswith("extra.")}
    path = tmp_path / "ckpt.pth"
    torch.save(saved, path)
    prefix = f"counted{mode}{mod.__name__.replace('.', '')}://"
    reads = _counting_scheme(mod, prefix, path)
    model = _model(mod, [TN, dict(type="Pretrained", checkpoint=prefix + "x")])
    with caplog.at_level(logging.INFO, logger="mminit"), mminit.init_mode(mode):
        model.init_weights()
    assert reads == [prefix + "x"]
    got = _params_by_name(model)
    # the root's Pretrained: last in mmengine; in mmcv 1.x the children's init follows it
    for name in ("head.weight", "head.bias"):
        assert torch.equal(got[name], saved[name]), name
    assert not torch.equal(got["extra.weight"], torch.zeros_like(got["extra.weight"]))


def test_fast_pretrained_info_strings_equal_compat(tmp_path, caplog):
    torch.manual_seed(0)
    source = _model(mminit, None)
    path = tmp_path / "ckpt.pth"
    torch.save({k: v for k, v in source.state_dict().items() if not k.startswith("extra.")}, path)
    dumps = {}
    for mode in ("compat", "fast"):
        caplog.clear()
        torch.manual_seed(1)
        model = _model(mminit, [TN, dict(type="Pretrained", checkpoint=str(path))])
        with caplog.at_level(logging.INFO, logger="mminit"), mminit.init_mode(mode):
            model.init_weights()
        dumps[mode] = [r.getMessage() for r in caplog.records if r.name == "mminit"]
    assert dumps["fast"] == dumps["compat"]
    assert any("extra.weight" in m and "TruncNormal" in m for m in dumps["fast"])
    assert any("block.fc.weight" in m and "Pretrained" in m for m in dumps["fast"])
