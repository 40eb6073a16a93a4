"""Generated differential cases for the extra bricks (DepthwiseSeparableConvModule, NonLocal*d,
ContextBlock, Scale, DropPath/Dropout, build_plugin_layer, build_dropout): real mmcv vs
mminit without mmcv.

Environment: as compat_tests/bricks/test_generated_bricks.py, plus
    MMINIT_COMPAT_EXTRA_BRICK_CASES  cases per flavour (default 400)
"""

from __future__ import annotations

import os

import pytest

from compat_tests.bricks.suite import check_generated
from compat_tests.libs import requested_flavours
from compat_tests.suite import default_seed

SEED = default_seed()
CASES = int(os.environ.get("MMINIT_COMPAT_EXTRA_BRICK_CASES", "400"))


@pytest.mark.parametrize("flavour", requested_flavours())
def test_generated_extra_brick_cases_match_upstream(flavour: str) -> None:
    check_generated(flavour, CASES, SEED, suite="extras")
