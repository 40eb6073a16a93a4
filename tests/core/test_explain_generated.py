"""``mminit.explain`` predicts what ``init_weights`` (mminit compat mode) records, on generated cases.

Per parameter: the plan's init-info string equals the one the dump logs, and the
plan's uncovered set equals the parameters whose values ``init_weights`` leaves
unchanged; a plan error exactly when ``init_weights`` raises.  Both flavours.
(compat_tests/test_explain_generated.py does the same against real upstream.)
"""

from __future__ import annotations

import os
import random

import pytest
from compat_tests.explain_agreement import agreement
from compat_tests.libs import load_lib

CASES = int(os.environ.get("MMINIT_EXPLAIN_CASES", "150"))


@pytest.mark.parametrize("lib_name", ["mminit", "mminit.mmcv1"])
def test_plan_matches_compat_mode_on_generated_cases(lib_name, tmp_path):
    lib = load_lib(lib_name)
    seed = random.Random().randrange(2**31)
    a = agreement(lib, lib, seed, CASES, str(tmp_path))
    assert not a.error_mismatches, a.error_mismatches[:3]
    assert not a.info_mismatches, a.info_mismatches[:3]
    assert not a.uncovered_mismatches, a.uncovered_mismatches[:3]
    assert a.cases > CASES // 2 and a.params > a.cases
    # explain's default evaluates the fills where no code can read them: both paths ran
    assert 0 < a.evaluated < a.cases, (a.evaluated, a.cases)
