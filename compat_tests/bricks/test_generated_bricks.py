"""Generated differential cases for the layer bricks: real mmcv vs mminit without mmcv.

Environment (shared with compat_tests/test_generated.py):
    MMINIT_COMPAT_BRICK_CASES  cases per flavour (default 1200)
    MMINIT_COMPAT_SEED         run seed (default: random; printed and in failures)
    MMINIT_COMPAT_FLAVOURS     comma list of flavours (default: the environment's,
                               compat_tests.libs.requested_flavours)
    CI                         "true": a missing upstream fails instead of skipping
"""

from __future__ import annotations

import os

import pytest

from compat_tests.bricks.suite import check_generated
from compat_tests.libs import requested_flavours
from compat_tests.suite import default_seed

SEED = default_seed()
CASES = int(os.environ.get("MMINIT_COMPAT_BRICK_CASES", "1200"))


@pytest.mark.parametrize("flavour", requested_flavours())
def test_generated_brick_cases_match_upstream(flavour: str) -> None:
    check_generated(flavour, CASES, SEED)
