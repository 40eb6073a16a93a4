"""Compat mode reads its means on the host once per settle, not once per check.

Every check (upstream's ``update_init_info``) compares each written parameter's mean
with the one before.  On a GPU, reading a mean on the host waits for every kernel
queued before it, so one read per check (60 on a ViT-L) costs more than the fills.
The engine takes the means on the device at the check and reads them all at the next
settle (here: the end of ``init_weights``), with the baselines taken before the fills.
``InitEngine._host_means`` is that read: one transfer per dtype and device per call.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import torch
from torch import nn

import mminit
from mminit._engine.state import InitEngine

TN = dict(type="TruncNormal", layer="Linear", std=0.02)
NORMAL = dict(type="Normal", layer="Linear", std=0.5)
LN = dict(type="Constant", layer="LayerNorm", val=1)


class Block(mminit.BaseModule):
    def __init__(self) -> None:
        super().__init__([NORMAL, LN, dict(type="Constant", val=0.5, override=dict(name="proj"))])
        self.fc = nn.Linear(4, 4)
        self.proj = nn.Linear(4, 4)
        self.ln = nn.LayerNorm(4)


class Net(mminit.BaseModule):
    def __init__(self, depth: int) -> None:
        super().__init__([TN, LN, dict(type="Kaiming", layer="Linear")])
        self.blocks = mminit.ModuleList([Block() for _ in range(depth)], init_cfg=NORMAL)
        self.head = nn.Linear(4, 2)


class UserCode(mminit.BaseModule):
    """A module whose own ``init_weights`` runs after ``super()``'s: the engine must
    settle before it (its code reads the parameters), so one more read there."""

    def __init__(self) -> None:
        super().__init__(NORMAL)
        self.fc = nn.Linear(4, 4)

    def init_weights(self) -> None:
        super().init_weights()
        with torch.no_grad():
            self.fc.weight.mul_(2)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The number of means in each host read (empty reads are no transfer)."""
    seen: list[int] = []
    original = InitEngine._host_means

    def counting(means: list[torch.Tensor]) -> list[object]:
        if means:
            seen.append(len(means))
        return original(means)

    monkeypatch.setattr(InitEngine, "_host_means", staticmethod(counting))
    yield seen


def _init(model: nn.Module) -> dict[str, torch.Tensor]:
    """Init with the dump's logger enabled for INFO: unseen, the engine takes no means."""
    torch.manual_seed(0)
    logger = logging.getLogger("mminit")
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        model.init_weights()
    finally:
        logger.setLevel(level)
    return {k: v.clone() for k, v in model.state_dict().items()}


@pytest.mark.parametrize("depth", [2, 12])
def test_one_host_read_per_init_however_many_checks(depth: int, reads: list[int]) -> None:
    _init(Net(depth))
    # 1 + 2 * depth initializers, each followed by a check: before, one read per check
    assert len(reads) == 1, reads


def test_user_code_adds_one_read_each(reads: list[int]) -> None:
    net = mminit.Sequential(UserCode(), UserCode(), Net(4))
    _init(net)
    assert len(reads) == 1 + 2, reads  # the end, and before each block's own code


def _run(mode: str, caplog: pytest.LogCaptureFixture) -> tuple[dict[str, torch.Tensor], list[str]]:
    torch.manual_seed(3)
    net = mminit.Sequential(UserCode(), Net(3), UserCode())
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="mminit"), mminit.init_mode(mode):
        net.init_weights()
    return (
        {k: v.clone() for k, v in net.state_dict().items()},
        [r.getMessage() for r in caplog.records if r.name == "mminit"],
    )


@pytest.mark.parametrize("defer", [True, False])
def test_same_tensors_and_info_as_eager(
    defer: bool, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Read at the end or at each check (``defers_check_means``), the table and the
    tensors are upstream's literal sequence's (eager mode)."""
    monkeypatch.setattr(InitEngine, "defers_check_means", defer)
    eager_state, eager_dump = _run("eager", caplog)
    state, dump = _run("compat", caplog)
    assert dump == eager_dump and len(dump) == len(eager_state)
    assert state.keys() == eager_state.keys()
    assert all(torch.equal(state[k], eager_state[k]) for k in state)
