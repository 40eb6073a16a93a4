"""Generated differential cases for the extra bricks (DepthwiseSeparableConvModule, NonLocal*d,
ContextBlock, Scale, DropPath/Dropout, build_plugin_layer, build_dropout): real mmcv vs
mminit without mmcv.

Environment: as compat_tests/bricks/test_generated_bricks.py, plus
    MMINIT_COMPAT_EXTRA_BRICK_CASES  cases per flavour (default 400)
"""

from __future__ import annotations

import os

import pytest

from compat_tests.bricks.suite import format_failure, run_bricks, upstream_reason
from compat_tests.libs import INSTALL_HINT, MMINIT_OF, missing_upstream, requested_flavours
from compat_tests.suite import default_seed

SEED = default_seed()
CASES = int(os.environ.get("MMINIT_COMPAT_EXTRA_BRICK_CASES", "400"))
SHOWN = 5


@pytest.mark.parametrize("flavour", requested_flavours())
def test_generated_extra_brick_cases_match_upstream(flavour: str) -> None:
    if flavour not in MMINIT_OF:
        pytest.fail(f"unknown flavour {flavour!r}; choose from {sorted(MMINIT_OF)}")
    why = upstream_reason(flavour)
    if why is not None:
        missing_upstream(f"bricks compat for {flavour!r} needs its mmcv ({why}): {INSTALL_HINT[flavour]}")
    result = run_bricks(flavour, CASES, SEED, suite="extras")
    print(f"\n{result.summary} (seed {SEED})")
    if result.failures:
        shown = "\n\n".join(format_failure(flavour, SEED, i, case, diffs, "extras")
                            for i, case, diffs in result.failures[:SHOWN])
        pytest.fail(f"{result.summary} (seed {SEED}); first {min(SHOWN, len(result.failures))}:\n\n{shown}",
                    pytrace=False)
