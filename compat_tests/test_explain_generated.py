"""``mminit.explain`` on mminit trees predicts what REAL upstream's ``init_weights`` records.

Each generated case is built twice with the same seed: with mminit (explained, never
initialised) and with upstream (``init_weights`` run, its init-info dump parsed).
Per parameter the predicted info string must equal upstream's, and the plan's
uncovered set must equal the parameters upstream leaves unchanged.
"""

from __future__ import annotations

import os

import pytest

from compat_tests.explain_agreement import agreement
from compat_tests.libs import (
    INSTALL_HINT,
    MMINIT_OF,
    UPSTREAM_OF,
    load_lib,
    missing_upstream,
    requested_flavours,
    upstream_available,
)
from compat_tests.suite import default_seed

SEED = default_seed()
CASES = int(os.environ.get("MMINIT_COMPAT_CASES", "2000")) // 4 or 1


@pytest.mark.parametrize("flavour", requested_flavours())
def test_plan_matches_upstream_on_generated_cases(flavour, tmp_path):
    why = upstream_available(flavour)
    if why is not None:
        missing_upstream(f"upstream {flavour} not importable ({why}): {INSTALL_HINT[flavour]}")
    a = agreement(
        load_lib(MMINIT_OF[flavour]), load_lib(UPSTREAM_OF[flavour]), SEED, CASES, str(tmp_path)
    )
    print(
        f"explain vs upstream {flavour}: seed {SEED}, {a.cases} cases, {a.params} parameters compared, "
        f"{len(a.info_mismatches)} info mismatches, {len(a.uncovered_mismatches)} uncovered mismatches"
    )
    assert not a.error_mismatches, a.error_mismatches[:3]
    assert not a.info_mismatches, a.info_mismatches[:3]
    assert not a.uncovered_mismatches, a.uncovered_mismatches[:3]
    assert a.cases > CASES // 2 and a.params > a.cases
