"""``mminit.explain`` evaluates fills instead of running them where no code can read them.

Where the init can run no code that reads a value (only built-in initializers, user
``init_weights`` that only overwrite whole parameters after ``super()``, or ``pass``),
explain's segments are evaluated from the plan (:mod:`mminit._engine.symbolic`): the
explanation is the same as with every fill run (``run_fills=True``), and the same as
the init-info dump of a real ``init_weights``.  Where such code turns up after fills
were evaluated, explain starts again and runs every fill.
(``tests/core/test_explain_generated.py`` and ``compat_tests/test_explain_generated.py``
check the default path against the dump, and upstream's, on generated cases.)
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

import mminit
from mminit._engine import plan_cache
from mminit._engine.fills import FillSpec
from mminit._engine.symbolic import Drawn, moves_surely
from mminit._explain import record
from mminit._logging import LOGGER_NAME


class Block(mminit.BaseModule):
    def __init__(self) -> None:
        super().__init__(dict(type="TruncNormal", layer="Linear", std=0.02, bias=0.0))
        self.fc = nn.Linear(8, 8)
        with torch.no_grad():
            self.fc.bias.zero_()  # the Constant bias=0 below leaves it as it was


class Head(mminit.BaseModule):
    """Only overwrites after super(): no value read."""

    def __init__(self) -> None:
        super().__init__(dict(type="Normal", layer="Linear", std=0.5))
        self.fc = nn.Linear(8, 3)
        self.pos = nn.Parameter(torch.zeros(1, 4, 8))

    def init_weights(self) -> None:
        super().init_weights()
        nn.init.normal_(self.pos, std=0.02)


class Pool(nn.Module):
    """mmpretrain's GlobalAveragePooling: an init_weights that does nothing."""

    def init_weights(self) -> None:
        pass


class Model(mminit.BaseModule):
    def __init__(self, head: nn.Module | None = None, tail: nn.Module | None = None) -> None:
        super().__init__(
            [
                dict(type="Xavier", layer="Linear"),
                dict(type="Constant", val=1.0, bias=0.0, override=dict(name="out")),
            ]
        )
        self.blocks = mminit.ModuleList([Block() for _ in range(3)])
        self.pool = Pool()
        self.head = head if head is not None else Head()
        self.out = nn.Linear(8, 2)
        if tail is not None:
            self.tail = tail


class Reads(mminit.BaseModule):
    """Reads a value after super(): explain must run the fills before it."""

    def __init__(self) -> None:
        super().__init__(dict(type="Normal", layer="Linear", std=0.5))
        self.fc = nn.Linear(8, 3)

    def init_weights(self) -> None:
        super().init_weights()
        with torch.no_grad():
            self.fc.weight.mul_(self.fc.weight.abs().max())


class Half(mminit.BaseModule):
    """A float16 fill: explain never evaluates it (its mean may repeat by chance)."""

    def __init__(self) -> None:
        super().__init__(dict(type="Normal", layer="Conv1d", std=0.5))
        self.conv = nn.Conv1d(8, 3, 1).half()  # (no Linear: the root's Xavier misses it)


@pytest.fixture(autouse=True)
def _empty_cache() -> Any:
    plan_cache.clear()
    yield
    plan_cache.clear()


def _same(a: mminit.InitPlan, b: mminit.InitPlan) -> None:
    da, db = a.to_dict(), b.to_dict()
    da.pop("fills_evaluated")
    db.pop("fills_evaluated")
    assert da == db


_RECORD = re.compile(r"\n(\S+) - torch\.Size\(\[[^\]]*\]\): \n(.*?) \n", re.DOTALL)


def _dump(model: nn.Module, path: Path) -> dict[str, str]:
    """The init-info strings a real ``init_weights`` of ``model`` logs to a file."""
    logger = logging.getLogger(LOGGER_NAME)
    handler = logging.FileHandler(path, mode="w")
    logger.addHandler(handler)
    try:
        model.init_weights()
    finally:
        logger.removeHandler(handler)
        handler.close()
    return {name: info.strip() for name, info in _RECORD.findall(path.read_text())}


def test_fills_are_evaluated_where_no_code_reads_them(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = Model()
    state = {k: v.clone() for k, v in model.state_dict().items()}
    plan = mminit.explain(model)
    assert plan.fills_evaluated > 0
    assert all(torch.equal(state[k], v) for k, v in model.state_dict().items())
    plan_cache.clear()
    _same(plan, mminit.explain(model, run_fills=True))
    assert mminit.explain(model, run_fills=True).fills_evaluated == 0
    # the strings are the dump's, and "uncovered" what the values say
    before = {k: v.clone() for k, v in model.named_parameters()}
    dumped = _dump(model, tmp_path / "dump.log")
    assert {k: v.strip() for k, v in plan.infos().items()} == dumped
    unchanged = {k for k, v in model.named_parameters() if torch.equal(before[k], v)}
    assert set(plan.uncovered) == unchanged
    assert "blocks.0.fc.bias" in unchanged  # a constant fill of the value it had


def test_code_that_reads_values_runs_every_fill() -> None:
    torch.manual_seed(0)
    model = Model(head=Reads())
    plan = mminit.explain(model)
    assert plan.fills_evaluated == 0
    plan_cache.clear()
    _same(plan, mminit.explain(model, run_fills=True))


def test_explain_starts_again_when_a_fill_needs_its_values(monkeypatch: Any) -> None:
    """The head's barrier flushes an evaluated segment; the float16 fill after it cannot
    be evaluated, so the run stops (NeedsValues) and explain runs every fill."""
    restarts = []
    real = record.Recorder.needs_values

    def spy(self: record.Recorder) -> None:
        try:
            real(self)
        except record.NeedsValues:
            restarts.append(1)
            raise

    monkeypatch.setattr(record.Recorder, "needs_values", spy)
    torch.manual_seed(0)
    model = Model(tail=Half())
    plan = mminit.explain(model)
    assert restarts == [1]
    assert plan.fills_evaluated == 0 and plan.error is None
    plan_cache.clear()
    _same(plan, mminit.explain(model, run_fills=True))


def test_a_drawn_mean_equals_only_itself() -> None:
    a, b = Drawn(), Drawn()
    same = a
    assert a == same and a != b and b != same
    nan = float("nan")  # (a mean before that nothing equals, not even itself)
    assert a != 0.0 and not a.__eq__(0.0) and a.__ne__(nan) and not a.__eq__(nan)


@pytest.mark.parametrize(
    ("spec", "moves"),
    [
        (FillSpec("normal", (0.0, 0.02)), True),
        (FillSpec("normal", (0.0, 0.0)), False),
        (FillSpec("normal", (1e6, 1e-3)), False),  # a spread lost in the mean's rounding
        (FillSpec("uniform", (-1.0, 1.0)), True),
        (FillSpec("uniform", (2.0, 2.0)), False),
        (FillSpec("trunc_normal", (0.0, 0.02, -2.0, 2.0)), True),
        (FillSpec("trunc_normal", (6.0, 1.0, -2.0, 2.0)), False),  # bounds coincide
        (FillSpec("xavier_uniform", (1.0,)), True),
        (FillSpec("xavier_uniform", (0.0,)), False),
        (FillSpec("kaiming_normal", (0, "fan_out", "relu")), True),
        (FillSpec("constant", (1.0,)), False),
    ],
)
def test_which_random_fills_surely_move_the_mean(spec: FillSpec, moves: bool) -> None:
    assert moves_surely(spec) is moves
