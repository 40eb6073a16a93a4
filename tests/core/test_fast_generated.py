"""Fast mode keeps compat mode's init-info strings, errors and flags on generated cases.

Uses the compat suite's case generator; both sides are mminit, so no upstream is
needed.  Tensors are not compared: fast mode draws fewer random numbers.
"""

from __future__ import annotations

import logging
import os
import random
import warnings

import pytest
import torch
from compat_tests.builder import write_checkpoints
from compat_tests.differential import run_side
from compat_tests.generator import generate_case
from compat_tests.libs import LogCapture, load_lib

import mminit
from mminit._modules.planned import CACHE_ENV

CASES = int(os.environ.get("MMINIT_FAST_CASES", "300"))


def _observable(outcome):
    return (
        [(c["exc"].__class__ if c["exc"] else None, c["info"]) for c in outcome.calls],
        outcome.is_init,
        outcome.leftover,
    )


@pytest.mark.parametrize("lib_name", ["mminit", "mminit.mmcv1"])
def test_fast_mode_matches_compat_mode_on_generated_cases(lib_name, tmp_path):
    lib = load_lib(lib_name)
    seed = random.Random().randrange(2**31)
    capture = LogCapture()
    checked = 0
    for index in range(CASES):
        case = generate_case(seed, index)
        if case.get("mixed") or case.get("entry") == "initialize":
            continue  # fast mode refuses mixed trees; initialize() has no mode
        root = write_checkpoints(case["root"], str(tmp_path), f"c{index}", lambda node: lib)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with mminit.init_mode("compat"):
                compat = run_side(case, root, lib, lib, capture)
            with mminit.init_mode("fast"):
                fast = run_side(case, root, lib, lib, capture)
        assert _observable(fast) == _observable(compat), f"seed {seed} index {index}: {case}"
        checked += 1
    assert checked > CASES // 2


def _everything(outcome):
    calls = [
        {**c, "exc": (c["exc"].__class__, str(c["exc"])) if c["exc"] else None}
        for c in outcome.calls
    ]
    return calls, outcome.is_init, outcome.leftover, outcome.build_error


def _differences(a, b) -> list[str]:
    found = [f"tensor {k}" for k in a.tensors if not torch.equal(a.tensors[k], b.tensors[k])]
    if list(a.tensors) != list(b.tensors):
        found.append("tensor names")
    if _everything(a) != _everything(b):
        found.append("calls, is_init or leftovers")
    return found


@pytest.mark.parametrize("visible", [True, False], ids=["dump-seen", "dump-unseen"])
@pytest.mark.parametrize("lib_name", ["mminit", "mminit.mmcv1"])
def test_a_fast_replay_matches_the_fast_walk_on_generated_cases(lib_name, visible, tmp_path):
    """A second fast init of each generated tree (the first recorded its plan) gives what
    a fast walk gives: tensors, init-info strings, log records, warnings, flags."""
    from compat_tests.builder import reused_classes

    from mminit._engine import plan_cache, stats

    lib = load_lib(lib_name)
    seed = random.Random().randrange(2**31)
    capture = LogCapture(logging.DEBUG if visible else logging.WARNING)
    failures, replayed, checked = [], 0, 0
    cases = max(CASES // 2, 1)
    try:
        for index in range(cases):
            case = generate_case(seed, index)
            if case.get("mixed") or case.get("entry") == "initialize":
                continue
            root = write_checkpoints(case["root"], str(tmp_path), f"c{index}", lambda node: lib)
            plan_cache.clear()
            with reused_classes(), mminit.init_mode("fast"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                os.environ[CACHE_ENV] = "0"
                try:
                    walk = run_side(case, root, lib, lib, capture)
                finally:
                    del os.environ[CACHE_ENV]
                first = run_side(case, root, lib, lib, capture)
                before = stats.replayed
                second = run_side(case, root, lib, lib, capture)
                replayed += stats.replayed > before
            for attempt, got in (("record", first), ("replay", second)):
                diffs = _differences(walk, got)
                if diffs:
                    failures.append(f"seed {seed} index {index} ({attempt}): {diffs[:3]}")
            checked += 1
    finally:
        plan_cache.clear()
    print(
        f"\nfast plans {lib_name} seen={visible}: seed {seed}, {checked} cases, {replayed} replayed"
    )
    assert not failures, "\n".join(failures[:5])
    assert checked > cases // 2
    assert replayed >= checked // 5, f"only {replayed} of {checked} second fast inits replayed"
