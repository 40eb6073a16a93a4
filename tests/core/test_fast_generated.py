"""Fast mode keeps compat mode's init-info strings, errors and flags on generated cases.

Uses the compat suite's case generator; both sides are mminit, so no upstream is
needed.  Tensors are not compared: fast mode draws fewer random numbers.
"""

from __future__ import annotations

import os
import random
import warnings

import pytest
from compat_tests.builder import write_checkpoints
from compat_tests.differential import run_side
from compat_tests.generator import generate_case
from compat_tests.libs import LogCapture, load_lib

import mminit

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
