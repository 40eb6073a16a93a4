"""Means only when someone can see them (issue 21, item 4).

The per-parameter init-info strings exist only for the dump at the end of a
top-level ``init_weights``.  When no handler would emit it (no ``FileHandler`` on
the dump's logger and that logger not enabled for INFO) the engine takes no mean
at all; the weights, the random state afterwards, every log record and every
warning are those of upstream's literal sequence (``mode="eager"``).
"""

from __future__ import annotations

import logging
import warnings

import pytest
import torch
from torch import nn

import mminit
import mminit.mmcv1
from mminit._flavour import MMCV1, MMENGINE
from mminit._modules.base_module import dump_visible

TN = dict(type="TruncNormal", layer="Linear", std=0.02)
LN = dict(type="Constant", layer="LayerNorm", val=1.0, bias=0.0)


def _model(mod):
    class Layer(mod.BaseModule):
        def __init__(self):
            super().__init__([dict(TN), dict(LN)])
            self.ln = nn.LayerNorm(8)
            self.fc = nn.Linear(8, 8)
            self.ffn = mod.Sequential(
                nn.Linear(8, 16),
                nn.GELU(),
                nn.Linear(16, 8),
                init_cfg=dict(type="Xavier", layer="Linear"),
            )

    class Head(mod.BaseModule):
        def __init__(self):
            super().__init__(dict(type="Constant", layer="Linear", val=0))
            self.fc = nn.Linear(8, 3)

    class Net(mod.BaseModule):
        def __init__(self):
            super().__init__([dict(TN), dict(LN), dict(type="Kaiming", layer="Conv2d")])
            self.stem = nn.Conv2d(3, 8, 3)
            self.layers = mod.ModuleList([Layer() for _ in range(3)])
            self.pos = nn.Parameter(torch.zeros(1, 4, 8))
            self.head = Head()

        def init_weights(self):
            super().init_weights()
            nn.init.trunc_normal_(self.pos, std=0.02)
            logging.getLogger("mminit").warning("user code ran")
            warnings.warn("user warning")

    return Net()


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records: list[tuple[str, str]] = []

    def emit(self, record):
        self.records.append((record.levelname, record.getMessage()))


def _run(mod, mode, level=logging.WARNING):
    """Init a fresh model; return its tensors, the RNG state, records, warnings and means taken."""
    logger = logging.getLogger("mminit")
    handler = _Records()
    means = []
    original = torch.Tensor.mean

    def counting(self, *args, **kwargs):
        means.append(tuple(self.shape))
        return original(self, *args, **kwargs)

    torch.manual_seed(0)
    model = _model(mod)
    torch.manual_seed(1)
    saved_level = logger.level
    logger.setLevel(level)
    logger.addHandler(handler)
    # patched by hand: monkeypatch.undo() would also undo conftest's hiding of upstream loggers
    torch.Tensor.mean = counting  # type: ignore[method-assign]
    try:
        with warnings.catch_warnings(record=True) as caught, mminit.init_mode(mode):
            warnings.simplefilter("always")
            model.init_weights()
    finally:
        torch.Tensor.mean = original  # type: ignore[method-assign]
        logger.removeHandler(handler)
        logger.setLevel(saved_level)
    return {
        "tensors": {k: v.clone() for k, v in model.state_dict().items()},
        "rng": torch.get_rng_state(),
        "records": handler.records,
        "warnings": [(w.category.__name__, str(w.message)) for w in caught],
        "means": means,
    }


FLAVOURS = [(mminit, MMENGINE), (mminit.mmcv1, MMCV1)]


@pytest.mark.parametrize(("mod", "flavour"), FLAVOURS, ids=["mminit", "mmcv1"])
def test_no_means_when_nobody_sees_the_dump(mod, flavour):
    assert not dump_visible(flavour)
    eager = _run(mod, "eager")
    compat = _run(mod, "compat")
    assert compat["means"] == []
    assert eager["means"]  # upstream's sequence takes them all the same
    assert eager["tensors"].keys() == compat["tensors"].keys()
    for name, value in eager["tensors"].items():
        assert torch.equal(value, compat["tensors"][name]), name
    assert torch.equal(eager["rng"], compat["rng"])
    assert compat["records"] == eager["records"]
    assert ("WARNING", "user code ran") in compat["records"]
    assert compat["warnings"] == eager["warnings"]


@pytest.mark.parametrize("mod", [mminit, mminit.mmcv1], ids=["mminit", "mmcv1"])
def test_means_when_the_dump_is_seen(mod):
    eager = _run(mod, "eager", level=logging.INFO)
    compat = _run(mod, "compat", level=logging.INFO)
    assert compat["means"]
    dumps = [r for r in compat["records"] if r[0] == "INFO" and " - torch.Size(" in r[1]]
    assert len(dumps) == len(list(_model(mod).parameters()))  # one record per parameter
    assert compat["records"] == eager["records"]
    assert any("TruncNormalInit" in m for _, m in dumps)


def test_a_file_handler_makes_the_dump_seen(tmp_path):
    logger = logging.getLogger("mminit")
    texts = {}
    for mode in ("compat", "eager"):
        handler = logging.FileHandler(tmp_path / f"{mode}.log")
        handler.setLevel(logging.CRITICAL)  # the dump writes to its stream directly
        logger.addHandler(handler)
        try:
            assert dump_visible(MMENGINE)
            out = _run(mminit, mode)
        finally:
            logger.removeHandler(handler)
            handler.close()
        texts[mode] = (tmp_path / f"{mode}.log").read_text()
        if mode == "compat":
            assert out["means"]
    assert "TruncNormalInit" in texts["compat"]
    assert texts["compat"] == texts["eager"]


@pytest.mark.parametrize("mode", ["compat", "fast"])
def test_fast_and_compat_take_no_means_unseen(mode):
    out = _run(mminit, mode)
    assert out["means"] == []


def test_a_failed_unseen_init_leaves_real_means():
    class Bad(mminit.BaseModule):
        def __init__(self):
            super().__init__(
                [dict(TN), dict(type="Constant", val=0, override=dict(type="Xavier", name="nope"))]
            )
            self.fc = nn.Linear(2, 2)

    m = Bad()
    with pytest.raises(RuntimeError, match="nope"):
        m.init_weights()
    table = m._params_init_info
    for p in m.parameters():
        assert table[p]["tmp_mean_value"] == p.detach().mean().item()


@pytest.mark.parametrize("level", [logging.WARNING, logging.INFO])
def test_a_failing_fill_over_a_deferred_draw_keeps_the_draw(level):
    """TruncNormal's transform is deferred; a later fill that raises (Kaiming on a 1-D
    weight) must leave the finished draw in place, as upstream's sequence does."""

    class Bad(mminit.BaseModule):
        def __init__(self):
            super().__init__(
                [
                    dict(type="TruncNormal", std=1.0, a=-1.0, b=1.0, layer="BatchNorm1d"),
                    dict(type="Kaiming", layer="BatchNorm1d"),
                ]
            )
            self.bn = nn.BatchNorm1d(5)

    logger = logging.getLogger("mminit")
    saved = logger.level
    logger.setLevel(level)
    out = {}
    try:
        for mode in ("eager", "compat"):
            torch.manual_seed(0)
            m = Bad()
            with pytest.raises(ValueError, match="fewer than 2 dimensions"), mminit.init_mode(mode):
                m.init_weights()
            out[mode] = m.bn.weight.detach().clone()
    finally:
        logger.setLevel(saved)
    assert torch.equal(out["eager"], out["compat"])
    assert float(out["compat"].abs().max()) <= 1.0
