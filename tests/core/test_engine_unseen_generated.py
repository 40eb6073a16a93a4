"""Compat mode without means (nobody sees the dump) against upstream's literal sequence.

The compat suite's generated cases, both sides mminit: ``mode="eager"`` (upstream's
sequence, every mean taken) and ``mode="compat"`` with the dump's loggers not
enabled for INFO, so the engine takes no mean (issue 21, item 4).  Everything
observable must be identical: exceptions, log records, warnings, stdout, tensors,
``is_init``, leftover tables, and the random state afterwards.
"""

from __future__ import annotations

import logging
import os
import random
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import torch
from compat_tests.builder import write_checkpoints
from compat_tests.differential import compare, run_side
from compat_tests.generator import generate_case
from compat_tests.libs import LogCapture, _target_loggers, load_lib

import mminit
from mminit._engine.state import stats

CASES = int(os.environ.get("MMINIT_UNSEEN_CASES", "300"))


class UnseenCapture(LogCapture):
    """The suite's capture, with every target logger left at WARNING (no INFO record is made)."""

    @contextmanager
    def capture(self) -> Iterator[list[tuple[str, str]]]:
        with super().capture() as records:
            for logger in _target_loggers():
                logger.setLevel(logging.WARNING)
            yield records


@pytest.mark.parametrize("lib_name", ["mminit", "mminit.mmcv1"])
def test_compat_without_means_matches_eager_on_generated_cases(lib_name, tmp_path):
    lib = load_lib(lib_name)
    seed = random.Random().randrange(2**31)
    capture = UnseenCapture()
    checked = 0
    unseen_before = stats.unseen
    for index in range(CASES):
        case = generate_case(seed, index)
        if case.get("mixed"):
            continue  # upstream's side is another suite's; both sides here are mminit
        root = write_checkpoints(case["root"], str(tmp_path), f"c{index}", lambda node: lib)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with mminit.init_mode("eager"):
                eager = run_side(case, root, lib, lib, capture)
            eager_rng = torch.get_rng_state()
            with mminit.init_mode("compat"):
                compat = run_side(case, root, lib, lib, capture)
            compat_rng = torch.get_rng_state()
        diffs = compare(eager, compat)
        assert not diffs, f"seed {seed} index {index}: {diffs}\n{case}"
        assert torch.equal(eager_rng, compat_rng), f"seed {seed} index {index}: random state"
        checked += 1
    assert checked > CASES // 2
    assert stats.unseen > unseen_before  # the engine really ran without means
